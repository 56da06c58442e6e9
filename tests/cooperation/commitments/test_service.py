"""The commitments service: recording, scope, every transition rule, evidence, lists, scorecard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.cooperation.commitments.arrange import (
    make_commitment,
    make_document,
    make_meeting,
    make_project,
)

from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import (
    Commitment,
    CommitmentKind,
    CommitmentStatus,
    EvidenceKind,
)
from healthbridge.cooperation.commitments.schemas import (
    CommitmentCreate,
    CommitmentUpdate,
    EvidenceCreate,
    StatusChangeCreate,
)
from healthbridge.cooperation.commitments.scorecard import scorecard
from healthbridge.errors import Conflict, Forbidden, HealthBridgeError, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role

S = CommitmentStatus
TODAY = service.today()
LINK = EvidenceCreate(kind=EvidenceKind.LINK, url="https://example.org/report")


def fields_of(error: HealthBridgeError) -> set[str]:
    return {e.field for e in error.errors}


def create(session: Session, actor: Principal, meeting_id: int, **fields: Any) -> Commitment:
    return make_commitment(session, actor, meeting_id, **fields)


def move(
    session: Session, actor: Principal, commitment: Commitment, status: S, **change: Any
) -> Commitment:
    return service.change_status(
        session=session,
        actor=actor,
        commitment_id=commitment.id,
        change=StatusChangeCreate(status=status, **change),
    )


def audit_actions(session: Session, object_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "commitment", AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )


# --- recording ---------------------------------------------------------------------------------


def test_a_commitment_is_recorded_with_its_first_history_row_and_audited(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = create(
        session,
        operator,
        meeting_id,
        text="  Share UHC progress figures  ",
        kind="follow_up",
        owed_to_organisation="asec",
        due_on=TODAY + dt.timedelta(days=10),
        note="From the joint statement",
    )
    assert commitment.text == "Share UHC progress figures"
    assert commitment.kind == "follow_up"
    assert (commitment.owed_by, commitment.owed_by_country, commitment.owed_by_organisation) == (
        "THA",
        "THA",
        None,
    )
    assert commitment.owed_to == "ASEC"
    assert commitment.status == "proposed"
    assert commitment.created_by == operator.actor_label
    [first] = commitment.history
    assert (first.from_status, first.to_status, first.note) == (
        None,
        "proposed",
        "From the joint statement",
    )
    assert audit_actions(session, commitment.id) == ["commitment.create"]


def test_an_organisation_can_owe_and_the_region_be_owed(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = create(
        session, operator, meeting_id, owed_by_organisation="usa-cdc", status="agreed"
    )
    assert (commitment.owed_by, commitment.owed_by_country, commitment.owed_to) == (
        "USA-CDC",
        None,
        None,
    )
    assert commitment.status == "agreed"


@pytest.mark.parametrize(
    "owed",
    [
        {"owed_by_country": "THA", "owed_by_organisation": "WHO"},
        {},
        {"owed_by_country": "", "owed_by_organisation": "  "},
    ],
    ids=["both", "neither", "blank"],
)
def test_owed_by_exactly_one_of_a_country_or_an_organisation(
    session: Session, operator: Principal, meeting_id: int, owed: dict[str, str]
) -> None:
    data = {"text": "x", "kind": "pledge", "meeting_id": meeting_id, **owed}
    with pytest.raises(Invalid) as refused:
        service.create_commitment(
            session=session, actor=operator, commitment_in=CommitmentCreate.model_validate(data)
        )
    assert fields_of(refused.value) == {"owed_by_country", "owed_by_organisation"}
    assert session.scalars(select(Commitment)).all() == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"owed_by_country": "XXX"}, "owed_by_country"),
        ({"owed_by_country": "USA"}, "owed_by_country"),  # not a served country
        ({"owed_by_organisation": "NOPE"}, "owed_by_organisation"),
        ({"owed_to_country": "ZZZ"}, "owed_to_country"),
        ({"owed_to_organisation": "NOPE"}, "owed_to_organisation"),
        ({"owed_to_country": "KOR", "owed_to_organisation": "WHO"}, "owed_to_country"),
        ({"meeting_id": 999_999}, "meeting_id"),
        ({"meeting_id": None}, "meeting_id"),
        ({"document_id": 999_999}, "document_id"),
        ({"status": "delivered"}, "status"),
        ({"text": "   "}, "text"),
    ],
)
def test_bad_input_is_invalid_naming_the_field(
    session: Session, operator: Principal, meeting_id: int, fields: dict[str, Any], field: str
) -> None:
    fields = dict(fields)
    source = fields.pop("meeting_id", meeting_id)
    with pytest.raises(Invalid) as refused:
        create(session, operator, source, **fields)
    assert field in fields_of(refused.value)
    assert session.scalars(select(Commitment)).all() == []


def test_a_document_gives_its_meeting_and_must_belong_to_the_one_given(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    document = make_document(session, meeting_id)
    other = make_meeting(session, "Another meeting")
    from_document = create(session, operator, None, document_id=document.id)  # type: ignore[arg-type]
    assert (from_document.meeting_id, from_document.document_id) == (meeting_id, document.id)
    with pytest.raises(Invalid) as refused:
        create(session, operator, other.id, document_id=document.id)
    assert fields_of(refused.value) == {"document_id"}


# --- scope -------------------------------------------------------------------------------------


def test_a_focal_point_records_and_moves_their_own_countrys_commitments(
    session: Session, tha_focal: Principal, meeting_id: int
) -> None:
    commitment = create(session, tha_focal, meeting_id)
    moved = move(session, tha_focal, commitment, S.AGREED)
    assert moved.status == "agreed"
    assert moved.history[-1].actor == tha_focal.actor_label


def test_thailands_focal_point_cannot_move_viet_nams_commitment(
    session: Session, operator: Principal, tha_focal: Principal, meeting_id: int
) -> None:
    commitment = create(session, operator, meeting_id, owed_by_country="VNM")
    with pytest.raises(Forbidden) as refused:
        move(session, tha_focal, commitment, S.AGREED)
    assert refused.value.context is not None  # so the border audits the refusal
    assert refused.value.context.country == "VNM"
    for attempt in (
        lambda: service.add_evidence(
            session=session, actor=tha_focal, commitment_id=commitment.id, evidence_in=LINK
        ),
        lambda: service.update_commitment(
            session=session,
            actor=tha_focal,
            commitment_id=commitment.id,
            changes=CommitmentUpdate(text="changed"),
        ),
        lambda: create(session, tha_focal, meeting_id, owed_by_country="VNM"),
    ):
        with pytest.raises(Forbidden):
            attempt()
    assert session.get(Commitment, commitment.id).status == "proposed"  # type: ignore[union-attr]


def test_an_organisations_commitment_is_for_regional_users(
    session: Session,
    operator: Principal,
    tha_focal: Principal,
    secretariat: Principal,
    meeting_id: int,
) -> None:
    with pytest.raises(Forbidden):
        create(session, tha_focal, meeting_id, owed_by_organisation="ASEC")
    commitment = create(session, secretariat, meeting_id, owed_by_organisation="ASEC")
    with pytest.raises(Forbidden) as refused:
        move(session, tha_focal, commitment, S.AGREED)
    assert refused.value.context is not None
    assert "regional" in refused.value.detail
    assert move(session, secretariat, commitment, S.AGREED).status == "agreed"
    assert service.can_write(secretariat, commitment)
    assert not service.can_write(tha_focal, commitment)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EPIDEMIOLOGIST, Role.EOC_OFFICER])
def test_other_roles_read_but_do_not_write(
    session: Session, operator: Principal, meeting_id: int, role: Role
) -> None:
    actor = Principal(email="someone@example.org", role=role, country="THA")
    commitment = create(session, operator, meeting_id)
    assert service.get_commitment(session=session, actor=actor, commitment_id=commitment.id)
    with pytest.raises(Forbidden):
        move(session, actor, commitment, S.AGREED)
    assert not service.can_write(actor, commitment)
    assert not service.can_record(actor)


def test_an_unknown_commitment_is_not_found(session: Session, operator: Principal) -> None:
    with pytest.raises(NotFound):
        service.get_commitment(session=session, actor=operator, commitment_id=424242)
    with pytest.raises(NotFound):
        move(session, operator, Commitment(id=424242), S.AGREED)


# --- transitions -------------------------------------------------------------------------------

#: How to reach each status from a new (proposed) commitment.
PATHS: dict[S, list[S]] = {
    S.PROPOSED: [],
    S.AGREED: [S.AGREED],
    S.IN_PROGRESS: [S.AGREED, S.IN_PROGRESS],
    S.DELIVERED: [S.AGREED, S.DELIVERED],
    S.DROPPED: [S.DROPPED],
}
ALLOWED = {
    (S.PROPOSED, S.AGREED),
    (S.PROPOSED, S.DROPPED),
    (S.AGREED, S.IN_PROGRESS),
    (S.AGREED, S.DELIVERED),
    (S.AGREED, S.DROPPED),
    (S.IN_PROGRESS, S.DELIVERED),
    (S.IN_PROGRESS, S.DROPPED),
}


def _complete(status: S) -> dict[str, Any]:
    """What a move to ``status`` needs besides the status."""
    if status is S.DROPPED:
        return {"note": "no longer pursued"}
    if status is S.DELIVERED:
        return {"evidence": LINK}
    return {}


def reach(session: Session, actor: Principal, meeting_id: int, status: S) -> Commitment:
    commitment = create(session, actor, meeting_id)
    for step in PATHS[status]:
        commitment = move(session, actor, commitment, step, **_complete(step))
    assert commitment.status == status.value
    return commitment


@pytest.mark.parametrize(("start", "target"), [(a, b) for a in S for b in S], ids=lambda s: s.value)
def test_every_transition_rule(
    session: Session, operator: Principal, meeting_id: int, start: S, target: S
) -> None:
    commitment = reach(session, operator, meeting_id, start)
    history = len(commitment.history)
    if (start, target) in ALLOWED:
        moved = move(session, operator, commitment, target, **_complete(target))
        assert moved.status == target.value
        assert len(moved.history) == history + 1
        assert (moved.history[-1].from_status, moved.history[-1].to_status) == (
            start.value,
            target.value,
        )
        assert audit_actions(session, commitment.id)[-1] == "commitment.status"
        return
    with pytest.raises(Conflict) as refused:
        move(session, operator, commitment, target, **_complete(target))
    assert fields_of(refused.value) == {"status"}
    if start in (S.DELIVERED, S.DROPPED):
        assert "final" in refused.value.detail
    session.refresh(commitment)
    assert commitment.status == start.value
    assert len(commitment.history) == history


def test_dropping_needs_a_reason(session: Session, operator: Principal, meeting_id: int) -> None:
    commitment = reach(session, operator, meeting_id, S.IN_PROGRESS)
    for note in (None, "   "):
        with pytest.raises(Invalid) as refused:
            move(session, operator, commitment, S.DROPPED, note=note)
        assert fields_of(refused.value) == {"note"}
    dropped = move(session, operator, commitment, S.DROPPED, note="Merged into another project")
    assert dropped.history[-1].note == "Merged into another project"
    assert dropped.delivered_on is None


def test_delivering_needs_evidence_attached_before_or_given(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = reach(session, operator, meeting_id, S.AGREED)
    with pytest.raises(Invalid) as refused:
        move(session, operator, commitment, S.DELIVERED)
    assert fields_of(refused.value) == {"evidence"}
    service.add_evidence(
        session=session, actor=operator, commitment_id=commitment.id, evidence_in=LINK
    )
    delivered = move(session, operator, commitment, S.DELIVERED)
    assert delivered.status == "delivered"
    assert delivered.delivered_on == TODAY  # default: today
    assert len(delivered.evidence) == 1


def test_delivering_with_evidence_in_the_same_request(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = reach(session, operator, meeting_id, S.IN_PROGRESS)
    delivered = move(
        session,
        operator,
        commitment,
        S.DELIVERED,
        delivered_on=dt.date(2024, 8, 29),
        note="Reported at the 2nd meeting",
        evidence=EvidenceCreate(kind="delivery", reference="RRMS-2024-0042", note="Masks"),
    )
    assert delivered.delivered_on == dt.date(2024, 8, 29)
    [evidence] = delivered.evidence
    assert (evidence.kind, evidence.reference, evidence.note) == (
        "delivery",
        "RRMS-2024-0042",
        "Masks",
    )
    assert evidence.added_by == operator.actor_label


def test_delivered_on_is_never_in_the_future_and_only_for_delivering(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = reach(session, operator, meeting_id, S.AGREED)
    with pytest.raises(Invalid) as refused:
        move(
            session,
            operator,
            commitment,
            S.DELIVERED,
            evidence=LINK,
            delivered_on=TODAY + dt.timedelta(days=1),
        )
    assert fields_of(refused.value) == {"delivered_on"}
    with pytest.raises(Invalid) as refused:
        move(session, operator, commitment, S.IN_PROGRESS, delivered_on=TODAY)
    assert fields_of(refused.value) == {"delivered_on"}
    session.refresh(commitment)
    assert (commitment.status, commitment.evidence) == ("agreed", [])


# --- evidence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "field"),
    [
        ({"kind": "link"}, "url"),
        ({"kind": "link", "url": "ftp://example.org/file"}, "url"),
        ({"kind": "link", "url": "javascript:alert(1)"}, "url"),
        ({"kind": "link", "url": "https://"}, "url"),
        ({"kind": "link", "url": "https://exa mple.org"}, "url"),
        ({"kind": "link", "url": "https://example.org", "project_id": 1}, "project_id"),
        ({"kind": "document"}, "document_id"),
        ({"kind": "document", "document_id": 999_999}, "document_id"),
        ({"kind": "project"}, "project_id"),
        ({"kind": "project", "project_id": 999_999}, "project_id"),
        ({"kind": "delivery"}, "reference"),
        ({"kind": "delivery", "reference": "  "}, "reference"),
        ({"kind": "delivery", "reference": "R-1", "url": "https://example.org"}, "url"),
    ],
)
def test_evidence_needs_what_its_kind_needs_and_nothing_else(
    session: Session, operator: Principal, meeting_id: int, evidence: dict[str, Any], field: str
) -> None:
    commitment = reach(session, operator, meeting_id, S.AGREED)
    with pytest.raises(Invalid) as refused:
        service.add_evidence(
            session=session,
            actor=operator,
            commitment_id=commitment.id,
            evidence_in=EvidenceCreate.model_validate(evidence),
        )
    assert field in fields_of(refused.value)
    # Given with a status change, the fields are named inside ``evidence``.
    with pytest.raises(Invalid) as refused:
        move(
            session,
            operator,
            commitment,
            S.DELIVERED,
            evidence=EvidenceCreate.model_validate(evidence),
        )
    assert f"evidence.{field}" in fields_of(refused.value)
    session.refresh(commitment)
    assert (commitment.status, commitment.evidence) == ("agreed", [])


def test_every_kind_of_evidence_is_kept(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = reach(session, operator, meeting_id, S.IN_PROGRESS)
    document = make_document(session, meeting_id)
    project = make_project(session)
    for evidence in (
        EvidenceCreate(kind="document", document_id=document.id),
        EvidenceCreate(kind="link", url="HTTP://Example.org/a?b=c"),
        EvidenceCreate(kind="project", project_id=project.id, note="Phase 1"),
        EvidenceCreate(kind="delivery", reference="DEL-7"),
    ):
        service.add_evidence(
            session=session, actor=operator, commitment_id=commitment.id, evidence_in=evidence
        )
    session.refresh(commitment)
    assert [
        (e.kind, e.document_id, e.url, e.project_id, e.reference) for e in commitment.evidence
    ] == [
        ("document", document.id, None, None, None),
        ("link", None, "HTTP://Example.org/a?b=c", None, None),
        ("project", None, None, project.id, None),
        ("delivery", None, None, None, "DEL-7"),
    ]
    assert audit_actions(session, commitment.id).count("commitment.evidence") == 4
    # Evidence can still be added once delivered.
    delivered = move(session, operator, commitment, S.DELIVERED)
    service.add_evidence(
        session=session, actor=operator, commitment_id=delivered.id, evidence_in=LINK
    )
    assert len(delivered.evidence) == 5


# --- corrections -------------------------------------------------------------------------------


def test_text_due_date_and_owed_to_are_corrected(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = create(session, operator, meeting_id, owed_to_country="KOR")
    changed = service.update_commitment(
        session=session,
        actor=operator,
        commitment_id=commitment.id,
        changes=CommitmentUpdate(text="New text", due_on=dt.date(2027, 1, 31)),
    )
    assert (changed.text, changed.due_on, changed.owed_to) == (
        "New text",
        dt.date(2027, 1, 31),
        "KOR",
    )
    changed = service.update_commitment(
        session=session,
        actor=operator,
        commitment_id=commitment.id,
        changes=CommitmentUpdate(owed_to_organisation="WHO"),
    )
    assert (changed.owed_to_country, changed.owed_to_organisation) == (None, "WHO")
    changed = service.update_commitment(
        session=session,
        actor=operator,
        commitment_id=commitment.id,
        changes=CommitmentUpdate.model_validate({"owed_to_country": None, "due_on": None}),
    )
    assert (changed.owed_to, changed.due_on) == (None, None)
    assert audit_actions(session, commitment.id).count("commitment.update") == 3


def test_corrections_refuse_bad_values(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    commitment = reach(session, operator, meeting_id, S.DELIVERED)
    for changes, field, error in (
        ({"text": None}, "text", Invalid),
        ({"owed_to_country": "KOR", "owed_to_organisation": "WHO"}, "owed_to_country", Invalid),
        ({"owed_to_country": "XXX"}, "owed_to_country", Invalid),
        ({"due_on": "2030-01-01"}, "due_on", Conflict),
    ):
        with pytest.raises(error) as refused:
            service.update_commitment(
                session=session,
                actor=operator,
                commitment_id=commitment.id,
                changes=CommitmentUpdate.model_validate(changes),
            )
        assert field in fields_of(refused.value)
    # The text of a delivered commitment can still be corrected.
    service.update_commitment(
        session=session,
        actor=operator,
        commitment_id=commitment.id,
        changes=CommitmentUpdate(text="Typo fixed"),
    )


# --- lists -------------------------------------------------------------------------------------


@pytest.fixture
def spread(session: Session, operator: Principal, meeting_id: int) -> dict[str, Commitment]:
    """Commitments overdue, due soon, due later, without a date, delivered and dropped."""
    other = make_meeting(session, "Korea–Indonesia bilateral talks", dt.date(2022, 5, 16))
    day = dt.timedelta(days=1)
    made = {
        "overdue": create(
            session, operator, meeting_id, text="Overdue lab report", due_on=TODAY - 5 * day
        ),
        "soon": create(
            session,
            operator,
            meeting_id,
            text="Soon: UHC figures",
            kind="follow_up",
            owed_by_country="VNM",
            due_on=TODAY + 10 * day,
        ),
        "later": create(
            session,
            operator,
            other.id,
            text="Later pledge",
            kind="pledge",
            owed_by_organisation="WHO",
            due_on=TODAY + 90 * day,
        ),
        "undated": create(session, operator, other.id, text="Undated request", kind="request"),
        "delivered": reach(session, operator, meeting_id, S.DELIVERED),
        "dropped": reach(session, operator, meeting_id, S.DROPPED),
    }
    made["delivered"].due_on = TODAY - 30 * day
    made["dropped"].due_on = TODAY - 30 * day
    session.flush()
    return made


def listed(session: Session, actor: Principal, **filters: Any) -> list[int]:
    rows, total = service.list_commitments(
        session=session, actor=actor, page=PageRequest(limit=100), **filters
    )
    assert total == len(rows)
    return [c.id for c in rows]


def test_lists_filter_and_sort_by_due_date(
    session: Session, operator: Principal, spread: dict[str, Commitment], meeting_id: int
) -> None:
    ids = {k: c.id for k, c in spread.items()}
    everything = listed(session, operator)
    # Due 30 days ago (a tie, in either order), 5 days ago, in 10 days, in 90 days, never.
    assert set(everything[:2]) == {ids["delivered"], ids["dropped"]}
    assert everything[2:] == [ids["overdue"], ids["soon"], ids["later"], ids["undated"]]
    assert everything[-2:] == [ids["later"], ids["undated"]]  # no due date: last
    assert listed(session, operator, overdue=True) == [ids["overdue"]]
    assert ids["overdue"] not in listed(session, operator, overdue=False)
    assert listed(session, operator, due_within=30) == [ids["soon"]]
    assert listed(session, operator, due_within=100) == [ids["soon"], ids["later"]]
    assert listed(session, operator, status=S.DROPPED) == [ids["dropped"]]
    assert listed(session, operator, kind=CommitmentKind.REQUEST) == [ids["undated"]]
    assert listed(session, operator, owed_by="vnm") == [ids["soon"]]
    assert listed(session, operator, owed_by="WHO") == [ids["later"]]
    assert listed(session, operator, q="uhc") == [ids["soon"]]
    assert listed(session, operator, q="%") == []
    assert set(listed(session, operator, meeting_id=meeting_id)) == {
        ids["overdue"],
        ids["soon"],
        ids["delivered"],
        ids["dropped"],
    }
    rows, _ = service.list_commitments(
        session=session, actor=operator, page=PageRequest(limit=100, sort="-due_on")
    )
    assert rows[0].id == ids["undated"]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"owed_by": "ATLANTIS"}, "owed_by"),
        ({"meeting_id": 999_999}, "meeting"),
        ({"due_within": -1}, "due_within"),
        ({"page": PageRequest(sort="text")}, "sort"),
    ],
)
def test_bad_list_filters_are_invalid(
    session: Session, operator: Principal, filters: dict[str, Any], field: str
) -> None:
    arguments = {"page": PageRequest(), **filters}
    with pytest.raises(Invalid) as refused:
        service.list_commitments(session=session, actor=operator, **arguments)
    assert fields_of(refused.value) == {field}


# --- scorecard ---------------------------------------------------------------------------------


def test_the_scorecard_counts_owed_delivered_on_time_and_overdue(
    session: Session, operator: Principal, meeting_id: int
) -> None:
    on = dt.date(2025, 6, 30)

    def made(
        owed_by: dict[str, str], due: dt.date, path: list[S], delivered_on: dt.date | None = None
    ) -> None:
        commitment = create(session, operator, meeting_id, due_on=due, **owed_by)
        for step in path:
            extra = _complete(step)
            if step is S.DELIVERED:
                extra["delivered_on"] = delivered_on
            move(session, operator, commitment, step, **extra)

    tha, kor, who = (
        {"owed_by_country": "THA"},
        {"owed_by_country": "KOR"},
        {"owed_by_organisation": "WHO"},
    )
    made(tha, dt.date(2025, 3, 31), [S.AGREED, S.DELIVERED], dt.date(2025, 3, 1))  # on time
    made(tha, dt.date(2025, 3, 31), [S.AGREED, S.DELIVERED], dt.date(2025, 4, 15))  # late
    made(tha, dt.date(2025, 5, 31), [S.AGREED])  # overdue on 2025-06-30
    made(tha, dt.date(2025, 12, 31), [])  # not due yet
    made(tha, dt.date(2025, 1, 31), [S.DROPPED])  # dropped: not owed
    made(tha, dt.date(2024, 12, 31), [S.AGREED])  # another year
    made(kor, dt.date(2025, 9, 30), [S.AGREED, S.DELIVERED], dt.date(2025, 2, 1))  # early
    made(who, dt.date(2025, 2, 28), [S.AGREED, S.IN_PROGRESS])  # overdue

    lines = {
        line.owed_by: line for line in scorecard(session=session, actor=operator, year=2025, on=on)
    }
    assert list(lines) == ["KOR", "THA", "WHO"]  # countries by name, then organisations
    tha_line = lines["THA"]
    assert (
        tha_line.owed,
        tha_line.delivered,
        tha_line.delivered_on_time,
        tha_line.overdue,
        tha_line.dropped,
    ) == (4, 2, 1, 1, 1)
    assert tha_line.on_time_rate == pytest.approx(1 / 3, abs=1e-4)
    assert (lines["KOR"].owed, lines["KOR"].on_time_rate) == (1, 1.0)
    assert (lines["WHO"].owed_by_kind, lines["WHO"].overdue, lines["WHO"].on_time_rate) == (
        "organisation",
        1,
        0.0,
    )
    assert lines["THA"].name == "Thailand"
    every_year = {line.owed_by: line for line in scorecard(session=session, actor=operator, on=on)}
    assert (every_year["THA"].owed, every_year["THA"].overdue) == (5, 2)
    with pytest.raises(Invalid) as refused:
        scorecard(session=session, actor=operator, year=1900)
    assert fields_of(refused.value) == {"year"}
