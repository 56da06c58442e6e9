"""API: events of the EOC, from signal to closure: the board, one event with its timeline, the
transitions, sharing, links and notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.eoc import alerts, service, subscriptions
from healthbridge.eoc.models import Event
from healthbridge.eoc.schemas import (
    AreasUpdate,
    EventCreate,
    EventPage,
    EventRead,
    EventSummary,
    LinkCreate,
    LinkPage,
    LinkRead,
    NoteCreate,
    PublishedAlertRead,
    ShareCreate,
    SubscriptionCreate,
    SubscriptionRead,
    TransitionCreate,
    TransitionRead,
)
from healthbridge.policy import Action, Principal

EVENTS = "events"
router = APIRouter(tags=[EVENTS])
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
Self = Annotated[Principal, Depends(Allow(Action.OWN_PROFILE))]


def summary_of(event: Event) -> EventSummary:
    """The board's view of an event."""
    return EventSummary.model_validate(
        {
            **{k: getattr(event, k) for k in EventSummary.model_fields if k != "areas"},
            "areas": [a.area_code for a in event.areas],
        }
    )


def read_of(session: Session, event: Event, actor: Principal) -> EventRead:
    """One event as ``actor`` may see it (case-level links only for its own country)."""
    links, links_total = service.latest_links(session=session, actor=actor, event=event)
    base = summary_of(event).model_dump()
    return EventRead(
        **base,
        summary=event.summary,
        detected_at=event.detected_at,
        verified_at=event.verified_at,
        closure_reason=event.closure_reason,
        created_by=event.created_by,
        shared_with=[s.country_code for s in event.shares],
        allowed_actions=service.allowed_actions(event.status),
        timeline=[TransitionRead.model_validate(t) for t in event.transitions],
        links=[LinkRead.model_validate(link) for link in links],
        links_total=links_total,
    )


@router.get(
    "/events",
    response_model=EventPage,
    summary="The EOC board: the events the caller sees",
    description=(
        "Events of the caller's country, and those shared with the region or with the caller's "
        "country (a regional user sees only those shared with the region). `sort`: updated_at "
        "(default `-updated_at`), opened_at, status, country, risk, title; `-` for descending."
    ),
)
def list_events(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=16, description="e.g. verifying")] = None,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    disease: Annotated[str | None, Query(max_length=40, description="Disease code")] = None,
    risk: Annotated[str | None, Query(max_length=12, description="e.g. high")] = None,
    open_only: Annotated[bool, Query(description="Leave out closed and discarded")] = False,
) -> EventPage:
    where = service.check_filter(
        status=status, country=country, disease=disease, risk=risk, open_only=open_only
    )
    rows, total = service.list_events(session=session, actor=actor, page=page, where=where)
    add_link_header(request, response, page, total)
    return EventPage(
        items=[summary_of(e) for e in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/events",
    response_model=EventRead,
    status_code=201,
    summary="Open an event",
    description=(
        "By hand (country, disease or hazard; status `signal`) or from a signal (`signal_id`: "
        "its country, area, disease and week; status `verifying`, and the signal is triaged "
        "`verify`). Audited."
    ),
)
def create_event(session: SessionDep, actor: Manager, new: EventCreate) -> EventRead:
    event = service.create_event(
        session=session,
        actor=actor,
        new=service.NewEvent(
            country=new.country,
            title=new.title,
            disease=new.disease,
            hazard=new.hazard,
            summary=new.summary,
            areas=tuple(new.areas),
            signal_id=new.signal_id,
        ),
    )
    return read_of(session, event, actor)


@router.get(
    "/events/{event_id}",
    response_model=EventRead,
    summary="One event with its timeline",
    description="404 for an event the caller's country does not see, as for one that is not.",
)
def get_event(session: SessionDep, actor: Reader, event_id: int) -> EventRead:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    return read_of(session, event, actor)


@router.get(
    "/events/{event_id}/cap",
    response_class=Response,
    summary="The event as a CAP 1.2 alert",
    description=(
        "The event as it stands, as CAP 1.2 XML (`application/cap+xml`) valid against the OASIS "
        "schema: public when shared with the region, else restricted to the countries it is "
        "shared with. No case-level detail. 404 for an event the caller does not see."
    ),
    responses={200: {"content": {"application/cap+xml": {}}}},
)
def get_event_cap(session: SessionDep, actor: Reader, event_id: int) -> Response:
    event = service.get_event(session=session, actor=actor, event_id=event_id)
    return Response(alerts.event_cap(session, event), media_type="application/cap+xml")


@router.post(
    "/events/{event_id}/transitions",
    response_model=EventRead,
    summary="Move an event along its lifecycle",
    description=(
        "`triage` (decision monitor/verify/discard; reason to discard), `verify` (source, "
        "method), `discard` (reason), `assess_risk` (risk_level), `respond` (level: watch, "
        "partial, full), `close` (reason); `note` with any. 409 when the event's status does "
        "not allow the action, 422 naming a missing, unused or bad field. Audited."
    ),
)
def transition(
    session: SessionDep, actor: Manager, event_id: int, step: TransitionCreate
) -> EventRead:
    fields = step.model_dump(exclude={"action"})
    event = service.transition(
        session=session, actor=actor, event_id=event_id, action=step.action, fields=fields
    )
    return read_of(session, event, actor)


@router.put(
    "/events/{event_id}/areas",
    response_model=EventRead,
    summary="Set the areas an event touches",
    description="Replaces them: each an ISO 3166-2 area of the event's country (422 naming "
    "`areas` otherwise); 409 once the event is closed or discarded. On the timeline; audited.",
)
def set_areas(session: SessionDep, actor: Manager, event_id: int, change: AreasUpdate) -> EventRead:
    event = service.set_areas(session=session, actor=actor, event_id=event_id, areas=change.areas)
    return read_of(session, event, actor)


@router.post(
    "/events/{event_id}/shares",
    response_model=EventRead,
    summary="Share an event with the region or with named countries",
)
def share_event(
    session: SessionDep, actor: Manager, event_id: int, share: ShareCreate
) -> EventRead:
    event = service.share_event(
        session=session,
        actor=actor,
        event_id=event_id,
        region=share.region,
        countries=share.countries,
    )
    return read_of(session, event, actor)


@router.delete(
    "/events/{event_id}/shares/{country}",
    response_model=EventRead,
    summary="Stop sharing an event with a country (`region`: with the region)",
)
def unshare_event(session: SessionDep, actor: Manager, event_id: int, country: str) -> EventRead:
    event = service.unshare_event(
        session=session,
        actor=actor,
        event_id=event_id,
        country=None if country.lower() == "region" else country,
    )
    return read_of(session, event, actor)


@router.get(
    "/events/{event_id}/links",
    response_model=LinkPage,
    summary="The links of an event, a page at a time",
    description=(
        "Everything linked to the event and every note, newest first by default (`sort`: id, "
        "created_at, kind; `-` for descending). Case and lab-result links only for the event's "
        "own country. 404 for an event the caller does not see."
    ),
)
def list_links(
    request: Request, response: Response, session: SessionDep, actor: Reader, event_id: int,
    page: PageDep,
) -> LinkPage:  # fmt: skip
    rows, total = service.link_page(session=session, actor=actor, event_id=event_id, page=page)
    add_link_header(request, response, page, total)
    return LinkPage(
        items=[LinkRead.model_validate(link) for link in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/events/{event_id}/links",
    response_model=LinkRead,
    status_code=201,
    summary="Link a signal, case, lab result, document or note to an event",
    description=(
        "Cases and lab results must be the event's country's; only its own officers link and "
        "see them. An unknown `target_id` is 422; the same record twice is 409."
    ),
)
def add_link(session: SessionDep, actor: Manager, event_id: int, link: LinkCreate) -> LinkRead:
    made = service.add_link(
        session=session,
        actor=actor,
        event_id=event_id,
        kind=link.kind,
        target_id=link.target_id,
        text=link.text,
    )
    return LinkRead.model_validate(made)


@router.delete(
    "/events/{event_id}/links/{link_id}",
    status_code=204,
    summary="Unlink something from an event",
)
def remove_link(session: SessionDep, actor: Manager, event_id: int, link_id: int) -> Response:
    service.remove_link(session=session, actor=actor, event_id=event_id, link_id=link_id)
    return Response(status_code=204)


@router.post(
    "/events/{event_id}/notes",
    response_model=LinkRead,
    status_code=201,
    summary="Add a note to an event",
)
def add_note(session: SessionDep, actor: Manager, event_id: int, note: NoteCreate) -> LinkRead:
    made = service.add_link(
        session=session, actor=actor, event_id=event_id, kind="note", text=note.text
    )
    return LinkRead.model_validate(made)


@router.post(
    "/events/{event_id}/alerts",
    response_model=PublishedAlertRead,
    status_code=201,
    summary="Publish the event's CAP alert to the public feed",
    description=(
        "Publishes the event as it stands as a public CAP 1.2 alert, listed in the Atom feed "
        "`/alerts/feed.atom`. Only an event shared with the region is published (409 "
        "otherwise), and an unchanged event is not published twice (409)."
    ),
)
def publish_alert(
    request: Request, session: SessionDep, actor: Manager, event_id: int
) -> PublishedAlertRead:
    published = alerts.publish_alert(
        session=session,
        actor=actor,
        event_id=event_id,
        base_url=request.app.state.settings.public_url,
    )
    return PublishedAlertRead.model_validate(published)


@router.get(
    "/events/{event_id}/alerts",
    response_model=list[PublishedAlertRead],
    summary="The alerts published for an event, newest first",
)
def list_alerts(session: SessionDep, actor: Reader, event_id: int) -> list[PublishedAlertRead]:
    service.get_event(session=session, actor=actor, event_id=event_id)  # 404 when unseen
    return [
        PublishedAlertRead.model_validate(a)
        for a in alerts.published_alerts(session=session, event_id=event_id)
    ]


@router.get(
    "/me/alert-subscriptions",
    response_model=list[SubscriptionRead],
    tags=["me"],
    summary="The caller's subscriptions to published alerts",
)
def list_subscriptions(session: SessionDep, actor: Self) -> list[SubscriptionRead]:
    return [
        SubscriptionRead.model_validate(s)
        for s in subscriptions.list_subscriptions(session=session, actor=actor)
    ]


@router.post(
    "/me/alert-subscriptions",
    response_model=SubscriptionRead,
    status_code=201,
    tags=["me"],
    summary="Receive the published alerts of a country and/or a disease by e-mail",
    description=(
        "Leave `country` or `disease` out for any. Every alert published for a matching event "
        "queues an e-mail to the caller (delivered by `healthbridge notify send`). 409 for a "
        "subscription held already."
    ),
)
def subscribe(
    session: SessionDep, actor: Self, subscription: SubscriptionCreate
) -> SubscriptionRead:
    made = subscriptions.subscribe(
        session=session,
        actor=actor,
        country=subscription.country,
        disease=subscription.disease,
    )
    return SubscriptionRead.model_validate(made)


@router.delete(
    "/me/alert-subscriptions/{subscription_id}",
    status_code=204,
    tags=["me"],
    summary="Stop one of the caller's alert subscriptions",
)
def unsubscribe(session: SessionDep, actor: Self, subscription_id: int) -> Response:
    subscriptions.unsubscribe(session=session, actor=actor, subscription_id=subscription_id)
    return Response(status_code=204)
