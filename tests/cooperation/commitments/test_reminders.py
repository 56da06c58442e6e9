"""Reminders: one e-mail per recipient, kind and day, to the right people, queued once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.cooperation.commitments.arrange import make_commitment

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.accounts.schemas import UserUpdate
from healthbridge.cooperation.commitments import reminders, service
from healthbridge.cooperation.commitments.schemas import EvidenceCreate, StatusChangeCreate
from healthbridge.errors import Forbidden, Invalid
from healthbridge.notifications import service as outbox
from healthbridge.policy import Principal, Role

TODAY = service.today()
DAY = dt.timedelta(days=1)
MakeUser = Callable[..., User]


@pytest.fixture
def people(make_user: MakeUser) -> dict[str, User]:
    return {
        "tha": make_user(Role.FOCAL_POINT, "THA", full_name="Somchai Wongsakul"),
        "tha2": make_user(Role.FOCAL_POINT, "THA"),
        "vnm": make_user(Role.FOCAL_POINT, "VNM"),
        "asec": make_user(Role.SECRETARIAT, None, full_name="Daniel Tan"),
        "epi": make_user(Role.EPIDEMIOLOGIST, "THA"),  # not a focal point: never reminded
    }


def made(session: Session, actor: Principal, meeting_id: int, **fields: Any) -> Any:
    return make_commitment(session, actor, meeting_id, **fields)


def test_overdue_and_due_soon_commitments_are_reminded_once_a_day(
    session: Session, operator: Principal, meeting_id: int, people: dict[str, User]
) -> None:
    late = made(session, operator, meeting_id, text="Send the lab report", due_on=TODAY - 3 * DAY)
    made(session, operator, meeting_id, text="Older one", due_on=TODAY - 40 * DAY)
    made(session, operator, meeting_id, text="Share UHC figures", due_on=TODAY + 5 * DAY)
    made(session, operator, meeting_id, text="Far away", due_on=TODAY + 60 * DAY)
    made(
        session,
        operator,
        meeting_id,
        text="Viet Nam soon",
        owed_by_country="VNM",
        due_on=TODAY + 14 * DAY,
    )
    made(
        session,
        operator,
        meeting_id,
        text="WHO late",
        owed_by_organisation="WHO",
        due_on=TODAY - DAY,
    )
    made(session, operator, meeting_id, text="ASEC soon", owed_by_organisation="ASEC", due_on=TODAY)
    made(session, operator, meeting_id, text="Undated", owed_by_country="LAO")
    delivered = made(
        session, operator, meeting_id, text="Done", status="agreed", due_on=TODAY - DAY
    )
    service.change_status(
        session=session,
        actor=operator,
        commitment_id=delivered.id,
        change=StatusChangeCreate(
            status="delivered", evidence=EvidenceCreate(kind="delivery", reference="D-1")
        ),
    )

    summary = reminders.queue_reminders(session=session, actor=operator, within=14)

    assert (summary.overdue, summary.due_soon, summary.commitments) == (3, 3, 6)
    # THA: 2 focal points x (overdue, due soon); VNM: 1 x due soon; secretariat: overdue, due soon.
    assert (summary.queued, summary.already_queued) == (7, 0)
    assert summary.unreachable == []
    queued = {(e.to_address, e.subject) for e in outbox.pending(session=session)}
    tha, asec = people["tha"].email, people["asec"].email
    assert (tha, "[HealthBridge] 2 commitments overdue") in queued
    assert (tha, "[HealthBridge] 1 commitment due within 14 days") in queued
    assert (people["vnm"].email, "[HealthBridge] 1 commitment due within 14 days") in queued
    assert (asec, "[HealthBridge] 1 commitment overdue") in queued
    assert (asec, "[HealthBridge] 1 commitment due within 14 days") in queued
    assert people["epi"].email not in {to for to, _ in queued}
    body = next(
        e.body
        for e in outbox.pending(session=session)
        if e.to_address == tha and "overdue" in e.subject
    )
    assert body.startswith("Dear Somchai Wongsakul,")
    assert f"#{late.id} Send the lab report" in body
    assert "3 days overdue" in body
    assert "Owed by Thailand" in body
    assert "2nd ASEAN–Republic of Korea Health Ministers' Meeting" in body
    assert f"/commitments/{late.id}" in body
    assert "Far away" not in body and "Done" not in body

    again = reminders.queue_reminders(session=session, actor=operator, within=14)
    assert (again.queued, again.already_queued) == (0, 7)
    assert outbox.count_pending(session=session) == 7
    # The next day, they are reminded again.
    tomorrow = reminders.queue_reminders(session=session, actor=operator, on=TODAY + DAY)
    assert tomorrow.queued > 0


def test_inactive_focal_points_are_not_reminded_and_nobody_is_reported(
    session: Session, operator: Principal, meeting_id: int, make_user: MakeUser
) -> None:
    gone = make_user(Role.FOCAL_POINT, "LAO")
    accounts.update_user(
        session=session, actor=operator, user_id=gone.id, changes=UserUpdate(is_active=False)
    )
    made(session, operator, meeting_id, owed_by_country="LAO", due_on=TODAY - DAY)
    summary = reminders.queue_reminders(session=session, actor=operator)
    assert (summary.overdue, summary.queued) == (1, 0)
    assert summary.unreachable == ["LAO"]


def test_nothing_due_queues_nothing(session: Session, operator: Principal) -> None:
    summary = reminders.queue_reminders(session=session, actor=operator)
    assert (summary.commitments, summary.queued) == (0, 0)


def test_only_regional_users_run_reminders(
    session: Session, tha_focal: Principal, secretariat: Principal, operator: Principal
) -> None:
    with pytest.raises(Forbidden):
        reminders.queue_reminders(session=session, actor=tha_focal)
    with pytest.raises(Forbidden):
        reminders.queue_reminders(
            session=session, actor=Principal(email="v@example.org", role=Role.VIEWER, country=None)
        )
    assert reminders.queue_reminders(session=session, actor=secretariat).queued == 0
    with pytest.raises(Invalid) as refused:
        reminders.queue_reminders(session=session, actor=operator, within=400)
    assert [e.field for e in refused.value.errors] == ["within"]
