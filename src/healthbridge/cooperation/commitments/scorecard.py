"""The scorecard: how each owing country and organisation keeps its commitments."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import Commitment, CommitmentStatus
from healthbridge.errors import FieldError, Invalid
from healthbridge.policy import Action, Principal, authorize

FIRST_YEAR = 1967  # ASEAN's founding: no commitment of the channel is older
LAST_YEAR = 2100


@dataclass
class ScoreLine:
    """The figures of one owing country or organisation."""

    owed_by: str
    owed_by_kind: str
    name: str
    owed: int = 0
    delivered: int = 0
    delivered_on_time: int = 0
    overdue: int = 0
    dropped: int = 0

    @property
    def on_time_rate(self) -> float | None:
        """Of the commitments that came due (or were delivered), the share delivered on time."""
        came_due = self.delivered + self.overdue
        return round(self.delivered_on_time / came_due, 4) if came_due else None


def _delivered_on_time(commitment: Commitment) -> bool:
    if commitment.delivered_on is None:
        return False
    return commitment.due_on is None or commitment.delivered_on <= commitment.due_on


def scorecard(
    *, session: Session, actor: Principal, year: int | None = None, on: dt.date | None = None
) -> list[ScoreLine]:
    """One line per owing country, then per organisation, by name.

    With ``year``, only the commitments due that year count. ``owed`` counts those not dropped;
    ``overdue`` is judged on ``on`` (default today).
    """
    authorize(actor, Action.COOPERATION_READ)
    on = on or service.today()
    query = select(Commitment)
    if year is not None:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Invalid(
                f"no scorecard for {year}",
                errors=[FieldError("year", f"between {FIRST_YEAR} and {LAST_YEAR}")],
            )
        query = query.where(
            Commitment.due_on >= dt.date(year, 1, 1), Commitment.due_on <= dt.date(year, 12, 31)
        )
    names = service.party_names(session=session, actor=actor)
    lines: dict[str, ScoreLine] = {}
    for commitment in session.scalars(query):
        code = commitment.owed_by
        line = lines.get(code)
        if line is None:
            kind = "country" if commitment.owed_by_country else "organisation"
            line = lines[code] = ScoreLine(code, kind, names.get(code, code))
        status = CommitmentStatus(commitment.status)
        if status is CommitmentStatus.DROPPED:
            line.dropped += 1
            continue
        line.owed += 1
        if status is CommitmentStatus.DELIVERED:
            line.delivered += 1
            line.delivered_on_time += _delivered_on_time(commitment)
        elif commitment.is_overdue(on):
            line.overdue += 1
    return sorted(lines.values(), key=lambda s: (s.owed_by_kind != "country", s.name))
