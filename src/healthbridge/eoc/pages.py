"""Pages of the EOC: the board (events by status, with risk badges and filters), an event's page
(its record, timeline, a form for each transition its status allows, sharing, notes and links),
and opening an event by hand or from a signal."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, Public, SessionDep
from healthbridge.eoc import alerts, service, sitreps
from healthbridge.eoc.lifecycle import MAX_SHORT_TEXT, MAX_TEXT, TRANSITION_FIELDS
from healthbridge.eoc.models import ACTIVATION_LEVELS, EVENT_STATUSES, RISK_LEVELS, Event
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.language import localized
from healthbridge.marks import N_
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, is_allowed
from healthbridge.surveillance import service as surveillance
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
Choice = Annotated[str, Query(max_length=40)]
Short = Annotated[str, Form(max_length=MAX_SHORT_TEXT)]
Long = Annotated[str, Form(max_length=MAX_TEXT)]

STATUS_LABELS = {
    "signal": N_("Signal"),
    "monitoring": N_("Monitoring"),
    "verifying": N_("Verifying"),
    "verified": N_("Verified"),
    "discarded": N_("Discarded"),
    "risk_assessed": N_("Risk assessed"),
    "responding": N_("Responding"),
    "closed": N_("Closed"),
}
RISK_LABELS = {
    "very_low": N_("Very low"),
    "low": N_("Low"),
    "moderate": N_("Moderate"),
    "high": N_("High"),
    "very_high": N_("Very high"),
}
#: The steps of an event's lifecycle: the timeline's entries and the buttons of the forms.
ACTION_LABELS = {
    "open": N_("Opened"),
    "triage": N_("Triage"),
    "verify": N_("Verify"),
    "discard": N_("Discard"),
    "assess_risk": N_("Assess the risk"),
    "respond": N_("Respond"),
    "close": N_("Close"),
    "set_areas": N_("Areas changed"),
}
# Translators: the levels of an EOC activation (watch, partial, full activation).
ACTIVATION_LABELS = {"watch": N_("watch"), "partial": N_("partial"), "full": N_("full")}
#: The details a transition of the timeline records, by key (others shown as they are named).
DETAIL_LABELS = {
    "decision": N_("Decision"),
    "source": N_("Source"),
    "method": N_("Method"),
    "reason": N_("Reason"),
    "risk_level": N_("Risk level"),
    "level": N_("EOC activation level"),
    "note": N_("Note"),
    "signal_id": N_("Signal"),
    "areas": N_("Areas"),
    "before": N_("Before"),
}


def _names(session: Session, actor: Principal) -> dict[str, Any]:
    everything = PageRequest(limit=MAX_LIMIT)
    countries, _n = geography.list_countries(session=session, actor=actor, page=everything)
    diseases, _n = surveillance.list_diseases(session=session, actor=actor, page=everything)
    return {
        "country_names": {c.code: localized(c.names, c.name_en) for c in countries},
        "disease_names": {d.code: localized(d.names, d.name_en) for d in diseases},
        "countries": countries,
        "diseases": diseases,
        "statuses": EVENT_STATUSES,
        "status_labels": STATUS_LABELS,
        "risk_levels": RISK_LEVELS,
        "risk_labels": RISK_LABELS,
        "activation_levels": ACTIVATION_LEVELS,
        "action_labels": ACTION_LABELS,
        "activation_labels": ACTIVATION_LABELS,
        "detail_labels": DETAIL_LABELS,
    }


@router.get("/eoc", response_class=HTMLResponse)
def board_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    status: Choice = "",
    country: Choice = "",
    disease: Choice = "",
    risk: Choice = "",
) -> Response:
    where = service.check_filter(status=status, country=country, disease=disease, risk=risk)
    rows, total = service.list_events(
        session=session,
        actor=actor,
        page=PageRequest(limit=MAX_LIMIT, sort="-updated_at"),
        where=where,
    )
    grouped: dict[str, list[Event]] = {s: [] for s in EVENT_STATUSES}
    for event in rows:
        grouped[event.status].append(event)
    context = {
        **_names(session, actor),
        "grouped": grouped,
        "total": total,
        "filters": {"status": status, "country": country, "disease": disease, "risk": risk},
        "can_open": is_allowed(actor, Action.EVENT_MANAGE, country=actor.country),
        "errors": [],
        "form": {},
    }
    template = "eoc/_board.html" if is_htmx(request) else "eoc/board.html"
    return render(request, template, context)


@router.post("/eoc/events", response_class=HTMLResponse)
def open_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    country: Annotated[str, Form(max_length=3)] = "",
    title: Short = "",
    disease: Annotated[str, Form(max_length=40)] = "",
    hazard: Short = "",
    area: Annotated[str, Form(max_length=10)] = "",
    summary: Long = "",
    signal_id: Annotated[int | None, Form()] = None,
) -> Response:
    new = service.NewEvent(
        country=country or actor.country,
        title=title,
        disease=disease,
        hazard=hazard,
        summary=summary,
        areas=(area,) if area.strip() else (),
        signal_id=signal_id,
    )
    try:
        event = service.create_event(session=session, actor=actor, new=new)
    except (Invalid, Conflict) as refused:
        session.rollback()
        if signal_id is not None:
            return render(
                request,
                "eoc/refused.html",
                {"errors": refused.errors, "detail": refused.detail, "signal_id": signal_id},
                status_code=refused.status,
            )
        rows, total = service.list_events(
            session=session, actor=actor, page=PageRequest(limit=MAX_LIMIT)
        )
        grouped: dict[str, list[Event]] = {s: [] for s in EVENT_STATUSES}
        for one in rows:
            grouped[one.status].append(one)
        context = {
            **_names(session, actor),
            "grouped": grouped,
            "total": total,
            "filters": {},
            "can_open": True,
            "errors": refused.errors,
            "form": {
                "country": country,
                "title": title,
                "disease": disease,
                "hazard": hazard,
                "area": area,
                "summary": summary,
            },
        }
        return render(request, "eoc/board.html", context, status_code=refused.status)
    return RedirectResponse(f"/eoc/events/{event.id}", status_code=303)


@router.get("/eoc/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, session: SessionDep, actor: Reader, event_id: int) -> Response:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    return render(request, "eoc/event.html", _detail(session, actor, event))


def _detail(session: Session, actor: Principal, event: Event, **extra: Any) -> dict[str, Any]:
    links, links_total = service.latest_links(session=session, actor=actor, event=event)
    return {
        **_names(session, actor),
        "e": event,
        "allowed": service.allowed_actions(event.status),
        "can_manage": service.can_manage(actor, event),
        "sees_cases": service.sees_case_links(actor, event),
        "links": links,
        "links_total": links_total,
        "published": alerts.published_alerts(session=session, event_id=event.id),
        "errors": [],
        "failed_action": None,
        "saved": None,
        "form": {},
        **extra,
    }


def _refused(
    request: Request,
    session: SessionDep,
    actor: Principal,
    event_id: int,
    refused: Invalid | Conflict,
    **extra: Any,
) -> Response:
    session.rollback()
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    context = _detail(session, actor, event, errors=refused.errors, detail=refused.detail, **extra)
    return render(request, "eoc/event.html", context, status_code=refused.status)


@router.post("/eoc/events/{event_id}/transitions", response_class=HTMLResponse)
def transition_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    action: Annotated[str, Form(max_length=20)] = "",
    decision: Annotated[str, Form(max_length=20)] = "",
    source: Short = "",
    method: Short = "",
    reason: Long = "",
    risk_level: Annotated[str, Form(max_length=12)] = "",
    level: Annotated[str, Form(max_length=12)] = "",
    note: Long = "",
) -> Response:
    given = {
        "decision": decision,
        "source": source,
        "method": method,
        "reason": reason,
        "risk_level": risk_level,
        "level": level,
        "note": note,
    }
    # A form carries every field of its action only: the others arrive empty.
    fields: dict[str, str | None] = {k: v or None for k, v in given.items()}
    assert set(fields) == set(TRANSITION_FIELDS)
    try:
        service.transition(
            session=session, actor=actor, event_id=event_id, action=action, fields=fields
        )
    except (Invalid, Conflict) as refused:
        return _refused(
            request, session, actor, event_id, refused, failed_action=action, form=given
        )
    return RedirectResponse(f"/eoc/events/{event_id}", status_code=303)


@router.post("/eoc/events/{event_id}/shares", response_class=HTMLResponse)
def share_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    region: Annotated[str, Form(max_length=5)] = "",
    country: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    try:
        service.share_event(
            session=session,
            actor=actor,
            event_id=event_id,
            region=bool(region),
            countries=[country] if country else [],
        )
    except Invalid as refused:
        return _refused(request, session, actor, event_id, refused, failed_action="share")
    return RedirectResponse(f"/eoc/events/{event_id}", status_code=303)


@router.post("/eoc/events/{event_id}/areas", response_class=HTMLResponse)
def areas_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    areas: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The areas as typed: ISO 3166-2 codes separated by commas, spaces or new lines."""
    codes = [code for code in re.split(r"[\s,;]+", areas) if code]
    try:
        service.set_areas(session=session, actor=actor, event_id=event_id, areas=codes)
    except (Invalid, Conflict) as refused:
        return _refused(
            request, session, actor, event_id, refused, failed_action="areas", form={"areas": areas}
        )
    return RedirectResponse(f"/eoc/events/{event_id}", status_code=303)


@router.post("/eoc/events/{event_id}/alerts", response_class=HTMLResponse)
def publish_from_form(
    request: Request, session: SessionDep, actor: Manager, event_id: int
) -> Response:
    try:
        alerts.publish_alert(
            session=session,
            actor=actor,
            event_id=event_id,
            base_url=request.app.state.settings.public_url,
        )
    except Conflict as refused:
        return _refused(request, session, actor, event_id, refused, failed_action="publish")
    return RedirectResponse(f"/eoc/events/{event_id}", status_code=303)


@router.post("/eoc/events/{event_id}/unshare", response_class=HTMLResponse)
def unshare_from_form(
    session: SessionDep,
    actor: Manager,
    event_id: int,
    country: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    service.unshare_event(
        session=session,
        actor=actor,
        event_id=event_id,
        country=None if country in ("", "region") else country,
    )
    return RedirectResponse(f"/eoc/events/{event_id}", status_code=303)


@router.post("/eoc/events/{event_id}/notes", response_class=HTMLResponse)
def note_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    text: Long = "",
    kind: Annotated[str, Form(max_length=12)] = "note",
) -> Response:
    try:
        if kind not in ("note", "document"):
            raise Invalid("invalid note", errors=[FieldError("kind", "note or document")])
        service.add_link(session=session, actor=actor, event_id=event_id, kind=kind, text=text)
    except (Invalid, Conflict) as refused:
        return _refused(request, session, actor, event_id, refused, failed_action="note")
    return RedirectResponse(f"/eoc/events/{event_id}#links", status_code=303)


__all__ = ["router"]


# --- public alerts (no sign-in: only what was published) ----------------------------------------

Anyone = Depends(Public())


@router.get("/alerts/feed.atom", dependencies=[Anyone], include_in_schema=True, tags=["alerts"])
def alerts_feed(request: Request, session: SessionDep) -> Response:
    """The Atom feed of the public alerts, newest first (RFC 4287)."""
    feed = alerts.atom_feed(
        alerts.published_alerts(session=session), base_url=str(request.base_url)
    )
    return Response(feed, media_type="application/atom+xml")


@router.get(
    "/alerts/{identifier}.xml", dependencies=[Anyone], include_in_schema=True, tags=["alerts"]
)
def alert_cap(session: SessionDep, identifier: Annotated[str, Path(max_length=120)]) -> Response:
    """A published alert as CAP 1.2 XML, exactly as it was published."""
    published = alerts.published_alert(session=session, identifier=identifier)
    return Response(published.xml.encode(), media_type="application/cap+xml")


@router.get("/alerts/{identifier}", response_class=HTMLResponse, dependencies=[Anyone])
def alert_page(
    request: Request, session: SessionDep, identifier: Annotated[str, Path(max_length=120)]
) -> Response:
    published = alerts.published_alert(session=session, identifier=identifier)
    return render(request, "eoc/alert.html", {"alert": published})


@router.get("/eoc/events/{event_id}/sitrep.{format}")
def sitrep_download(
    session: SessionDep,
    actor: Reader,
    event_id: int,
    format: Annotated[str, Path(pattern="^(html|pdf)$")],
) -> Response:
    """The event's situation report, to read in the browser (HTML) or to download (PDF)."""
    data = sitreps.render(session=session, actor=actor, event_id=event_id, format=format)
    if format == "pdf":
        return Response(
            data,
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="sitrep-{event_id}.pdf"'},
        )
    return Response(data, media_type="text/html; charset=utf-8")
