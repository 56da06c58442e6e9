"""The stock ledger: every change of stock is a new, never-changed movement of a lot, and a
lot's quantity is the sum of its movements.

This module is the only writer of :class:`~healthbridge.resources.models.StockMovement`. It
checks the movement's sign against its kind, refuses any movement that would take a lot below
zero (the lot's row is locked on PostgreSQL first, so that two concurrent issues cannot both
pass), and audits each movement. Who may move which holder's stock: a national stockpile's by
its country's logistics officers (``STOCK_MANAGE`` for that country), the regional reserve's
and partners' by regional ones (:func:`authorize_holder`).

The functions never commit: the caller's unit of work does, so that a movement and what caused
it (a shipment's dispatch, a receipt) are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources.models import (
    INCOMING_KINDS,
    MOVEMENT_KINDS,
    OUTGOING_KINDS,
    Holder,
    Item,
    Lot,
    StockMovement,
)

MAX_QUANTITY = 10**9
MAX_REASON = 2000
MAX_REFERENCE = 120
MAX_LOT_NUMBER = 60


def authorize_holder(
    actor: Principal, holder: Holder, action: Action = Action.STOCK_MANAGE
) -> None:
    """:class:`Forbidden` unless ``actor`` may change ``holder``'s stock: a national
    stockpile's country (or a regional user), the reserve's and partners' regional users."""
    if holder.kind == "national_stockpile":
        authorize(
            actor, action, country=holder.country_code, object_type="holder", object_id=holder.code
        )
        return
    authorize(actor, action, object_type="holder", object_id=holder.code)
    if not actor.is_regional:
        raise Forbidden(f"only regional users manage the stock of {holder.code} ({holder.kind})")


def balance(session: Session, lot_id: int) -> int:
    """A lot's quantity: the sum of its movements."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.lot_id == lot_id
        )
    )
    return int(total or 0)


def balances(session: Session, lot_ids: Iterable[int]) -> dict[int, int]:
    """The quantity of each of ``lot_ids`` (0 for a lot without movements)."""
    wanted = list(dict.fromkeys(lot_ids))
    found: dict[int, int] = dict.fromkeys(wanted, 0)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = session.execute(
            select(StockMovement.lot_id, func.sum(StockMovement.quantity))
            .where(StockMovement.lot_id.in_(chunk))
            .group_by(StockMovement.lot_id)
        )
        found.update({lot_id: int(total or 0) for lot_id, total in rows})
    return found


def lock_lot(session: Session, lot_id: int) -> Lot:
    """The lot, its row locked until the transaction ends (PostgreSQL; SQLite serialises
    writers anyway). :class:`NotFound` when there is none."""
    lot = session.scalars(
        select(Lot)
        .where(Lot.id == lot_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if lot is None:
        raise NotFound(f"no lot with id {lot_id}")
    return lot


def check_movement(kind: str, quantity: int, reason: str | None) -> list[FieldError]:
    """What is wrong with a movement of ``kind`` and signed ``quantity``."""
    errors: list[FieldError] = []
    if kind not in MOVEMENT_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(MOVEMENT_KINDS)}"))
        return errors
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors.append(FieldError("quantity", "a whole number"))
        return errors
    if quantity == 0 or abs(quantity) > MAX_QUANTITY:
        errors.append(FieldError("quantity", f"not 0, at most {MAX_QUANTITY} units either way"))
    elif kind in INCOMING_KINDS and quantity < 0:
        errors.append(FieldError("quantity", f"a {kind} adds stock: give a positive quantity"))
    elif kind in OUTGOING_KINDS and quantity > 0:
        errors.append(FieldError("quantity", f"a {kind} takes stock out: give a negative quantity"))
    if kind == "adjustment" and not (reason or "").strip():
        errors.append(FieldError("reason", "required: say why the stock is adjusted"))
    if reason is not None and len(reason) > MAX_REASON:
        errors.append(FieldError("reason", f"at most {MAX_REASON} characters"))
    return errors


def record(
    *,
    session: Session,
    actor: Principal,
    lot_id: int,
    kind: str,
    quantity: int,
    reason: str | None = None,
    reference: str | None = None,
    shipment_id: int | None = None,
    at: dt.datetime | None = None,
    check_access: bool = True,
) -> StockMovement:
    """Append one movement to a lot's ledger.

    ``quantity`` is signed (see :class:`~healthbridge.resources.models.StockMovement`).
    :class:`Invalid` naming the field for a wrong kind, sign or missing reason;
    :class:`Conflict` when the lot would fall below zero. ``check_access=False`` is for
    callers that already authorised the whole operation (a shipment's dispatch or receipt).
    """
    reason = (reason or "").strip() or None
    reference = (reference or "").strip() or None
    errors = check_movement(kind, quantity, reason)
    if reference is not None and len(reference) > MAX_REFERENCE:
        errors.append(FieldError("reference", f"at most {MAX_REFERENCE} characters"))
    if errors:
        raise Invalid("invalid stock movement", errors=errors)
    lot = lock_lot(session, lot_id)
    if check_access:
        authorize_holder(actor, lot.holder)
    before = balance(session, lot.id)
    if before + quantity < 0:
        raise Conflict(
            f"lot {lot.lot_number} of {lot.item_code} at {lot.holder_code} holds {before}: "
            f"it cannot give {-quantity}",
            errors=[FieldError("quantity", f"at most {before} can leave this lot")],
        )
    movement = StockMovement(
        lot_id=lot.id,
        kind=kind,
        quantity=quantity,
        reason=reason,
        reference=reference,
        shipment_id=shipment_id,
        at=at or utcnow(),
        recorded_by=actor.actor_label,
    )
    session.add(movement)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"stock.{kind}",
        object_type="lot",
        object_id=lot.id,
        country=lot.holder.country_code,
        detail={"quantity": quantity, "balance": before + quantity, "movement_id": movement.id},
    )
    return movement


def find_or_create_lot(
    *,
    session: Session,
    holder_code: str,
    item_code: str,
    lot_number: str,
    expires_on: dt.date,
    location: str | None = None,
) -> Lot:
    """The holder's lot of that number for the item, made when it is new.

    The same lot number of the same item must keep its expiry date (:class:`Invalid` naming
    ``expires_on`` otherwise); unknown holders and items are :class:`Invalid` too.
    """
    errors: list[FieldError] = []
    number = lot_number.strip()
    if not number or len(number) > MAX_LOT_NUMBER:
        errors.append(FieldError("lot_number", f"1 to {MAX_LOT_NUMBER} characters"))
    if session.get(Holder, holder_code) is None:
        errors.append(FieldError("holder", f"unknown holder {holder_code!r}"))
    if session.get(Item, item_code) is None:
        errors.append(FieldError("item", f"unknown item {item_code!r}"))
    if errors:
        raise Invalid("invalid lot", errors=errors)
    lot = session.scalar(
        select(Lot).where(
            Lot.holder_code == holder_code, Lot.item_code == item_code, Lot.lot_number == number
        )
    )
    if lot is not None:
        if lot.expires_on != expires_on:
            raise Invalid(
                "invalid lot",
                errors=[
                    FieldError(
                        "expires_on",
                        f"lot {number} of {item_code} at {holder_code} expires on "
                        f"{lot.expires_on.isoformat()}",
                    )
                ],
            )
        return lot
    lot = Lot(
        holder_code=holder_code,
        item_code=item_code,
        lot_number=number,
        expires_on=expires_on,
        location=(location or "").strip() or None,
        created_at=utcnow(),
    )
    session.add(lot)
    session.flush()
    return lot


def transfer(
    *,
    session: Session,
    actor: Principal,
    lot_id: int,
    to_holder: str,
    quantity: int,
    reference: str | None = None,
    shipment_id: int | None = None,
    check_access: bool = True,
) -> tuple[StockMovement, StockMovement]:
    """Move ``quantity`` (positive) of a lot to another holder: a ``transfer_out`` of the lot
    and a ``transfer_in`` of the same lot number at ``to_holder``, in one transaction."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise Invalid("invalid transfer", errors=[FieldError("quantity", "a whole number above 0")])
    source = lock_lot(session, lot_id)
    if source.holder_code == to_holder:
        raise Invalid(
            "invalid transfer",
            errors=[FieldError("to_holder", "the lot is already at this holder")],
        )
    target = find_or_create_lot(
        session=session,
        holder_code=to_holder,
        item_code=source.item_code,
        lot_number=source.lot_number,
        expires_on=source.expires_on,
    )
    out = record(
        session=session,
        actor=actor,
        lot_id=source.id,
        kind="transfer_out",
        quantity=-quantity,
        reference=reference,
        shipment_id=shipment_id,
        check_access=check_access,
    )
    into = record(
        session=session,
        actor=actor,
        lot_id=target.id,
        kind="transfer_in",
        quantity=quantity,
        reference=reference,
        shipment_id=shipment_id,
        check_access=False,
    )
    return out, into


def get_lot(session: Session, lot_id: int) -> Lot:
    """The lot, or :class:`NotFound`."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound(f"no lot with id {lot_id}")
    return lot
