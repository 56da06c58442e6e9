"""Reminders by e-mail of commitments overdue or due soon, queued in the outbox.

Each recipient gets at most one e-mail per kind (overdue, due soon) per day, listing all of their
commitments of that kind: the outbox's dedupe key is ``recipient + kind + day``, so running the
reminders twice the same day queues them once. A country's commitments go to its active focal
points; an organisation's to the active ASEAN Secretariat users.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.errors import DenialContext, FieldError, Forbidden, Invalid
from healthbridge.notifications import service as notifications
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Action, Principal, Role, authorize

OVERDUE = "overdue"
DUE_SOON = "due_soon"
DEFAULT_WITHIN = 14
MAX_WITHIN = 365


@dataclass
class ReminderSummary:
    """What a reminder run found and queued."""

    on: dt.date
    within: int
    overdue: int = 0
    due_soon: int = 0
    queued: int = 0
    already_queued: int = 0
    #: Owing countries or organisations with commitments to remind of but nobody to tell.
    unreachable: list[str] = field(default_factory=list)

    @property
    def commitments(self) -> int:
        return self.overdue + self.due_soon


def _active_users(session: Session, actor: Principal, role: Role) -> list[User]:
    users: list[User] = []
    offset = 0
    while True:
        batch, total = accounts.list_users(
            session=session,
            actor=actor,
            page=PageRequest(limit=MAX_LIMIT, offset=offset),
            role=role,
            active=True,
        )
        users += batch
        offset += len(batch)
        if not batch or offset >= total:
            return users


def _recipients(session: Session, actor: Principal) -> tuple[dict[str, list[User]], list[User]]:
    focal_points: dict[str, list[User]] = defaultdict(list)
    for user in _active_users(session, actor, Role.FOCAL_POINT):
        if user.country_code:
            focal_points[user.country_code].append(user)
    return focal_points, _active_users(session, actor, Role.SECRETARIAT)


def _body(
    user: User,
    kind: str,
    items: list[Commitment],
    *,
    on: dt.date,
    within: int,
    names: dict[str, str],
    titles: dict[int, str],
) -> str:
    lead = (
        f"these commitments are past their due date (as of {on.isoformat()}):"
        if kind == OVERDUE
        else f"these commitments are due within {within} days (from {on.isoformat()}):"
    )
    lines = [f"Dear {user.full_name},", "", f"In HealthBridge, {lead}", ""]
    for c in sorted(items, key=lambda c: (c.due_on or on, c.id)):
        assert c.due_on is not None
        days = (on - c.due_on).days
        when = (
            f"due {c.due_on.isoformat()}, {days} day{'s' * (days != 1)} overdue"
            if kind == OVERDUE
            else f"due {c.due_on.isoformat()}"
        )
        lines.append(f"- #{c.id} {c.text}")
        lines.append(f"  Owed by {names.get(c.owed_by, c.owed_by)}; {when}; status: {c.status}.")
        if c.meeting_id in titles:
            lines.append(f"  From: {titles[c.meeting_id]}.")
        lines.append(f"  Open it at /commitments/{c.id}")
        lines.append("")
    lines += [
        "Please record progress or delivery (with its evidence) on each commitment's page, or "
        "agree a new due date with the ASEAN Secretariat.",
        "",
        "HealthBridge — an automatic reminder: at most one of each kind a day.",
    ]
    return "\n".join(lines)


def _subject(kind: str, count: int, within: int) -> str:
    plural = "s" if count != 1 else ""
    if kind == OVERDUE:
        return f"[HealthBridge] {count} commitment{plural} overdue"
    return f"[HealthBridge] {count} commitment{plural} due within {within} days"


def dedupe_key(kind: str, recipient: str, on: dt.date) -> str:
    """The outbox key of a reminder: one per recipient, kind and day."""
    return f"commitment-reminder:{kind}:{recipient.lower()}:{on.isoformat()}"


def queue_reminders(
    *,
    session: Session,
    actor: Principal,
    within: int = DEFAULT_WITHIN,
    on: dt.date | None = None,
) -> ReminderSummary:
    """Queue reminders of every overdue commitment and every one due within ``within`` days.

    Only regional users run reminders (they reach every country's focal points). Idempotent for
    a day. Raises :class:`Invalid` naming ``within`` outside 0–365 days.
    """
    authorize(actor, Action.COMMITMENT_WRITE, object_type="commitment")
    if not actor.is_regional:
        raise Forbidden(
            "reminders reach every country: only regional users send them",
            context=DenialContext(action="commitment.remind", object_type="commitment"),
        )
    if not 0 <= within <= MAX_WITHIN:
        raise Invalid(
            f"cannot remind {within} days ahead",
            errors=[FieldError("within", f"between 0 and {MAX_WITHIN} days")],
        )
    on = on or service.today()
    summary = ReminderSummary(on=on, within=within)
    due = list(
        session.scalars(
            select(Commitment)
            .where(
                or_(service.overdue_filter(on), service.due_within_filter(on, within)),
            )
            .order_by(Commitment.due_on, Commitment.id)
        )
    )
    if not due:
        return summary
    focal_points, secretariat = _recipients(session, actor)
    names = service.party_names(session=session, actor=actor)
    titles = service.meeting_titles(session=session, meeting_ids={c.meeting_id for c in due})
    # (recipient e-mail, kind) -> (the user, their commitments of that kind)
    digests: dict[tuple[str, str], tuple[User, list[Commitment]]] = {}
    unreachable: set[str] = set()
    for commitment in due:
        kind = OVERDUE if commitment.is_overdue(on) else DUE_SOON
        if kind == OVERDUE:
            summary.overdue += 1
        else:
            summary.due_soon += 1
        if commitment.owed_by_country:
            recipients = focal_points.get(commitment.owed_by_country, [])
        else:
            recipients = secretariat
        if not recipients:
            unreachable.add(commitment.owed_by)
        for user in recipients:
            digests.setdefault((user.email, kind), (user, []))[1].append(commitment)
    for (email, kind), (user, items) in sorted(digests.items()):
        queued = notifications.queue_email(
            session=session,
            actor=actor,
            to=email,
            subject=_subject(kind, len(items), within),
            body=_body(user, kind, items, on=on, within=within, names=names, titles=titles),
            dedupe_key=dedupe_key(kind, email, on),
        )
        if queued is None:
            summary.already_queued += 1
        else:
            summary.queued += 1
    summary.unreachable = sorted(unreachable)
    return summary
