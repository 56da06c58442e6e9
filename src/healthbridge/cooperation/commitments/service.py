"""Commitments: recording them, correcting them, moving them through their statuses.

A commitment moves ``proposed → agreed → in_progress → delivered`` (``agreed → delivered`` too);
any open commitment can be dropped, with a reason; ``delivered`` and ``dropped`` are final.

Everyone reads commitments (cooperation records are regional). Writing one is for those who may
write the owing country's commitments — a focal point writes their own country's — and, for a
commitment owed by an organisation, for regional users only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, Select, and_, func, literal, not_, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.cooperation.commitments.evidence import build_evidence
from healthbridge.cooperation.commitments.models import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    Commitment,
    CommitmentEvidence,
    CommitmentKind,
    CommitmentStatus,
    CommitmentStatusChange,
)
from healthbridge.cooperation.commitments.schemas import (
    CommitmentCreate,
    CommitmentUpdate,
    EvidenceCreate,
    StatusChangeCreate,
)
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.db import utcnow
from healthbridge.errors import (
    Conflict,
    DenialContext,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
)
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize, is_allowed

#: Where each status may go next. Final statuses go nowhere.
TRANSITIONS: dict[CommitmentStatus, tuple[CommitmentStatus, ...]] = {
    CommitmentStatus.PROPOSED: (CommitmentStatus.AGREED, CommitmentStatus.DROPPED),
    CommitmentStatus.AGREED: (
        CommitmentStatus.IN_PROGRESS,
        CommitmentStatus.DELIVERED,
        CommitmentStatus.DROPPED,
    ),
    CommitmentStatus.IN_PROGRESS: (CommitmentStatus.DELIVERED, CommitmentStatus.DROPPED),
    CommitmentStatus.DELIVERED: (),
    CommitmentStatus.DROPPED: (),
}
#: The statuses a commitment may be recorded with.
INITIAL_STATUSES = (CommitmentStatus.PROPOSED, CommitmentStatus.AGREED)
#: "Due soon" means due within this many days, unless a list asks otherwise.
DUE_SOON_DAYS = 30
_FAR_FUTURE = dt.date(9999, 12, 31)


def today() -> dt.date:
    """Today's date in UTC, the calendar of due dates and deliveries."""
    return utcnow().date()


def next_statuses(status: str) -> tuple[CommitmentStatus, ...]:
    """The statuses a commitment in ``status`` may move to."""
    return TRANSITIONS[CommitmentStatus(status)]


# --- who may write -------------------------------------------------------------------------------


def _authorize_write(
    actor: Principal,
    *,
    owed_by_country: str | None,
    owed_by_organisation: str | None,
    object_id: str | None = None,
) -> None:
    authorize(
        actor,
        Action.COMMITMENT_WRITE,
        country=owed_by_country,
        object_type="commitment",
        object_id=object_id,
    )
    if owed_by_country is None and not actor.is_regional:
        raise Forbidden(
            f"commitments owed by an organisation ({owed_by_organisation}) are kept by regional "
            f"users; {actor.country} writes only its own commitments",
            context=DenialContext(
                action=str(Action.COMMITMENT_WRITE), object_type="commitment", object_id=object_id
            ),
        )


def can_write(actor: Principal, commitment: Commitment) -> bool:
    """Whether ``actor`` may change ``commitment`` (for pages: show the forms or not)."""
    if not is_allowed(actor, Action.COMMITMENT_WRITE, country=commitment.owed_by_country):
        return False
    return commitment.owed_by_country is not None or actor.is_regional


def can_record(actor: Principal) -> bool:
    """Whether ``actor`` may record commitments at all (owed by their country, or any)."""
    return is_allowed(actor, Action.COMMITMENT_WRITE, country=actor.country)


# --- reading -------------------------------------------------------------------------------------


def get_commitment(*, session: Session, actor: Principal, commitment_id: int) -> Commitment:
    """One commitment with its history and evidence; :class:`NotFound` when there is none."""
    authorize(actor, Action.COOPERATION_READ)
    commitment = session.get(
        Commitment,
        commitment_id,
        options=[selectinload(Commitment.history), selectinload(Commitment.evidence)],
    )
    if commitment is None:
        raise NotFound(f"no commitment with id {commitment_id}")
    return commitment


def resolve_party(*, session: Session, code: str, field: str) -> tuple[str | None, str | None]:
    """``(country, organisation)`` for a code that names a served country or an organisation."""
    normalised = code.strip().upper()
    if normalised in geography.country_codes(session=session):
        return normalised, None
    try:
        return None, organisations.require_organisation(session=session, code=normalised)
    except Invalid:
        raise Invalid(
            f"unknown country or organisation '{code}'",
            errors=[FieldError(field, f"'{code}' is neither a served country nor an organisation")],
        ) from None


def open_filter() -> Any:
    """The condition of commitments still open (neither delivered nor dropped)."""
    return Commitment.status.in_([s.value for s in OPEN_STATUSES])


def overdue_filter(on: dt.date) -> Any:
    """The condition of commitments overdue on ``on``."""
    return and_(Commitment.due_on.is_not(None), Commitment.due_on < on, open_filter())


def due_within_filter(on: dt.date, days: int) -> Any:
    """The condition of open commitments due between ``on`` and ``days`` days later."""
    return and_(
        Commitment.due_on >= on, Commitment.due_on <= on + dt.timedelta(days=days), open_filter()
    )


def list_commitments(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    status: CommitmentStatus | None = None,
    kind: CommitmentKind | None = None,
    owed_by: str | None = None,
    meeting_id: int | None = None,
    overdue: bool | None = None,
    due_within: int | None = None,
    q: str | None = None,
    on: dt.date | None = None,
) -> tuple[list[Commitment], int]:
    """Commitments, filtered, ordered by due date (those without one last) unless sorted.

    ``owed_by`` is a country or organisation code; ``overdue`` keeps those past due and still
    open (or, false, the others); ``due_within`` those open and due in the next N days; ``on``
    is the day these are judged on (default today).
    """
    authorize(actor, Action.COOPERATION_READ)
    on = on or today()
    query: Select[Any] = select(Commitment)
    if status is not None:
        query = query.where(Commitment.status == status.value)
    if kind is not None:
        query = query.where(Commitment.kind == kind.value)
    if owed_by:
        country, organisation = resolve_party(session=session, code=owed_by, field="owed_by")
        query = query.where(
            Commitment.owed_by_country == country
            if country
            else Commitment.owed_by_organisation == organisation
        )
    if meeting_id is not None:
        meetings.require_meeting(session=session, meeting_id=meeting_id, field="meeting")
        query = query.where(Commitment.meeting_id == meeting_id)
    if overdue is True:
        query = query.where(overdue_filter(on))
    elif overdue is False:
        query = query.where(not_(overdue_filter(on)))
    if due_within is not None:
        if due_within < 0:
            raise Invalid("bad filter", errors=[FieldError("due_within", "0 days or more")])
        query = query.where(due_within_filter(on, due_within))
    if q:
        query = query.where(Commitment.text.ilike(like_pattern(q), escape="\\"))
    return paginate(
        session,
        query,
        page,
        sortable={
            "due_on": func.coalesce(Commitment.due_on, literal(_FAR_FUTURE, Date)),
            "created": Commitment.created_at,
            "id": Commitment.id,
            "status": Commitment.status,
        },
        default_sort="due_on",
    )


# --- recording and correcting --------------------------------------------------------------------


def _owed_to(
    *, session: Session, country: str | None, organisation: str | None
) -> tuple[str | None, str | None]:
    if country and organisation:
        raise Invalid(
            "a commitment is owed to one party: a country, an organisation, or the region",
            errors=[
                FieldError("owed_to_country", "give a country or an organisation, not both"),
                FieldError("owed_to_organisation", "give a country or an organisation, not both"),
            ],
        )
    return (
        geography.require_country(session=session, code=country, field="owed_to_country"),
        organisations.require_organisation(
            session=session, code=organisation, field="owed_to_organisation"
        ),
    )


def _owed_by(commitment_in: CommitmentCreate) -> tuple[str | None, str | None]:
    country = (commitment_in.owed_by_country or "").strip() or None
    organisation = (commitment_in.owed_by_organisation or "").strip() or None
    if (country is None) == (organisation is None):
        message = (
            "give a country or an organisation, not both"
            if country
            else "give the country or the organisation that owes it"
        )
        raise Invalid(
            "a commitment is owed by exactly one country or organisation",
            errors=[
                FieldError("owed_by_country", message),
                FieldError("owed_by_organisation", message),
            ],
        )
    return country, organisation


def _history(
    commitment: Commitment,
    actor: Principal,
    *,
    from_status: str | None,
    to_status: str,
    note: str | None,
) -> CommitmentStatusChange:
    change = CommitmentStatusChange(
        from_status=from_status,
        to_status=to_status,
        at=utcnow(),
        actor=actor.actor_label,
        actor_user_id=actor.user_id,
        note=note,
    )
    commitment.history.append(change)
    return change


def create_commitment(
    *, session: Session, actor: Principal, commitment_in: CommitmentCreate
) -> Commitment:
    """Record a commitment of a meeting (or of a meeting's document).

    Raises :class:`Invalid` naming the field for a missing source, an owing party that is both
    or neither a country and an organisation, unknown codes or ids; :class:`Forbidden` unless
    the actor may write the owing country's commitments (an organisation's: regional users).
    """
    owed_by_country, owed_by_organisation = _owed_by(commitment_in)
    owed_by_country = geography.require_country(
        session=session, code=owed_by_country, field="owed_by_country"
    )
    owed_by_organisation = organisations.require_organisation(
        session=session, code=owed_by_organisation, field="owed_by_organisation"
    )
    _authorize_write(
        actor, owed_by_country=owed_by_country, owed_by_organisation=owed_by_organisation
    )
    text = commitment_in.text.strip()
    if not text:
        raise Invalid("the text is empty", errors=[FieldError("text", "empty")])
    if commitment_in.meeting_id is None and commitment_in.document_id is None:
        raise Invalid(
            "say where the commitment was made: a meeting, a document, or both",
            errors=[FieldError("meeting_id", "give the meeting (or the document) it comes from")],
        )
    meeting = meetings.require_meeting(session=session, meeting_id=commitment_in.meeting_id)
    document = meetings.require_document(session=session, document_id=commitment_in.document_id)
    meeting_id = meeting.id if meeting else None
    if document is not None:
        if meeting_id is None:
            meeting_id = document.meeting_id
        elif document.meeting_id is not None and document.meeting_id != meeting_id:
            raise Invalid(
                f"document {document.id} belongs to another meeting",
                errors=[FieldError("document_id", f"not a document of meeting {meeting_id}")],
            )
    if commitment_in.status not in INITIAL_STATUSES:
        raise Invalid(
            "a commitment is recorded as proposed or agreed, then moved",
            errors=[FieldError("status", "proposed or agreed")],
        )
    owed_to_country, owed_to_organisation = _owed_to(
        session=session,
        country=commitment_in.owed_to_country,
        organisation=commitment_in.owed_to_organisation,
    )
    commitment = Commitment(
        text=text,
        kind=commitment_in.kind.value,
        meeting_id=meeting_id,
        document_id=document.id if document else None,
        owed_by_country=owed_by_country,
        owed_by_organisation=owed_by_organisation,
        owed_to_country=owed_to_country,
        owed_to_organisation=owed_to_organisation,
        due_on=commitment_in.due_on,
        status=commitment_in.status.value,
        created_by=actor.actor_label,
    )
    _history(
        commitment,
        actor,
        from_status=None,
        to_status=commitment.status,
        note=(commitment_in.note or "").strip() or None,
    )
    session.add(commitment)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="commitment.create",
        object_type="commitment",
        object_id=commitment.id,
        country=owed_by_country,
        detail={
            "kind": commitment.kind,
            "owed_by": commitment.owed_by,
            "meeting_id": meeting_id,
            "status": commitment.status,
        },
    )
    return commitment


def _get_for_write(*, session: Session, actor: Principal, commitment_id: int) -> Commitment:
    commitment = get_commitment(session=session, actor=actor, commitment_id=commitment_id)
    _authorize_write(
        actor,
        owed_by_country=commitment.owed_by_country,
        owed_by_organisation=commitment.owed_by_organisation,
        object_id=str(commitment.id),
    )
    return commitment


def update_commitment(
    *, session: Session, actor: Principal, commitment_id: int, changes: CommitmentUpdate
) -> Commitment:
    """Correct the text, the due date or whom a commitment is owed to.

    The due date of a delivered or dropped commitment stays as it was (:class:`Conflict`): its
    record of being on time or late is history.
    """
    commitment = _get_for_write(session=session, actor=actor, commitment_id=commitment_id)
    values = changes.model_dump(exclude_unset=True)
    done: dict[str, Any] = {}
    if "text" in values:
        text = (values["text"] or "").strip()
        if not text:
            raise Invalid("the text cannot be empty", errors=[FieldError("text", "empty")])
        commitment.text = text
        done["text"] = text
    if "due_on" in values and values["due_on"] != commitment.due_on:
        if commitment.is_final:
            raise Conflict(
                f"commitment {commitment.id} is {commitment.status}: its due date is history",
                errors=[FieldError("due_on", f"cannot change once {commitment.status}")],
            )
        commitment.due_on = values["due_on"]
        done["due_on"] = str(values["due_on"])
    if "owed_to_country" in values or "owed_to_organisation" in values:
        country, organisation = _owed_to(
            session=session,
            country=values.get("owed_to_country"),
            organisation=values.get("owed_to_organisation"),
        )
        commitment.owed_to_country, commitment.owed_to_organisation = country, organisation
        done["owed_to"] = commitment.owed_to
    commitment.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="commitment.update",
        object_type="commitment",
        object_id=commitment.id,
        country=commitment.owed_by_country,
        detail=done,
    )
    return commitment


# --- moving and evidencing -----------------------------------------------------------------------


def _check_transition(commitment: Commitment, target: CommitmentStatus) -> None:
    current = CommitmentStatus(commitment.status)
    if current in FINAL_STATUSES:
        raise Conflict(
            f"commitment {commitment.id} is {current.value}: delivered and dropped are final",
            errors=[FieldError("status", f"{current.value} is final")],
        )
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise Conflict(
            f"commitment {commitment.id} cannot go from {current.value} to {target.value}",
            errors=[
                FieldError(
                    "status", f"from {current.value}: one of {', '.join(s for s in allowed)}"
                )
            ],
        )


def change_status(
    *,
    session: Session,
    actor: Principal,
    commitment_id: int,
    change: StatusChangeCreate,
    on: dt.date | None = None,
) -> Commitment:
    """Move a commitment to another status, recording who, when and why.

    Dropping needs a ``note`` (the reason). Delivering needs evidence — attached before, or given
    in ``change.evidence`` — and sets ``delivered_on`` (default ``on``, today; never later).
    Raises :class:`Conflict` naming ``status`` for a move the rules do not allow and
    :class:`Invalid` naming the field for what is missing or wrong; nothing changes then.
    """
    on = on or today()
    commitment = _get_for_write(session=session, actor=actor, commitment_id=commitment_id)
    target = change.status
    _check_transition(commitment, target)
    note = (change.note or "").strip() or None
    errors: list[FieldError] = []
    if target is CommitmentStatus.DROPPED and note is None:
        errors.append(FieldError("note", "required to drop a commitment: say why"))
    if change.delivered_on is not None and target is not CommitmentStatus.DELIVERED:
        errors.append(FieldError("delivered_on", "only when delivering"))
    delivered_on = change.delivered_on or on
    if target is CommitmentStatus.DELIVERED:
        if delivered_on > on:
            errors.append(FieldError("delivered_on", f"in the future (today is {on})"))
        if not commitment.evidence and change.evidence is None:
            errors.append(
                FieldError("evidence", "delivering needs evidence: attach it first or give it")
            )
    evidence: CommitmentEvidence | None = None
    if change.evidence is not None:
        evidence, evidence_errors = build_evidence(
            session=session, actor=actor, evidence_in=change.evidence, prefix="evidence."
        )
        errors += evidence_errors
    if errors:
        raise Invalid(f"cannot move commitment {commitment.id} to {target.value}", errors=errors)
    previous = commitment.status
    if evidence is not None:
        commitment.evidence.append(evidence)
    commitment.status = target.value
    if target is CommitmentStatus.DELIVERED:
        commitment.delivered_on = delivered_on
    commitment.updated_at = utcnow()
    _history(commitment, actor, from_status=previous, to_status=target.value, note=note)
    session.flush()
    detail: dict[str, Any] = {"from": previous, "to": target.value}
    if note:
        detail["note"] = note
    if target is CommitmentStatus.DELIVERED:
        detail["delivered_on"] = delivered_on.isoformat()
    if evidence is not None:
        detail["evidence_id"] = evidence.id
    audit.record(
        session=session,
        actor=actor,
        action="commitment.status",
        object_type="commitment",
        object_id=commitment.id,
        country=commitment.owed_by_country,
        detail=detail,
    )
    return commitment


def add_evidence(
    *, session: Session, actor: Principal, commitment_id: int, evidence_in: EvidenceCreate
) -> CommitmentEvidence:
    """Attach evidence of delivery to a commitment (before delivering it, or after).

    Raises :class:`Invalid` naming the field when the evidence lacks what its kind needs, has
    what another kind needs, or refers to an unknown document or project.
    """
    commitment = _get_for_write(session=session, actor=actor, commitment_id=commitment_id)
    evidence, errors = build_evidence(session=session, actor=actor, evidence_in=evidence_in)
    if errors or evidence is None:
        raise Invalid("the evidence is incomplete or wrong", errors=errors)
    commitment.evidence.append(evidence)
    commitment.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="commitment.evidence",
        object_type="commitment",
        object_id=commitment.id,
        country=commitment.owed_by_country,
        detail={"evidence_id": evidence.id, "kind": evidence.kind},
    )
    return evidence


def find_commitment(*, session: Session, meeting_id: int | None, text: str) -> Commitment | None:
    """The commitment of this meeting with exactly this text (demo data finds them so)."""
    return session.scalars(
        select(Commitment).where(
            Commitment.meeting_id == meeting_id
            if meeting_id is not None
            else Commitment.meeting_id.is_(None),
            Commitment.text == text,
        )
    ).first()


def party_names(*, session: Session, actor: Principal) -> dict[str, str]:
    """Names of every served country and organisation by code, for labels."""
    everything = PageRequest(limit=500)
    names = {
        c.code: c.name_en
        for c in geography.list_countries(session=session, actor=actor, page=everything)[0]
    }
    for org in organisations.list_organisations(session=session, actor=actor, page=everything)[0]:
        names.setdefault(org.code, org.name_en)
    return names


def meeting_titles(*, session: Session, meeting_ids: set[int | None]) -> dict[int, str]:
    """Titles (with the date) of the meetings these commitments come from, by id."""
    titles: dict[int, str] = {}
    for meeting_id in sorted(i for i in meeting_ids if i is not None):
        meeting = meetings.require_meeting(session=session, meeting_id=meeting_id)
        if meeting is not None:
            titles[meeting_id] = f"{meeting.title} ({meeting.starts_on.isoformat()})"
    return titles


def require_commitment(
    *, session: Session, commitment_id: int | None, field: str = "commitment_id"
) -> Commitment | None:
    """The commitment with this id, for input that refers to one; :class:`Invalid` if unknown."""
    if commitment_id is None:
        return None
    commitment = session.get(Commitment, commitment_id)
    if commitment is None:
        raise Invalid(
            f"unknown commitment {commitment_id}",
            errors=[FieldError(field, "unknown commitment")],
        )
    return commitment
