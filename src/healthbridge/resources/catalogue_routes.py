"""API: the resource catalogue (items, holders, transit times, teams) and the regional stock
(the picture by item and holder, lots with their ledgers, receipts and movements).

Everyone signed in reads; the catalogue is changed by regional logistics (``CATALOGUE_MANAGE``),
stock and teams by the logistics officers of the holder's country or regional ones
(``STOCK_MANAGE``). Every change is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.resources import catalogue, stock
from healthbridge.resources.catalogue_schemas import (
    HolderCreate,
    HolderPage,
    HolderRead,
    ItemCreate,
    ItemPage,
    ItemRead,
    ItemUpdate,
    LotDetail,
    LotPage,
    LotRead,
    MovementCreate,
    MovementRead,
    MovementsMade,
    ReceiptCreate,
    StockLineRead,
    StockPicture,
    TeamCreate,
    TeamPage,
    TeamRead,
    TeamUpdate,
    TransitTimeRead,
    TransitTimesResult,
    TransitTimesSet,
)
from healthbridge.resources.models import StockMovement

router = APIRouter(tags=["resources"])
Reader = Annotated[Principal, Depends(Allow(Action.RESOURCE_READ))]
CatalogueManager = Annotated[Principal, Depends(Allow(Action.CATALOGUE_MANAGE))]
StockManager = Annotated[Principal, Depends(Allow(Action.STOCK_MANAGE))]
Within = Annotated[
    int,
    Query(ge=0, le=stock.MAX_WITHIN, description="Days ahead that count as short-dated"),
]
ExpiringWithin = Annotated[
    int | None,
    Query(ge=0, le=stock.MAX_WITHIN, description="Only lots expiring within this many days"),
]
Code = Annotated[str | None, Query(max_length=60)]


def lot_read(seen: stock.LotView) -> LotRead:
    """A lot as the API shows it."""
    lot = seen.lot
    return LotRead(
        id=lot.id,
        item_code=lot.item_code,
        holder_code=lot.holder_code,
        country_code=lot.holder.country_code,
        lot_number=lot.lot_number,
        expires_on=lot.expires_on,
        location=lot.location,
        balance=seen.balance,
        expired=seen.expired,
        short_dated=seen.short_dated,
        days_left=seen.days_left,
    )


def lot_detail(seen: stock.LotView, movements: list[StockMovement]) -> LotDetail:
    """A lot with its ledger."""
    return LotDetail(
        **lot_read(seen).model_dump(),
        movements=[MovementRead.model_validate(m) for m in movements],
    )


def line_read(line: stock.StockLine) -> StockLineRead:
    """A line of the stock picture."""
    return StockLineRead(
        item_code=line.item.code,
        item_name=line.item.name,
        unit_of_issue=line.item.unit_of_issue,
        holder_code=line.holder.code,
        holder_name=line.holder.name,
        country_code=line.holder.country_code,
        balance=line.balance,
        lots=line.lots,
        expired_quantity=line.expired_quantity,
        short_dated_quantity=line.short_dated_quantity,
        earliest_expiry=line.earliest_expiry,
    )


# -- items ----------------------------------------------------------------------------------


@router.get(
    "/resources/items",
    response_model=ItemPage,
    summary="The resource catalogue",
    description="Active items unless `include_inactive`; `q` searches code, name and ATC "
    "code. `sort`: code (default), name, kind; `-` for descending.",
)
def list_items(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    cold_chain: Annotated[str | None, Query(max_length=10)] = None,
    include_inactive: bool = False,
) -> ItemPage:
    values = catalogue.ItemFilter(
        kind=kind, q=q, cold_chain=cold_chain, include_inactive=include_inactive
    )
    rows, total = catalogue.list_items(session=session, actor=actor, values=values, page=page)
    add_link_header(request, response, page, total)
    return ItemPage(
        items=[ItemRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/resources/items",
    response_model=ItemRead,
    status_code=201,
    summary="Add an item to the catalogue",
    description="Regional logistics only; 409 when the code is taken. Audited.",
)
def create_item(session: SessionDep, actor: CatalogueManager, new: ItemCreate) -> ItemRead:
    made = catalogue.create_item(
        session=session, actor=actor, new=catalogue.ItemInput(**new.model_dump())
    )
    return ItemRead.model_validate(made)


@router.get("/resources/items/{code}", response_model=ItemRead, summary="One catalogue item")
def get_item(session: SessionDep, actor: Reader, code: str) -> ItemRead:
    return ItemRead.model_validate(catalogue.get_item(session=session, actor=actor, code=code))


@router.patch(
    "/resources/items/{code}",
    response_model=ItemRead,
    summary="Change a catalogue item, or deactivate it",
    description="Only the fields given change; `active: false` deactivates the item (its "
    "lots and requests remain; no new stock of it is received). Audited.",
)
def update_item(
    session: SessionDep, actor: CatalogueManager, code: str, changes: ItemUpdate
) -> ItemRead:
    made = catalogue.update_item(
        session=session, actor=actor, code=code, changes=changes.model_dump(exclude_unset=True)
    )
    return ItemRead.model_validate(made)


# -- holders and transit times --------------------------------------------------------------


@router.get(
    "/resources/holders",
    response_model=HolderPage,
    summary="Holders of stock: national stockpiles, reserve warehouses, partners",
)
def list_holders(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
) -> HolderPage:
    rows, total = catalogue.list_holders(
        session=session, actor=actor, page=page, kind=kind, country=country
    )
    add_link_header(request, response, page, total)
    return HolderPage(
        items=[HolderRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/resources/holders",
    response_model=HolderRead,
    status_code=201,
    summary="Add a holder of stock",
    description="Regional logistics only; 409 when the code is taken. Audited.",
)
def create_holder(session: SessionDep, actor: CatalogueManager, new: HolderCreate) -> HolderRead:
    made = catalogue.create_holder(
        session=session, actor=actor, new=catalogue.HolderInput(**new.model_dump())
    )
    return HolderRead.model_validate(made)


@router.get(
    "/resources/transit-times",
    response_model=list[TransitTimeRead],
    summary="Days to move goods between countries",
    description="A missing pair means no route.",
)
def list_transit_times(
    session: SessionDep,
    actor: Reader,
    origin: Annotated[str | None, Query(max_length=3)] = None,
    destination: Annotated[str | None, Query(max_length=3)] = None,
) -> list[TransitTimeRead]:
    rows = catalogue.list_transit_times(
        session=session, actor=actor, origin=origin, destination=destination
    )
    return [TransitTimeRead.model_validate(r) for r in rows]


@router.put(
    "/resources/transit-times",
    response_model=TransitTimesResult,
    summary="Set transit times",
    description="Sets the days of each pair given (errors name `entries[i].field`); pairs "
    "not given are kept. Regional logistics only. Audited.",
)
def set_transit_times(
    session: SessionDep, actor: CatalogueManager, given: TransitTimesSet
) -> TransitTimesResult:
    created, updated = catalogue.set_transit_times(
        session=session,
        actor=actor,
        entries=[(e.origin, e.destination, e.days) for e in given.entries],
    )
    return TransitTimesResult(created=created, updated=updated)


# -- teams ----------------------------------------------------------------------------------


@router.get("/resources/teams", response_model=TeamPage, summary="Deployable teams")
def list_teams(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    team_type: Annotated[str | None, Query(max_length=32)] = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
) -> TeamPage:
    rows, total = catalogue.list_teams(
        session=session, actor=actor, page=page, team_type=team_type, holder=holder
    )
    add_link_header(request, response, page, total)
    return TeamPage(
        items=[TeamRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/resources/teams",
    response_model=TeamRead,
    status_code=201,
    summary="Add a deployable team",
    description="By the logistics officers who manage the holder's stock. Audited.",
)
def create_team(session: SessionDep, actor: StockManager, new: TeamCreate) -> TeamRead:
    values = new.model_dump()
    values["skills"], values["languages"] = tuple(new.skills), tuple(new.languages)
    made = catalogue.create_team(session=session, actor=actor, new=catalogue.TeamInput(**values))
    return TeamRead.model_validate(made)


@router.patch(
    "/resources/teams/{team_id}",
    response_model=TeamRead,
    summary="Change a team: size, skills, languages, availability",
)
def update_team(
    session: SessionDep, actor: StockManager, team_id: int, changes: TeamUpdate
) -> TeamRead:
    made = catalogue.update_team(
        session=session,
        actor=actor,
        team_id=team_id,
        changes=changes.model_dump(exclude_unset=True),
    )
    return TeamRead.model_validate(made)


# -- stock ----------------------------------------------------------------------------------


@router.get(
    "/resources/stock",
    response_model=StockPicture,
    summary="The regional stock picture by item and holder",
    description="Lots holding stock, added up per item and holder, with the quantities "
    "expired and short-dated (expiring within the item's minimum shelf life or `within` "
    "days, whichever is longer).",
)
def stock_picture(
    session: SessionDep,
    actor: Reader,
    item: Code = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    expiring_within: ExpiringWithin = None,
    within: Within = stock.DEFAULT_WITHIN,
) -> StockPicture:
    values = stock.StockFilter(
        item=item, holder=holder, country=country, kind=kind, expiring_within=expiring_within
    )
    on = stock.today()
    lines = stock.stock_picture(session=session, actor=actor, values=values, on=on, within=within)
    return StockPicture(on=on, within=within, lines=[line_read(line) for line in lines])


@router.get(
    "/resources/lots",
    response_model=LotPage,
    summary="Lots with their balances and flags",
    description="`sort`: expires_on (default), item, holder, created_at; `with_stock` keeps "
    "lots that hold something.",
)
def list_lots(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    item: Code = None,
    holder: Annotated[str | None, Query(max_length=40)] = None,
    country: Annotated[str | None, Query(max_length=3)] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    expiring_within: ExpiringWithin = None,
    within: Within = stock.DEFAULT_WITHIN,
    with_stock: bool = False,
) -> LotPage:
    values = stock.StockFilter(
        item=item, holder=holder, country=country, kind=kind, expiring_within=expiring_within
    )
    rows, total = stock.list_lots(
        session=session,
        actor=actor,
        values=values,
        page=page,
        within=within,
        with_stock=with_stock,
    )
    add_link_header(request, response, page, total)
    return LotPage(
        items=[lot_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/resources/lots/{lot_id}", response_model=LotDetail, summary="A lot and its ledger")
def get_lot(session: SessionDep, actor: Reader, lot_id: int) -> LotDetail:
    seen, movements = stock.get_lot(session=session, actor=actor, lot_id=lot_id)
    return lot_detail(seen, movements)


@router.post(
    "/resources/lots",
    response_model=LotDetail,
    status_code=201,
    summary="Receive stock into a new or an existing lot",
    description="An existing lot (same holder, item and lot number) must keep its expiry "
    "date (422 naming `expires_on`). 409 for a deactivated item. Audited.",
)
def receive(session: SessionDep, actor: StockManager, new: ReceiptCreate) -> LotDetail:
    movement = stock.receive(
        session=session, actor=actor, new=stock.ReceiptInput(**new.model_dump())
    )
    seen, movements = stock.get_lot(session=session, actor=actor, lot_id=movement.lot_id)
    return lot_detail(seen, movements)


@router.post(
    "/resources/lots/{lot_id}/movements",
    response_model=MovementsMade,
    status_code=201,
    summary="Issue, adjust, write off or transfer stock of a lot",
    description="`quantity` is the units that leave for an issue, a write-off (of an expired "
    "lot only, 409 otherwise) and a transfer (to `to_holder`); signed for an adjustment, "
    "which needs a `reason`. 409 when the lot holds too little. Audited.",
)
def move(
    session: SessionDep, actor: StockManager, lot_id: int, new: MovementCreate
) -> MovementsMade:
    made = stock.move(
        session=session, actor=actor, lot_id=lot_id, new=stock.MovementInput(**new.model_dump())
    )
    seen, _ = stock.get_lot(session=session, actor=actor, lot_id=lot_id)
    return MovementsMade(
        movements=[MovementRead.model_validate(m) for m in made], balance=seen.balance
    )
