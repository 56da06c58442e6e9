"""Field investigations on both databases: validation naming fields, a cross-border team member,
sample shipments, the task status rules, overdue tasks and their reminders (once a day), and
scoping (other countries: 404; read-only users: 403 on writes); every change audited."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit.models import AuditEntry
from healthbridge.eoc import investigations as inv
from healthbridge.eoc import service
from healthbridge.eoc.investigation_models import InvestigationTask
from healthbridge.errors import Conflict, Forbidden, Invalid, NotFound
from healthbridge.notifications import service as outbox
from healthbridge.policy import Principal, Role

THAI_EOC = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
THAI_VIEWER = Principal(email="viewer@tha", role=Role.VIEWER, country="THA")
VIET_EOC = Principal(email="eoc@vnm", role=Role.EOC_OFFICER, country="VNM")
OPERATOR = Principal(email="cli:ops", role=Role.REGIONAL_ADMIN, country=None, via="cli")
TODAY = dt.date(2024, 8, 10)
DAY = dt.timedelta(days=1)


def _event(session: Session, country: str = "THA", actor: Principal = THAI_EOC) -> int:
    event = service.create_event(
        session=session,
        actor=actor,
        new=service.NewEvent(country=country, disease="dengue", title="Dengue cluster"),
    )
    return event.id


def _investigation(session: Session, event_id: int, **values: object) -> int:
    fields = {"title": "Cluster in Bang Khen", "started_on": TODAY - 5 * DAY, **values}
    made = inv.create_investigation(
        session=session, actor=THAI_EOC, event_id=event_id, values=fields, on=TODAY
    )
    return made.id


def _fields(error: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return {e.field for e in error.value.errors}


def test_an_investigation_is_started_changed_and_audited(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(
        session,
        event_id,
        case_definition="Fever ≥ 38 °C and two of: rash, myalgia, headache",
        line_list_url="https://drive.example.org/line-list.xlsx",
    )
    changed = inv.update_investigation(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        values={"findings": "Breeding sites around the market", "ended_on": TODAY},
        on=TODAY,
    )
    assert changed.findings == "Breeding sites around the market"
    assert changed.ended_on == TODAY
    listed = inv.list_investigations(session=session, actor=THAI_VIEWER, event_id=event_id)
    assert [i.id for i in listed] == [investigation_id]
    actions = list(
        session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "field_investigation")
        )
    )
    assert actions == ["investigation.create", "investigation.update"]


def test_bad_investigations_are_refused_naming_the_fields(session: Session) -> None:
    event_id = _event(session)
    with pytest.raises(Invalid) as bad:
        inv.create_investigation(
            session=session,
            actor=THAI_EOC,
            event_id=event_id,
            values={
                "title": "  ",
                "started_on": TODAY + DAY,
                "line_list_url": "ftp://files.example.org/list",
            },
            on=TODAY,
        )
    assert _fields(bad) == {"title", "started_on", "line_list_url"}
    with pytest.raises(Invalid) as backwards:
        _investigation(session, event_id, ended_on=TODAY - 6 * DAY)
    assert _fields(backwards) == {"ended_on"}
    with pytest.raises(Invalid) as no_host:
        _investigation(session, event_id, line_list_url="https:///nohost")
    assert _fields(no_host) == {"line_list_url"}
    investigation_id = _investigation(session, event_id)
    with pytest.raises(Invalid) as start_after_end:
        inv.update_investigation(
            session=session,
            actor=THAI_EOC,
            event_id=event_id,
            investigation_id=investigation_id,
            values={"ended_on": TODAY - 10 * DAY},
            on=TODAY,
        )
    assert _fields(start_after_end) == {"ended_on"}
    assert len(inv.list_investigations(session=session, actor=THAI_EOC, event_id=event_id)) == 1


def test_a_cross_border_team_and_samples(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(session, event_id)
    member = inv.add_member(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        member=inv.MemberInput(
            name="Dr Nguyen Van A",
            role="field epidemiologist",
            country="vnm",
            organisation="ASEAN",
            email="Nguyen@Example.org",
        ),
    )
    assert (member.country_code, member.email) == ("VNM", "nguyen@example.org")
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "investigation.member.add")
    ).one()
    assert entry.detail is not None and entry.detail["cross_border"] is True
    assert "Nguyen" not in str(entry.detail)  # no personal data in the audit log
    with pytest.raises(Invalid) as bad:
        inv.add_member(
            session=session,
            actor=THAI_EOC,
            event_id=event_id,
            investigation_id=investigation_id,
            member=inv.MemberInput(
                name="", role="x", country="XXX", organisation="NOPE", email="not-an-address"
            ),
        )
    assert _fields(bad) == {"name", "country", "organisation", "email"}
    shipment = inv.record_samples(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        shipment=inv.SampleInput(
            samples=12, specimen="serum", laboratory="NIH Thailand", sent_on=TODAY - DAY
        ),
        on=TODAY,
    )
    assert shipment.samples == 12
    with pytest.raises(Invalid) as bad_samples:
        inv.record_samples(
            session=session,
            actor=THAI_EOC,
            event_id=event_id,
            investigation_id=investigation_id,
            shipment=inv.SampleInput(samples=0, specimen="", laboratory="L", sent_on=TODAY + DAY),
            on=TODAY,
        )
    assert _fields(bad_samples) == {"samples", "specimen", "sent_on"}
    read = inv.get_investigation(
        session=session, actor=THAI_VIEWER, event_id=event_id, investigation_id=investigation_id
    )
    assert [m.name for m in read.members] == ["Dr Nguyen Van A"]
    assert len(read.samples) == 1
    inv.remove_member(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        member_id=member.id,
    )
    session.expire_all()
    read = inv.get_investigation(
        session=session, actor=THAI_EOC, event_id=event_id, investigation_id=investigation_id
    )
    assert read.members == []


def _task(session: Session, event_id: int, investigation_id: int, **kw: object) -> int:
    fields: dict[str, object] = {"title": "Collect the line list", "assignee_email": "a@x.org"}
    fields.update(kw)
    task = inv.add_task(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        task=inv.TaskInput(**fields),  # type: ignore[arg-type]
    )
    return task.id


def test_task_status_rules(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(session, event_id)
    ids = {"e": event_id, "i": investigation_id}

    def move(task_id: int, status: str) -> InvestigationTask:
        return inv.update_task(
            session=session,
            actor=THAI_EOC,
            event_id=ids["e"],
            investigation_id=ids["i"],
            task_id=task_id,
            status=status,
            on=TODAY,
        )

    with pytest.raises(Invalid) as bad:
        _task(session, event_id, investigation_id, title="", assignee_email="nobody")
    assert _fields(bad) == {"title", "assignee_email"}
    task_id = _task(session, event_id, investigation_id)
    assert move(task_id, "in_progress").status == "in_progress"
    assert move(task_id, "open").status == "open"
    done = move(task_id, "done")
    assert (done.status, done.completed_on) == ("done", TODAY)
    for status in ("open", "in_progress", "cancelled"):
        with pytest.raises(Conflict):
            move(task_id, status)
    with pytest.raises(Invalid) as unknown:
        move(_task(session, event_id, investigation_id), "finished")
    assert _fields(unknown) == {"status"}
    cancelled = move(_task(session, event_id, investigation_id), "cancelled")
    assert cancelled.completed_on is None
    with pytest.raises(Conflict):
        move(cancelled.id, "done")


def test_overdue_tasks_are_reminded_once_a_day(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(session, event_id)
    late = _task(session, event_id, investigation_id, due_on=TODAY - 2 * DAY)
    _task(session, event_id, investigation_id, title="Map the sites", due_on=TODAY - DAY)
    _task(session, event_id, investigation_id, assignee_email="b@x.org", due_on=TODAY - DAY)
    _task(session, event_id, investigation_id, assignee_email="c@x.org", due_on=TODAY)
    finished = _task(
        session, event_id, investigation_id, assignee_email="d@x.org", due_on=TODAY - 3 * DAY
    )
    inv.update_task(
        session=session,
        actor=THAI_EOC,
        event_id=event_id,
        investigation_id=investigation_id,
        task_id=finished,
        status="done",
        on=TODAY,
    )
    overdue = inv.overdue_tasks(session=session, actor=THAI_VIEWER, today=TODAY)
    assert overdue[0].id == late and len(overdue) == 3
    assert inv.overdue_tasks(session=session, actor=VIET_EOC, today=TODAY) == []

    summary = inv.queue_task_reminders(session=session, actor=OPERATOR, today=TODAY)
    assert (summary.overdue, summary.queued, summary.already_queued) == (3, 2, 0)
    pending = outbox.pending(session=session)
    assert sorted(e.to_address for e in pending) == ["a@x.org", "b@x.org"]
    to_a = next(e for e in pending if e.to_address == "a@x.org")
    assert "2 investigation tasks overdue" in to_a.subject
    assert "Map the sites" in to_a.body and "2 days overdue" in to_a.body
    again = inv.queue_task_reminders(session=session, actor=OPERATOR, today=TODAY)
    assert (again.queued, again.already_queued) == (0, 2)
    assert len(outbox.pending(session=session)) == 2
    assert session.get(InvestigationTask, late).reminded_on == TODAY  # type: ignore[union-attr]
    tomorrow = inv.queue_task_reminders(session=session, actor=OPERATOR, today=TODAY + DAY)
    assert tomorrow.queued == 3  # c@x.org's task is overdue tomorrow too
    with pytest.raises(Forbidden):
        inv.queue_task_reminders(session=session, actor=THAI_VIEWER, today=TODAY)
    # Viet Nam's responders remind only of the events they manage: none of Thailand's.
    assert inv.queue_task_reminders(session=session, actor=VIET_EOC, today=TODAY).overdue == 0


def test_open_tasks_come_overdue_first(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(session, event_id)
    undated = _task(session, event_id, investigation_id, title="undated")
    later = _task(session, event_id, investigation_id, due_on=TODAY + 3 * DAY)
    late = _task(session, event_id, investigation_id, due_on=TODAY - DAY)
    tasks = inv.open_tasks(session=session, actor=THAI_VIEWER, on=TODAY)
    assert [t.id for t in tasks] == [late, later, undated]
    assert inv.open_tasks(session=session, actor=VIET_EOC, on=TODAY) == []


def test_other_countries_do_not_see_and_viewers_do_not_write(session: Session) -> None:
    event_id = _event(session)
    investigation_id = _investigation(session, event_id)
    task_id = _task(session, event_id, investigation_id)
    ids = {"event_id": event_id, "investigation_id": investigation_id}
    with pytest.raises(NotFound):
        inv.list_investigations(session=session, actor=VIET_EOC, event_id=event_id)
    with pytest.raises(NotFound):
        inv.get_investigation(session=session, actor=VIET_EOC, **ids)
    with pytest.raises(NotFound):
        inv.create_investigation(
            session=session,
            actor=VIET_EOC,
            event_id=event_id,
            values={"title": "x", "started_on": TODAY},
        )
    with pytest.raises(NotFound):
        inv.update_task(session=session, actor=VIET_EOC, task_id=task_id, status="done", **ids)
    member = inv.MemberInput(name="A", role="B", country="THA")
    for actor in (THAI_VIEWER,):
        with pytest.raises(Forbidden):
            inv.add_member(session=session, actor=actor, member=member, **ids)
        with pytest.raises(Forbidden):
            inv.update_task(session=session, actor=actor, task_id=task_id, status="done", **ids)
        with pytest.raises(Forbidden):
            inv.update_investigation(session=session, actor=actor, values={"findings": "x"}, **ids)
    # An investigation of another event is not found through this one.
    other_event = _event(session)
    with pytest.raises(NotFound):
        inv.get_investigation(
            session=session, actor=THAI_EOC, event_id=other_event, investigation_id=investigation_id
        )
    # Shared with Viet Nam, the event's investigations (and team) become visible there.
    service.share_event(session=session, actor=THAI_EOC, event_id=event_id, countries=["VNM"])
    assert inv.get_investigation(session=session, actor=VIET_EOC, **ids).id == investigation_id
    with pytest.raises(Forbidden):
        inv.add_member(session=session, actor=VIET_EOC, member=member, **ids)


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_any_line_list_address_is_judged_without_crashing(text: str) -> None:
    problem = inv.web_address_problem(text)
    if problem is None:
        assert text.lower().startswith(("http://", "https://"))
        assert not any(c.isspace() for c in text)


@given(st.from_regex(r"https?://[a-z]{1,12}\.[a-z]{2,4}(/[a-z0-9_-]{0,12})*", fullmatch=True))
@settings(max_examples=100, deadline=None)
def test_web_addresses_are_accepted(url: str) -> None:
    assert inv.web_address_problem(url) is None
