"""An event's situation report: built from the event and the surveillance data, rendered by
:mod:`healthbridge.reports.sitrep` as HTML or PDF.

- The epicurve and the table by area are the weekly counts of the event's country and disease
  (its areas when it has some; the country's aggregate counts, else those rolled up from its
  case reports) from :data:`WEEKS_BEFORE` weeks before the event's week to the latest count.
- The laboratory summary aggregates the lab results of the country's cases of the disease in
  that period; it is case-level data summarised, so only the event's own country's case
  readers get it (everyone else reads "no lab results").
- The risk assessment is the latest version of the rapid risk assessment (its confidence, the
  three assessments, the rationale), else the levels set on the timeline.
- The actions are the event's timeline; the 7-1-7 metrics are those of the recorded dates as
  of today, each missed one with its bottleneck named.
- Assistance is what the event asked of the countries it is shared with and the offers made.

Whoever sees the event may generate its report; every generation is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from healthbridge.analytics.eoc import timeliness
from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import assessments, sharing
from healthbridge.eoc.assessment_models import EventTimeliness, RiskAssessmentVersion
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.geography.models import Country, Subdivision
from healthbridge.interop.isoweek import InvalidWeek, parse_week, week_of
from healthbridge.language import localized
from healthbridge.policy import Principal
from healthbridge.reports import sitrep
from healthbridge.resources.models import Holder, Item, Lot, ResourceRequest, Shipment
from healthbridge.surveillance.models import (
    SOURCE_AGGREGATE,
    SOURCE_CASE_ROLLUP,
    CaseReport,
    Disease,
    LabResult,
    WeeklyCount,
)

#: Weeks of counts shown before the event's week.
WEEKS_BEFORE = 26
FORMATS = ("html", "pdf")


def build(*, session: Session, actor: Principal, event_id: int) -> sitrep.SitrepData:
    """The situation report's data for ``event_id`` (:class:`NotFound` when unseen)."""
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    country = session.get(Country, event.country_code)
    disease = session.get(Disease, event.disease_code) if event.disease_code else None
    start = _start_week_monday(event)
    counts = _counts(session, event, start) if disease else []
    epicurve: dict[str, list[int]] = {}
    by_area: dict[str, list[int]] = {}
    for week, area, cases, deaths in counts:
        point = epicurve.setdefault(week, [0, 0])
        point[0] += cases
        point[1] += deaths or 0
        if area is not None:
            row = by_area.setdefault(area, [0, 0])
            row[0] += cases
            row[1] += deaths or 0
    names = {
        s.code: s.name
        for s in session.scalars(select(Subdivision).where(Subdivision.code.in_(by_area)))
    }
    weeks = sorted(epicurve)
    lab = (
        _lab(session, event, start)
        if disease and sharing.sees_case_links(actor, event)
        else sitrep.LabSummary()
    )
    latest = session.scalars(
        select(RiskAssessmentVersion)
        .where(RiskAssessmentVersion.event_id == event.id)
        .order_by(RiskAssessmentVersion.version.desc())
        .limit(1)
    ).first()
    if latest is not None:
        risk_text = (
            f"Version {latest.version}, {latest.assessed_at:%Y-%m-%d} by {latest.assessed_by}: "
            f"likelihood {latest.likelihood.replace('_', ' ')} × consequence "
            f"{latest.consequence.replace('_', ' ')}.\nHazard: {latest.hazard}\n"
            f"Exposure: {latest.exposure}\nContext: {latest.context}\n"
            f"Rationale: {latest.rationale}"
        )
    else:
        risk_text = "\n".join(
            f"{t.at:%Y-%m-%d}: {t.detail.get('risk_level', '')}"
            + (f" — {t.detail['note']}" if t.detail.get("note") else "")
            for t in event.transitions
            if t.action == "assess_risk"
        )
    return sitrep.SitrepData(
        title=event.title,
        country=localized(country.names, country.name_en) if country else event.country_code,
        hazard=(
            localized(disease.names, disease.name_en)
            if disease
            else (event.hazard or "Public health event")
        ),
        status=event.status.replace("_", " "),
        risk_level=(event.risk_level or "not assessed").replace("_", " "),
        risk_confidence=latest.confidence if latest is not None else "not recorded",
        opened_on=event.opened_at.date(),
        generated_at=utcnow(),
        generated_by=actor.actor_label,
        period_start=parse_week(weeks[0]).monday if weeks else None,
        period_end=parse_week(weeks[-1]).monday + dt.timedelta(days=6) if weeks else None,
        summary=event.summary or "",
        epicurve=tuple(sitrep.EpicurvePoint(w, *epicurve[w]) for w in weeks),
        areas=tuple(
            sitrep.AreaRow(code, names.get(code, code), *values)
            for code, values in sorted(by_area.items(), key=lambda kv: -kv[1][0])
        ),
        lab=lab,
        risk_assessment=risk_text,
        actions=tuple(
            sitrep.ActionRow(
                action=t.action.replace("_", " "),
                status=f"{t.to_status.replace('_', ' ')} on {t.at:%Y-%m-%d %H:%M} UTC",
                owner=t.actor,
            )
            for t in event.transitions
        ),
        timeliness=_timeliness(session, actor, event),
        assistance=_assistance(session, event),
        resources=_resources(session, event),
    )


def _timeliness(
    session: Session, actor: Principal, event: Event
) -> tuple[sitrep.TimelinessMetric, ...]:
    """The 7-1-7 metrics as of today, once any date is recorded."""
    row = session.scalar(select(EventTimeliness).where(EventTimeliness.event_id == event.id))
    if row is None:
        return ()
    measured = assessments.timeliness_of(session=session, actor=actor, event_id=event.id)
    late = ", ".join(action.label for action in measured.late_actions)
    metrics = []
    for result in measured.results:
        days = result.days if result.days is not None else result.elapsed_days
        if result.status is timeliness.Status.PENDING and days is not None:
            days = min(days, result.target_days)
        bottleneck = ""
        if result.status is timeliness.Status.MISSED:
            bottleneck = late if result.step is timeliness.Step.RESPONSE and late else ""
            bottleneck = bottleneck or f"{result.step.value} took longer than its target"
        metrics.append(
            sitrep.TimelinessMetric(
                milestone=result.step.value,
                target_days=result.target_days,
                status=sitrep.TimelinessStatus(result.status.value),
                days=days,
                bottleneck=bottleneck,
            )
        )
    return tuple(metrics)


def _resources(session: Session, event: Event) -> tuple[sitrep.ResourceRow, ...]:
    """The items the event's country requested for it, and how much of each was received
    (shipments received, by the holders that sent them)."""
    requested = session.execute(
        select(
            ResourceRequest.item_code,
            Item.name,
            Item.unit_of_issue,
            ResourceRequest.quantity,
            ResourceRequest.id,
        )
        .join(Item, Item.code == ResourceRequest.item_code)
        .where(
            ResourceRequest.event_id == event.id,
            ResourceRequest.kind == "item",
            ResourceRequest.status.not_in(("rejected", "cancelled")),
        )
        .order_by(ResourceRequest.id)
    ).all()
    if not requested:
        return ()
    received: dict[int, int] = {}
    providers: dict[int, set[str]] = {}
    rows = session.execute(
        select(Shipment.request_id, Shipment.quantity_received, Holder.name)
        .join(Lot, Lot.id == Shipment.lot_id)
        .join(Holder, Holder.code == Lot.holder_code)
        .where(Shipment.request_id.in_([r[4] for r in requested]), Shipment.status == "received")
    )
    for request_id, quantity, holder in rows:
        received[request_id] = received.get(request_id, 0) + (quantity or 0)
        providers.setdefault(request_id, set()).add(holder)
    by_item: dict[str, list[Any]] = {}
    for code, name, unit, quantity, request_id in requested:
        row = by_item.setdefault(code or "", [name, unit, 0, 0, set()])
        row[2] += quantity
        row[3] += received.get(request_id, 0)
        row[4] |= providers.get(request_id, set())
    return tuple(
        sitrep.ResourceRow(
            item=name,
            unit=unit,
            requested=asked,
            delivered=got,
            provider=", ".join(sorted(sent_by)),
        )
        for name, unit, asked, got, sent_by in by_item.values()
    )


def _assistance(session: Session, event: Event) -> tuple[sitrep.AssistanceRow, ...]:
    """What the event asked of the region, and the offers made (not withdrawn ones)."""
    requests = session.scalars(
        select(AssistanceRequest)
        .where(AssistanceRequest.event_id == event.id)
        .options(selectinload(AssistanceRequest.offers))
        .order_by(AssistanceRequest.id)
    )
    names = {
        code: localized(other, name)
        for code, name, other in session.execute(
            select(Country.code, Country.name_en, Country.names)
        )
    }
    return tuple(
        sitrep.AssistanceRow(
            kind=r.kind.replace("_", " "),
            title=r.title,
            status=r.status.replace("_", " "),
            needed_by=r.needed_by,
            offers="; ".join(
                f"{names.get(o.country_code, o.country_code) if o.country_code else 'The region'}"
                f": {o.status}"
                for o in r.offers
                if o.status != "withdrawn"
            ),
        )
        for r in requests
    )


def render(*, session: Session, actor: Principal, event_id: int, format: str) -> bytes:
    """The report as ``html`` (UTF-8) or ``pdf`` bytes; the generation is audited."""
    data = build(session=session, actor=actor, event_id=event_id)
    output = sitrep.render_pdf(data) if format == "pdf" else sitrep.render_html(data).encode()
    audit.record(
        session=session,
        actor=actor,
        action="event.sitrep",
        object_type="event",
        object_id=event_id,
        detail={"format": format},
    )
    return output


def _start_week_monday(event: Event) -> dt.date:
    try:
        anchor = parse_week(event.week).monday if event.week else event.opened_at.date()
    except InvalidWeek:
        anchor = event.opened_at.date()
    return week_of(anchor).monday - dt.timedelta(weeks=WEEKS_BEFORE)


def _counts(
    session: Session, event: Event, start: dt.date
) -> list[tuple[str, str | None, int, int | None]]:
    """The event's areas' weekly rows (every area's when it names none, else the national
    total); the country's aggregate counts when there are, else those rolled up from cases."""
    areas = [a.area_code for a in event.areas]
    base = select(
        WeeklyCount.week, WeeklyCount.area_code, WeeklyCount.cases, WeeklyCount.deaths
    ).where(
        WeeklyCount.country_code == event.country_code,
        WeeklyCount.disease_code == event.disease_code,
        WeeklyCount.week_start >= start,
    )
    scopes = (
        [WeeklyCount.area_code.in_(areas)]
        if areas
        else [WeeklyCount.area_code.is_not(None), WeeklyCount.area_code.is_(None)]
    )
    for source in (SOURCE_AGGREGATE, SOURCE_CASE_ROLLUP):
        for scope in scopes:
            rows = session.execute(base.where(WeeklyCount.source == source, scope)).all()
            if rows:
                return [(r[0], r[1], r[2], r[3]) for r in rows]
    return []


def _lab(session: Session, event: Event, start: dt.date) -> sitrep.LabSummary:
    rows = session.execute(
        select(LabResult.test_type, LabResult.result, LabResult.turnaround_days)
        .join(CaseReport, CaseReport.id == LabResult.case_report_id)
        .where(
            CaseReport.country_code == event.country_code,
            CaseReport.disease_code == event.disease_code,
            CaseReport.week_start >= start,
        )
        .limit(1_000_000)
    ).all()
    return sitrep.LabSummary.from_results(
        [(r[0], r[1]) for r in rows],
        [float(r[2]) for r in rows if r[2] is not None],
    )
