"""API: signals (the alarms of the detection methods over the weekly counts), their triage, a
detection run, and a series with its threshold (an epicurve's data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.surveillance import signal_queue, signals
from healthbridge.surveillance.signal_schemas import (
    DetectionRun,
    DetectionSummaryRead,
    SignalPage,
    SignalRead,
    SignalSeriesRead,
    SignalTriage,
)

SIGNALS = "signals"
router = APIRouter(tags=[SIGNALS])
Reader = Annotated[Principal, Depends(Allow(Action.SIGNAL_READ))]
Triager = Annotated[Principal, Depends(Allow(Action.SIGNAL_TRIAGE))]
Country = Annotated[str | None, Query(max_length=3, description="ISO 3166-1 alpha-3, e.g. THA")]
Area = Annotated[str | None, Query(max_length=10, description="ISO 3166-2, e.g. TH-10")]
DiseaseCode = Annotated[str | None, Query(max_length=40, description="Disease code, e.g. dengue")]
Week = Annotated[str | None, Query(max_length=10, description="ISO week, e.g. 2024-W07")]
Method = Annotated[str | None, Query(max_length=20, description="noufaily, ears-c3, cusum, ...")]
Source = Annotated[str | None, Query(max_length=20, description="aggregate or case_rollup")]


@router.get(
    "/signals",
    response_model=SignalPage,
    summary="The triage queue of signals",
    description=(
        "Alarms of the detection methods, one per series, week and method, visible to the whole "
        "region. `sort`: week (default `-week`: newest first, then highest score), score, "
        "observed, country, disease, last_detected_at; `-` for descending."
    ),
)
def list_signals(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=12, description="new, monitor, ...")] = None,
    country: Country = None,
    area: Area = None,
    disease: DiseaseCode = None,
    method: Method = None,
    source: Source = None,
    from_week: Week = None,
    to_week: Week = None,
    min_score: Annotated[float | None, Query(description="Only signals scoring at least")] = None,
) -> SignalPage:
    where = signal_queue.check_filter(
        status=status,
        country=country,
        area=area,
        disease=disease,
        method=method,
        source=source,
        from_week=from_week,
        to_week=to_week,
        min_score=min_score,
    )
    rows, total = signal_queue.list_signals(session=session, actor=actor, page=page, where=where)
    add_link_header(request, response, page, total)
    return SignalPage(
        items=[SignalRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/signals/series",
    response_model=SignalSeriesRead,
    summary="A series with a method's threshold (an epicurve's data)",
    description=(
        "Every week from `from_week` to `to_week` (default: the 104 weeks up to the series' "
        "latest count) with its count (null: not reported), the method's expected count, upper "
        "bound and alarm recomputed for every week, and the signals stored for the series. "
        "Without `area`: the national total as reported."
    ),
)
def signal_series(
    session: SessionDep,
    actor: Reader,
    country: Annotated[str, Query(max_length=3, description="ISO 3166-1 alpha-3")],
    disease: Annotated[str, Query(max_length=40, description="Disease code")],
    method: Annotated[str, Query(max_length=20, description="Detection method")] = "noufaily",
    area: Area = None,
    source: Annotated[str, Query(max_length=20)] = "aggregate",
    from_week: Week = None,
    to_week: Week = None,
) -> SignalSeriesRead:
    series = signal_queue.signal_series(
        session=session,
        actor=actor,
        country=country,
        disease=disease,
        method=method,
        area=area,
        source=source,
        from_week=from_week,
        to_week=to_week,
    )
    return SignalSeriesRead(
        country=series.key.country,
        area=series.key.area,
        disease=series.key.disease,
        source=series.key.source,
        method=series.method,
        weeks=series.weeks,
        week_starts=series.week_starts,
        cases=series.cases,
        expected=series.expected,
        upperbound=series.upperbound,
        alarm=series.alarm,
        score=series.score,
        signals=[SignalRead.model_validate(s) for s in series.signals],
    )


@router.post(
    "/signals/detect",
    response_model=DetectionSummaryRead,
    summary="Run detection over the weekly counts",
    description=(
        "Runs the methods over the series the caller may triage (a country's officers: their "
        "country's; regional ones: every country's), or those of `country` (and `disease`), on "
        "the last `weeks` weeks up to `until` (default: the latest week with a count), and "
        "stores each alarm as a signal. A rerun updates the figures and keeps the triage."
    ),
)
def run_detection(
    session: SessionDep,
    actor: Triager,
    run: Annotated[DetectionRun | None, Body()] = None,
) -> DetectionSummaryRead:
    chosen = run or DetectionRun()
    keys = None
    if chosen.country or chosen.disease or chosen.source:
        keys = signals.series_keys(
            session=session,
            actor=actor,
            # A country's officer means their own country's series unless they name one.
            country=(chosen.country or actor.country or "").upper() or None,
            disease=chosen.disease,
            source=chosen.source,
        )
    summary = signals.detect_series(
        session=session,
        actor=actor,
        keys=keys,
        methods=chosen.methods,
        weeks=chosen.weeks,
        until=chosen.until,
    )
    return DetectionSummaryRead.model_validate(summary)


@router.get("/signals/{signal_id}", response_model=SignalRead, summary="One signal")
def get_signal(session: SessionDep, actor: Reader, signal_id: int) -> SignalRead:
    return SignalRead.model_validate(
        signal_queue.get_signal(session=session, actor=actor, signal_id=signal_id)
    )


@router.patch(
    "/signals/{signal_id}",
    response_model=SignalRead,
    summary="Triage a signal",
    description=(
        "Sets the status (new, monitor, verify, discarded) with an optional note. Officers of "
        "the signal's country, and regional ones, may; it is audited."
    ),
)
def triage_signal(
    session: SessionDep, actor: Triager, signal_id: int, triage: SignalTriage
) -> SignalRead:
    signal = signal_queue.triage_signal(
        session=session,
        actor=actor,
        signal_id=signal_id,
        status=triage.status,
        note=triage.note,
    )
    return SignalRead.model_validate(signal)
