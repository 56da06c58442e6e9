"""7-1-7: met, missed and pending by hand, bottleneck naming, quarter boundaries, the regional
table, and properties (more delay never turns missed into met; shares and counts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthbridge.analytics.eoc.timeliness import (
    EarlyResponseAction,
    EventDates,
    Status,
    Timeliness,
    assess,
    quarter_of,
    regional_table,
)

A = EarlyResponseAction
D0 = date(2026, 1, 5)  # emergence in the hand-checked examples


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def all_actions(n: int) -> dict[EarlyResponseAction, date]:
    return dict.fromkeys(A, day(n))


def test_all_met_on_the_limits() -> None:
    # Detected on day 7 (7 days), notified on day 8 (1 day), last action on day 15 (7 days).
    event = EventDates("THA", day(0), day(7), day(8), all_actions(15))
    result = assess(event, today=day(30))
    assert [(r.days, r.status) for r in result.results] == [
        (7, Status.MET),
        (1, Status.MET),
        (7, Status.MET),
    ]
    assert result.bottlenecks == () and result.late_actions == ()
    assert result.quarter == "2026-Q1"
    assert [r.elapsed_days for r in result.results] == [7, 1, 7]
    assert [r.deadline for r in result.results] == [day(7), day(8), day(15)]


def test_each_target_missed_by_one_day_names_its_bottleneck() -> None:
    actions = {**all_actions(12), A.LAB_CONFIRMATION: day(18), A.COORDINATION: day(19)}
    event = EventDates("VNM", day(0), day(8), day(10), actions)
    result = assess(event, today=day(30))
    assert [(r.days, r.status) for r in result.results] == [
        (8, Status.MISSED),
        (2, Status.MISSED),
        (9, Status.MISSED),
    ]
    assert result.late_actions == (A.LAB_CONFIRMATION, A.COORDINATION)
    assert result.bottlenecks == (
        "detection",
        "notification",
        "Obtain laboratory confirmation",
        "Establish coordination mechanism (e.g. EOC activation)",
    )


def test_only_the_late_step_is_named() -> None:
    event = EventDates("LAO", day(0), day(3), day(6), all_actions(7))
    result = assess(event, today=day(30))
    assert [r.status for r in result.results] == [Status.MET, Status.MISSED, Status.MET]
    assert result.bottlenecks == ("notification",)


@pytest.mark.parametrize(
    ("today", "status"),
    [(day(6), Status.PENDING), (day(7), Status.PENDING), (day(8), Status.MISSED)],
)
def test_detection_pending_until_its_window_passes(today: date, status: Status) -> None:
    result = assess(EventDates("THA", emergence=day(0)), today=today)
    assert result.detection.status is status and result.detection.days is None
    assert result.detection.deadline == day(7)
    assert result.detection.elapsed_days == (today - day(0)).days
    assert result.bottlenecks == (("detection",) if status is Status.MISSED else ())
    # Nothing downstream can start yet.
    assert result.notification.status is Status.PENDING and result.notification.deadline is None
    assert result.response.status is Status.PENDING


@pytest.mark.parametrize(
    ("today", "status"),
    [(day(3), Status.PENDING), (day(4), Status.PENDING), (day(5), Status.MISSED)],
)
def test_notification_window_is_one_day(today: date, status: Status) -> None:
    result = assess(EventDates("THA", day(0), detection=day(3)), today=today)
    assert result.detection.status is Status.MET
    assert result.notification.status is status


def test_response_pending_then_missed_naming_unfinished_actions() -> None:
    actions = {a: day(5) for a in A if a is not A.RISK_COMMUNICATION}
    event = EventDates("PHL", day(0), day(2), day(3), actions)
    assert assess(event, today=day(10)).response.status is Status.PENDING
    late = assess(event, today=day(11))
    assert late.response.status is Status.MISSED and late.response.days is None
    assert late.late_actions == (A.RISK_COMMUNICATION,)
    assert late.bottlenecks == (
        "Initiate appropriate risk communication and community engagement activities",
    )


def test_not_applicable_actions_are_not_waited_for() -> None:
    actions = {a: day(5) for a in A if a is not A.LAB_CONFIRMATION}
    event = EventDates("MYS", day(0), day(2), day(3), actions, frozenset({A.LAB_CONFIRMATION}))
    result = assess(event, today=day(5))
    assert result.response.status is Status.MET and result.response.days == 2


def test_actions_before_notification_count_as_zero_days() -> None:
    event = EventDates("IDN", day(0), day(1), day(4), all_actions(2))
    result = assess(event, today=day(4))
    assert result.response.days == 0 and result.response.status is Status.MET


def test_no_dates_at_all_is_pending_without_quarter() -> None:
    result = assess(EventDates("KHM"), today=day(100))
    assert [r.status for r in result.results] == [Status.PENDING] * 3
    assert result.quarter is None
    assert [r.elapsed_days for r in result.results] == [None] * 3


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (EventDates("THA", day(5), day(4)), "detection"),
        (EventDates("THA", day(0), day(4), day(3)), "notification"),
        (
            EventDates("THA", day(0), day(4), day(5), {A.INVESTIGATION: day(3)}),
            "actions.investigation",
        ),
        (EventDates("THA", day(0), day(4), day(5), {"triage": day(6)}), "actions"),  # type: ignore[dict-item]
        (EventDates("THA", day(0), "2026-01-09"), "detection"),  # type: ignore[arg-type]
        (EventDates(" "), "country"),
        (EventDates("THA", not_applicable=frozenset({"triage"})), "not_applicable"),
    ],
)
def test_bad_dates_name_the_field(event: EventDates, field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        assess(event, today=day(30))


@pytest.mark.parametrize(
    ("detected", "quarter"),
    [
        (date(2026, 3, 31), "2026-Q1"),
        (date(2026, 4, 1), "2026-Q2"),
        (date(2026, 6, 30), "2026-Q2"),
        (date(2026, 7, 1), "2026-Q3"),
        (date(2026, 9, 30), "2026-Q3"),
        (date(2026, 10, 1), "2026-Q4"),
        (date(2026, 12, 31), "2026-Q4"),
        (date(2027, 1, 1), "2027-Q1"),
    ],
)
def test_quarter_boundaries(detected: date, quarter: str) -> None:
    assert quarter_of(detected) == quarter
    # The quarter is that of detection, not emergence.
    event = EventDates("THA", detected - timedelta(days=3), detected)
    assert assess(event, today=detected).quarter == quarter


def test_regional_table_by_hand() -> None:
    today = date(2026, 12, 1)
    records = [
        # Thailand Q1: met, met, met; 5, 0 and 4 days.
        assess(
            EventDates(
                "THA",
                date(2026, 3, 20),
                date(2026, 3, 25),
                date(2026, 3, 25),
                dict.fromkeys(A, date(2026, 3, 29)),
            ),
            today=today,
        ),
        # Thailand Q1: detection missed (9 days), notification met (1), response missed (10).
        assess(
            EventDates(
                "THA",
                date(2026, 1, 1),
                date(2026, 1, 10),
                date(2026, 1, 11),
                dict.fromkeys(A, date(2026, 1, 21)),
            ),
            today=today,
        ),
        # Thailand Q2 (detected on 1 April): detection met (2), the rest pending.
        assess(EventDates("THA", date(2026, 3, 30), date(2026, 4, 1)), today=date(2026, 4, 1)),
        # Viet Nam Q1.
        assess(
            EventDates("VNM", date(2026, 2, 1), date(2026, 2, 3), date(2026, 2, 6)), today=today
        ),
        # No quarter: left out.
        assess(EventDates("VNM"), today=today),
    ]
    rows = regional_table(records)
    assert [(r.country, r.quarter, r.n_events) for r in rows] == [
        ("THA", "2026-Q1", 2),
        ("THA", "2026-Q2", 1),
        ("VNM", "2026-Q1", 1),
    ]
    tha_q1, tha_q2, vnm_q1 = rows
    assert (tha_q1.detection.n_met, tha_q1.detection.n_missed, tha_q1.detection.share_met) == (
        1,
        1,
        0.5,
    )
    assert tha_q1.detection.median_days == 7.0  # median of 5 and 9
    assert tha_q1.notification.share_met == 1.0 and tha_q1.notification.median_days == 0.5
    assert tha_q1.response.share_met == 0.5 and tha_q1.response.median_days == 7.0  # 4 and 10
    assert tha_q2.notification.n_pending == 1 and tha_q2.notification.share_met is None
    assert tha_q2.response.median_days is None
    # Viet Nam: notified after 3 days, response never completed: both missed.
    assert vnm_q1.notification.share_met == 0.0 and vnm_q1.response.n_missed == 1


def test_regional_table_of_nothing_is_empty() -> None:
    assert regional_table([]) == []


# Gaps of 0 to 12 days, missing one time in fourteen: every status of every target comes up.
maybe = st.sampled_from([None, *range(13)])


@st.composite
def events(draw: st.DrawFn) -> EventDates:
    start = date(2025, 1, 1) + timedelta(days=draw(st.integers(0, 730)))
    emergence = start
    detection = None if (gap := draw(maybe)) is None else emergence + timedelta(days=gap)
    notification = None
    actions: dict[EarlyResponseAction, date] = {}
    if detection is not None:
        if (gap := draw(maybe)) is not None:
            notification = detection + timedelta(days=gap)
        for action in A:
            if (gap := draw(maybe)) is not None:
                actions[action] = detection + timedelta(days=gap)
    not_applicable = frozenset(draw(st.sets(st.sampled_from(list(A)), max_size=3)))
    country = draw(st.sampled_from(["THA", "VNM", "LAO"]))
    return EventDates(country, emergence, detection, notification, actions, not_applicable)


def delayed(event: EventDates, step: str, by: int) -> EventDates:
    """The same event with ``step`` and everything after it ``by`` days later."""

    def later(d: date | None) -> date | None:
        return None if d is None else d + timedelta(days=by)

    shifted = {a: d + timedelta(days=by) for a, d in event.actions.items()}
    if step == "detection":
        return EventDates(
            event.country,
            event.emergence,
            later(event.detection),
            later(event.notification),
            shifted,
            event.not_applicable,
        )
    if step == "notification":
        return EventDates(
            event.country,
            event.emergence,
            event.detection,
            later(event.notification),
            shifted,
            event.not_applicable,
        )
    return EventDates(
        event.country,
        event.emergence,
        event.detection,
        event.notification,
        shifted,
        event.not_applicable,
    )


@given(
    events(),
    st.sampled_from(["detection", "notification", "response"]),
    st.integers(1, 20),
    st.integers(0, 60),
)
def test_more_delay_never_turns_missed_into_met(
    event: EventDates, step: str, by: int, wait: int
) -> None:
    today = (event.emergence or date(2025, 1, 1)) + timedelta(days=wait)
    before = assess(event, today=today)
    after = assess(delayed(event, step, by), today=today)
    for old, new in zip(before.results, after.results, strict=True):
        assert not (old.status is Status.MISSED and new.status is Status.MET)
        if old.step.value == step:
            if old.status is Status.MISSED:
                assert new.status is Status.MISSED
            if old.days is not None and new.days is not None:
                assert new.days >= old.days


@given(events(), st.integers(0, 60))
def test_bottlenecks_name_exactly_the_missed_steps(event: EventDates, wait: int) -> None:
    result = assess(event, today=(event.emergence or date(2025, 1, 1)) + timedelta(days=wait))
    named = set(result.bottlenecks)
    assert ("detection" in named) is (result.detection.status is Status.MISSED)
    assert ("notification" in named) is (result.notification.status is Status.MISSED)
    assert bool(result.late_actions) is (result.response.status is Status.MISSED)
    assert not set(result.late_actions) & event.not_applicable


@given(st.lists(events(), max_size=25), st.integers(0, 400))
def test_regional_shares_in_unit_interval_and_counts_add_up(
    found: list[EventDates], wait: int
) -> None:
    today = date(2025, 1, 1) + timedelta(days=wait)
    records: list[Timeliness] = [assess(e, today=max(today, e.emergence or today)) for e in found]
    rows = regional_table(records)
    assert sum(r.n_events for r in rows) == sum(r.quarter is not None for r in records)
    assert len({(r.country, r.quarter) for r in rows}) == len(rows)
    for row in rows:
        for summary in (row.detection, row.notification, row.response):
            assert summary.n_met + summary.n_missed + summary.n_pending == row.n_events
            if summary.share_met is None:
                assert summary.n_met + summary.n_missed == 0
            else:
                assert 0.0 <= summary.share_met <= 1.0
            if summary.median_days is not None:
                assert summary.median_days >= 0
