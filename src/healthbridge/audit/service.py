"""Writing and verifying the audit log.

Entries are appended in the caller's transaction, so an audited write and its entry commit or
roll back together; they are chained and written at the commit. Refused attempts are written
by the border in a transaction of their own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from healthbridge.audit.models import AuditEntry
from healthbridge.db import utcnow
from healthbridge.policy import Action, Principal, authorize

GENESIS_HASH = "0" * 64
_PG_AUDIT_LOCK = 0x4842_4155  # "HBAU": serialises appends so the chain never forks
#: ``Session.info`` key of the entries recorded in the session's transaction, not yet written.
_PENDING = "healthbridge.audit.pending"


def entry_digest(prev_hash: str, entry: AuditEntry) -> str:
    """The SHA-256 that chains ``entry`` to its predecessor."""
    payload = {
        "id": entry.id,
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "actor_user_id": entry.actor_user_id,
        "action": entry.action,
        "outcome": entry.outcome,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "country_code": entry.country_code,
        "detail": entry.detail,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(
    *,
    session: Session,
    actor: Principal | None,
    action: str,
    outcome: str = "ok",
    object_type: str | None = None,
    object_id: str | int | None = None,
    country: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry to the audit log in the session's transaction.

    The entry is chained and written when the transaction commits (its ``id``, time and hashes
    are set then), and it vanishes if the transaction rolls back. The chain has one end, so
    appending takes the log's lock until the commit: taken at the commit, it is held for the
    commit alone, not for the rest of the request, and concurrent audited requests do not queue
    behind one another.
    """
    entry = AuditEntry(
        actor=actor.actor_label if actor else "anonymous",
        actor_user_id=actor.user_id if actor else None,
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        country_code=country,
        detail=detail or {},
        prev_hash="",
        entry_hash="",
    )
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Chain and write the transaction's pending entries, under the log's lock."""
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    elif dialect == "sqlite":
        # pysqlite begins the transaction at its first write, not at a read: when these entries
        # are that first write (an audited read), two requests could read the same last entry.
        # A write that touches no row takes the database's write lock first (waiting for another
        # writer to commit), so the last entry read below is the last one indeed.
        session.execute(text("UPDATE audit_entries SET id = id WHERE 0"))
    last = session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    next_id, prev_hash = (last.id + 1, last.entry_hash) if last else (1, GENESIS_HASH)
    for entry in pending:
        entry.id = next_id
        # Microsecond precision is what both databases keep, so the digest survives a round trip.
        entry.at = utcnow()
        entry.prev_hash = prev_hash
        entry.entry_hash = prev_hash = entry_digest(prev_hash, entry)
        next_id += 1
        session.add(entry)
    session.flush()


@event.listens_for(Session, "do_orm_execute")
def _read_your_own_entries(state: ORMExecuteState) -> None:
    """A query of the log in a transaction that recorded entries sees them: they are written
    first (taking the log's lock then, until the commit)."""
    if (
        state.is_select
        and state.session.info.get(_PENDING)
        and any(mapper.class_ is AuditEntry for mapper in state.all_mappers)
    ):
        _append_pending(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back (or closed) transaction takes its pending entries with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    checked: int
    first_broken_id: int | None
    reason: str | None

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _iter_entries(session: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        session.expunge_all()


def verify_chain(*, session: Session, actor: Principal) -> ChainReport:
    """Recompute the hash chain and name the first entry that does not match.

    Catches an edited entry (its digest changes), a deleted one (a gap in the ids or a
    ``prev_hash`` that no longer matches) and an inserted one.
    """
    authorize(actor, Action.AUDIT_READ)
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    for entry in _iter_entries(session):
        if entry.id != expected_id:
            return ChainReport(checked, expected_id, f"entry {expected_id} is missing")
        if entry.prev_hash != prev_hash:
            return ChainReport(checked, entry.id, "its prev_hash does not match the entry before")
        if entry_digest(prev_hash, entry) != entry.entry_hash:
            return ChainReport(checked, entry.id, "its content does not match its hash")
        prev_hash = entry.entry_hash
        expected_id += 1
        checked += 1
    return ChainReport(checked, None, None)


def count_entries(*, session: Session) -> int:
    """How many entries the log holds."""
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def list_entries(
    *,
    session: Session,
    actor: Principal,
    action: str | None = None,
    outcome: str | None = None,
    country: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEntry], int]:
    """Entries newest first, filtered, with the total count of matches."""
    authorize(actor, Action.AUDIT_READ)
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if outcome:
        query = query.where(AuditEntry.outcome == outcome)
    if country:
        query = query.where(AuditEntry.country_code == country)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return list(rows.scalars()), total
