"""The regional stock picture and the movements that change it.

Balances are never stored: a lot's quantity is the sum of its ledger movements
(:mod:`healthbridge.resources.ledger`, the only writer). This module reads them per lot and per
item and holder, flags lots that have expired or are short-dated, and records receipts, issues,
adjustments, transfers and expiry write-offs through the ledger.

- A lot is **expired** once its expiry date has passed (``expires_on < today``); on its expiry
  date it is still usable.
- A lot is **short-dated** when it has not expired but expires within the item's minimum
  remaining shelf life, or within ``within`` days (90 unless asked): whichever is longer.
- Everyone signed in reads the picture (``RESOURCE_READ``); who moves which holder's stock is
  :func:`healthbridge.resources.ledger.authorize_holder`'s rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Forbidden, Invalid
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources import ledger
from healthbridge.resources.models import (
    ITEM_KINDS,
    Holder,
    Item,
    Lot,
    StockMovement,
)

#: Days ahead within which a lot is short-dated, unless the item's shelf life asks for more.
DEFAULT_WITHIN = 90
MAX_WITHIN = 3650
MAX_LOCATION = 200
#: What a movement of an existing lot may be, as asked for (the sign follows the kind).
MOVEMENT_CHOICES = ("issue", "adjustment", "write_off", "transfer")
LOT_SORTABLE = {
    "expires_on": Lot.expires_on,
    "item": Lot.item_code,
    "holder": Lot.holder_code,
    "created_at": Lot.created_at,
}


def today() -> dt.date:
    """Today's date in UTC."""
    return utcnow().date()


@dataclass(frozen=True)
class StockFilter:
    """Which stock a picture or a list of lots shows."""

    item: str | None = None
    holder: str | None = None
    #: The country the stock sits in (the holder's).
    country: str | None = None
    kind: str | None = None
    #: Only lots expiring within this many days (expired ones included).
    expiring_within: int | None = None


@dataclass(frozen=True)
class LotView:
    """A lot with its balance and flags, as of ``on``."""

    lot: Lot
    balance: int
    expired: bool
    short_dated: bool
    #: Days until it expires (negative once expired).
    days_left: int


@dataclass
class StockLine:
    """The stock of one item at one holder: its lots with a balance, added up."""

    item: Item
    holder: Holder
    balance: int = 0
    lots: int = 0
    expired_quantity: int = 0
    short_dated_quantity: int = 0
    earliest_expiry: dt.date | None = None
    lot_views: list[LotView] = field(default_factory=list)


@dataclass(frozen=True)
class ReceiptInput:
    """Goods received into a new or an existing lot of a holder."""

    holder: str
    item: str
    lot_number: str
    expires_on: dt.date
    quantity: int
    location: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class MovementInput:
    """A movement of an existing lot.

    ``quantity`` is positive for an issue, a write-off and a transfer (the units that leave);
    signed for an adjustment (which gives its ``reason``). A transfer names ``to_holder``.
    """

    kind: str
    quantity: int
    reason: str | None = None
    reference: str | None = None
    to_holder: str | None = None


def flags(lot: Lot, item: Item, on: dt.date, within: int = DEFAULT_WITHIN) -> tuple[bool, bool]:
    """``(expired, short_dated)`` of ``lot`` on day ``on`` (see the module's docstring)."""
    days_left = (lot.expires_on - on).days
    expired = days_left < 0
    window = max(item.min_shelf_life_days, within)
    return expired, (not expired and days_left <= window)


def view(lot: Lot, balance: int, on: dt.date, within: int = DEFAULT_WITHIN) -> LotView:
    """``lot`` with its balance and flags on day ``on``."""
    expired, short = flags(lot, lot.item, on, within)
    return LotView(
        lot=lot,
        balance=balance,
        expired=expired,
        short_dated=short,
        days_left=(lot.expires_on - on).days,
    )


def check_filter(values: StockFilter) -> None:
    """:class:`Invalid` naming the field when a filter value is not a possible one."""
    errors: list[FieldError] = []
    if values.kind is not None and values.kind not in ITEM_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ITEM_KINDS)}"))
    if values.expiring_within is not None and not 0 <= values.expiring_within <= MAX_WITHIN:
        errors.append(FieldError("expiring_within", f"a number of days from 0 to {MAX_WITHIN}"))
    if errors:
        raise Invalid("invalid filter", errors=errors)


def _lots_query(values: StockFilter, on: dt.date) -> Select[Lot]:
    query = (
        select(Lot)
        .join(Item, Item.code == Lot.item_code)
        .join(Holder, Holder.code == Lot.holder_code)
    )
    if values.item is not None:
        query = query.where(Lot.item_code == values.item)
    if values.holder is not None:
        query = query.where(Lot.holder_code == values.holder)
    if values.country is not None:
        query = query.where(Holder.country_code == values.country.upper())
    if values.kind is not None:
        query = query.where(Item.kind == values.kind)
    if values.expiring_within is not None:
        query = query.where(Lot.expires_on <= on + dt.timedelta(days=values.expiring_within))
    return query.options(selectinload(Lot.item), selectinload(Lot.holder))


def _with_stock(query: Select[Lot]) -> Select[Lot]:
    held = (
        select(StockMovement.lot_id)
        .group_by(StockMovement.lot_id)
        .having(func.sum(StockMovement.quantity) > 0)
    )
    return query.where(Lot.id.in_(held))


def stock_picture(
    *,
    session: Session,
    actor: Principal,
    values: StockFilter,
    on: dt.date | None = None,
    within: int = DEFAULT_WITHIN,
) -> list[StockLine]:
    """The stock of each item at each holder, by item then holder: only lots that hold
    something count, and the lines hold those lots, earliest expiry first."""
    authorize(actor, Action.RESOURCE_READ)
    check_filter(values)
    on = on or today()
    lots = list(
        session.scalars(_with_stock(_lots_query(values, on)).order_by(Lot.expires_on, Lot.id))
    )
    amounts = ledger.balances(session, [lot.id for lot in lots])
    lines: dict[tuple[str, str], StockLine] = {}
    for lot in lots:
        amount = amounts[lot.id]
        if amount <= 0:
            continue
        seen = view(lot, amount, on, within)
        line = lines.setdefault(
            (lot.item_code, lot.holder_code), StockLine(item=lot.item, holder=lot.holder)
        )
        line.balance += amount
        line.lots += 1
        line.lot_views.append(seen)
        if seen.expired:
            line.expired_quantity += amount
        elif seen.short_dated:
            line.short_dated_quantity += amount
        if line.earliest_expiry is None or lot.expires_on < line.earliest_expiry:
            line.earliest_expiry = lot.expires_on
    return [lines[key] for key in sorted(lines)]


def expiring(
    *,
    session: Session,
    actor: Principal,
    values: StockFilter,
    on: dt.date | None = None,
    within: int = DEFAULT_WITHIN,
) -> list[LotView]:
    """Lots with stock that have expired or are short-dated, earliest expiry first."""
    lines = stock_picture(session=session, actor=actor, values=values, on=on, within=within)
    found = [v for line in lines for v in line.lot_views if v.expired or v.short_dated]
    return sorted(found, key=lambda v: (v.lot.expires_on, v.lot.id))


def list_lots(
    *,
    session: Session,
    actor: Principal,
    values: StockFilter,
    page: PageRequest,
    on: dt.date | None = None,
    within: int = DEFAULT_WITHIN,
    with_stock: bool = False,
) -> tuple[list[LotView], int]:
    """Lots with their balances and flags; ``sort`` by expires_on (default), item, holder or
    created_at. ``with_stock``: only lots that hold something."""
    authorize(actor, Action.RESOURCE_READ)
    check_filter(values)
    on = on or today()
    query = _lots_query(values, on)
    if with_stock:
        query = _with_stock(query)
    lots, total = paginate(session, query, page, sortable=LOT_SORTABLE, default_sort="expires_on")
    amounts = ledger.balances(session, [lot.id for lot in lots])
    return [view(lot, amounts[lot.id], on, within) for lot in lots], total


def get_lot(
    *, session: Session, actor: Principal, lot_id: int, on: dt.date | None = None
) -> tuple[LotView, list[StockMovement]]:
    """A lot with its balance and flags, and its ledger (oldest movement first)."""
    authorize(actor, Action.RESOURCE_READ)
    lot = ledger.get_lot(session, lot_id)
    movements = list(
        session.scalars(
            select(StockMovement)
            .where(StockMovement.lot_id == lot.id)
            .order_by(StockMovement.at, StockMovement.id)
        )
    )
    return view(lot, sum(m.quantity for m in movements), on or today()), movements


def can_manage(actor: Principal, holder: Holder) -> bool:
    """Whether ``actor`` may move ``holder``'s stock."""
    try:
        ledger.authorize_holder(actor, holder)
    except Forbidden:
        return False
    return True


# -- movements ------------------------------------------------------------------------------


def receive(*, session: Session, actor: Principal, new: ReceiptInput) -> StockMovement:
    """Receive goods into a lot of a holder (made when new; an existing lot keeps its
    expiry). Refused (409) for a deactivated item."""
    errors: list[FieldError] = []
    holder = session.get(Holder, new.holder) if isinstance(new.holder, str) else None
    if holder is None:
        errors.append(FieldError("holder", f"unknown holder {new.holder!r}"))
    item = session.get(Item, new.item) if isinstance(new.item, str) else None
    if item is None:
        errors.append(FieldError("item", f"unknown item {new.item!r}"))
    number = new.lot_number.strip() if isinstance(new.lot_number, str) else ""
    if not number or len(number) > ledger.MAX_LOT_NUMBER:
        errors.append(FieldError("lot_number", f"1 to {ledger.MAX_LOT_NUMBER} characters"))
    if not isinstance(new.expires_on, dt.date):
        errors.append(FieldError("expires_on", "a date (YYYY-MM-DD)"))
    if isinstance(new.quantity, bool) or not isinstance(new.quantity, int) or new.quantity < 1:
        errors.append(FieldError("quantity", "a whole number above 0"))
    elif new.quantity > ledger.MAX_QUANTITY:
        errors.append(FieldError("quantity", f"at most {ledger.MAX_QUANTITY}"))
    if new.location is not None and len(new.location) > MAX_LOCATION:
        errors.append(FieldError("location", f"at most {MAX_LOCATION} characters"))
    if holder is not None:
        ledger.authorize_holder(actor, holder)
    if errors:
        raise Invalid("invalid receipt", errors=errors)
    assert item is not None and holder is not None
    if not item.active:
        raise Conflict(f"item {item.code} is deactivated: no new stock of it is received")
    lot = ledger.find_or_create_lot(
        session=session,
        holder_code=holder.code,
        item_code=item.code,
        lot_number=new.lot_number,
        expires_on=new.expires_on,
        location=new.location,
    )
    return ledger.record(
        session=session,
        actor=actor,
        lot_id=lot.id,
        kind="receipt",
        quantity=new.quantity,
        reference=new.reference,
    )


def move(
    *, session: Session, actor: Principal, lot_id: int, new: MovementInput
) -> list[StockMovement]:
    """Issue, adjust, write off (an expired lot) or transfer stock of a lot; the movements
    made (two for a transfer)."""
    lot = ledger.get_lot(session, lot_id)
    ledger.authorize_holder(actor, lot.holder)
    errors: list[FieldError] = []
    if new.kind not in MOVEMENT_CHOICES:
        errors.append(FieldError("kind", f"one of {', '.join(MOVEMENT_CHOICES)}"))
    quantity = new.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors.append(FieldError("quantity", "a whole number"))
    elif new.kind != "adjustment" and quantity < 1:
        errors.append(FieldError("quantity", "the units that leave the lot: above 0"))
    if new.kind == "transfer":
        target = session.get(Holder, new.to_holder) if new.to_holder else None
        if target is None:
            errors.append(FieldError("to_holder", f"unknown holder {new.to_holder!r}"))
    elif new.to_holder:
        errors.append(FieldError("to_holder", "only for a transfer"))
    if errors:
        raise Invalid("invalid stock movement", errors=errors)
    if new.kind == "transfer":
        assert new.to_holder is not None
        return list(
            ledger.transfer(
                session=session,
                actor=actor,
                lot_id=lot.id,
                to_holder=new.to_holder,
                quantity=quantity,
                reference=new.reference,
            )
        )
    if new.kind == "write_off" and lot.expires_on >= today():
        raise Conflict(
            f"lot {lot.lot_number} expires on {lot.expires_on.isoformat()}: only expired stock "
            "is written off (record an adjustment, with its reason, for damaged or lost stock)"
        )
    kind = {"issue": "issue", "adjustment": "adjustment", "write_off": "expiry_write_off"}[new.kind]
    signed = quantity if kind == "adjustment" else -quantity
    return [
        ledger.record(
            session=session,
            actor=actor,
            lot_id=lot.id,
            kind=kind,
            quantity=signed,
            reason=new.reason,
            reference=new.reference,
        )
    ]


@dataclass(frozen=True)
class WriteOff:
    """An expired lot written off: its whole balance."""

    lot: Lot
    quantity: int


def write_off_expired(
    *,
    session: Session,
    actor: Principal,
    on: dt.date | None = None,
    holders: Iterable[str] | None = None,
) -> list[WriteOff]:
    """Write off every expired lot that still holds stock, among the holders ``actor``
    manages (or only ``holders``). Running it again writes off nothing more."""
    authorize(actor, Action.STOCK_MANAGE, object_type="lot")
    on = on or today()
    query = _with_stock(select(Lot).where(Lot.expires_on < on)).order_by(Lot.expires_on, Lot.id)
    if holders is not None:
        query = query.where(Lot.holder_code.in_(list(holders)))
    lots = [lot for lot in session.scalars(query) if can_manage(actor, lot.holder)]
    amounts = ledger.balances(session, [lot.id for lot in lots])
    done: list[WriteOff] = []
    for lot in lots:
        amount = amounts[lot.id]
        if amount <= 0:
            continue
        ledger.record(
            session=session,
            actor=actor,
            lot_id=lot.id,
            kind="expiry_write_off",
            quantity=-amount,
            reason=f"expired on {lot.expires_on.isoformat()}",
        )
        done.append(WriteOff(lot=lot, quantity=amount))
    return done
