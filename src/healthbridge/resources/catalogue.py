"""The resource catalogue: items, the holders of stock, transit times between countries and the
deployable teams.

Rules:

- Everyone signed in reads the catalogue (``RESOURCE_READ``, the whole region).
- Items, holders and transit times are the region's: only regional logistics officers, the
  Secretariat and administrators change them (``CATALOGUE_MANAGE``).
- A team belongs to a holder and is managed like that holder's stock
  (:func:`healthbridge.resources.ledger.authorize_holder`): a national stockpile's teams by its
  country's logistics officers, the reserve's and partners' by regional ones.
- An item is never deleted (lots and requests refer to it): it is deactivated, and new stock
  of a deactivated item is refused.
- Every change is audited; nothing commits here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography.models import Country
from healthbridge.organisations.models import Organisation
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources import ledger
from healthbridge.resources.models import (
    COLD_CHAINS,
    HOLDER_KINDS,
    ITEM_KINDS,
    TEAM_TYPES,
    Holder,
    Item,
    Team,
    TransitTime,
)

MAX_NAME = 200
MAX_UNIT = 40
MAX_LOCATION = 200
MAX_PACK_SIZE = 1_000_000
MAX_SHELF_LIFE_DAYS = 3650
MAX_TRANSIT_DAYS = 365
MAX_MEMBERS = 10_000
MAX_LIST = 30
#: ``ors-sachet``: lower-case letters, digits, dots, dashes and underscores.
ITEM_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
#: ``THA-NAT``, ``ARRMS-LAO``: upper-case letters, digits, dashes and underscores.
HOLDER_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,39}")
TEAM_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,59}")
#: A WHO ATC code at any of its five levels: A, A07, A07C, A07CA, A07CA01.
ATC_CODE = re.compile(r"[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?")
#: An ISO 639-1 language code.
LANGUAGE = re.compile(r"[a-z]{2}")
SKILL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
ITEM_SORTABLE = {"code": Item.code, "name": Item.name, "kind": Item.kind}
HOLDER_SORTABLE = {"code": Holder.code, "name": Holder.name, "country": Holder.country_code}
TEAM_SORTABLE = {"code": Team.code, "name": Team.name, "team_type": Team.team_type}


@dataclass(frozen=True)
class ItemInput:
    """A catalogue item as given (created, or upserted by an import)."""

    code: str
    name: str
    kind: str
    unit_of_issue: str
    atc_code: str | None = None
    who_eml: bool = False
    pack_size: int = 1
    cold_chain: str = "none"
    min_shelf_life_days: int = 0


#: The fields of an item that may change after it is made.
ITEM_FIELDS = (
    "name",
    "kind",
    "atc_code",
    "who_eml",
    "unit_of_issue",
    "pack_size",
    "cold_chain",
    "min_shelf_life_days",
)


@dataclass(frozen=True)
class ItemFilter:
    """Which items the catalogue lists."""

    kind: str | None = None
    #: Text in the code, name or ATC code.
    q: str | None = None
    cold_chain: str | None = None
    include_inactive: bool = False


@dataclass(frozen=True)
class HolderInput:
    """A new holder of stock."""

    code: str
    name: str
    kind: str
    country: str
    organisation: str | None = None
    location: str | None = None


@dataclass(frozen=True)
class TeamInput:
    """A new deployable team."""

    code: str
    name: str
    holder: str
    team_type: str
    members: int
    available_from: dt.date
    available_until: dt.date | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


#: The fields of a team that may change after it is made.
TEAM_FIELDS = (
    "name",
    "team_type",
    "members",
    "skills",
    "languages",
    "available_from",
    "available_until",
)


# -- checks ---------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors: list[FieldError], field: str, value: object, limit: int, row: int | None) -> None:
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError(field, "required", row=row))
    elif len(value) > limit:
        errors.append(FieldError(field, f"at most {limit} characters", row=row))


def _whole(
    errors: list[FieldError], field: str, value: object, low: int, high: int, row: int | None
) -> None:
    if not _is_int(value):
        errors.append(FieldError(field, "a whole number", row=row))
    elif not low <= int(str(value)) <= high:
        errors.append(FieldError(field, f"a whole number from {low} to {high}", row=row))


def item_errors(
    new: ItemInput, *, row: int | None = None, check_code: bool = True
) -> list[FieldError]:
    """What is wrong with an item's values (each error naming its field, and ``row``)."""
    errors: list[FieldError] = []
    if check_code and not (isinstance(new.code, str) and ITEM_CODE.fullmatch(new.code)):
        errors.append(
            FieldError(
                "code",
                "1 to 60 lower-case letters, digits, '.', '-' or '_' (e.g. ors-sachet)",
                row=row,
            )
        )
    _text(errors, "name", new.name, MAX_NAME, row)
    if new.kind not in ITEM_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ITEM_KINDS)}", row=row))
    if new.atc_code is not None and not (
        isinstance(new.atc_code, str) and ATC_CODE.fullmatch(new.atc_code)
    ):
        errors.append(FieldError("atc_code", "a WHO ATC code such as A07CA or J07BD53", row=row))
    if not isinstance(new.who_eml, bool):
        errors.append(FieldError("who_eml", "true or false", row=row))
    _text(errors, "unit_of_issue", new.unit_of_issue, MAX_UNIT, row)
    _whole(errors, "pack_size", new.pack_size, 1, MAX_PACK_SIZE, row)
    if new.cold_chain not in COLD_CHAINS:
        errors.append(FieldError("cold_chain", f"one of {', '.join(COLD_CHAINS)}", row=row))
    _whole(errors, "min_shelf_life_days", new.min_shelf_life_days, 0, MAX_SHELF_LIFE_DAYS, row)
    return errors


def normalise_item(new: ItemInput) -> ItemInput:
    """The item with its texts stripped and an empty ATC code made ``None``."""
    atc = (new.atc_code or "").strip().upper() or None
    return dataclasses.replace(
        new,
        code=new.code.strip() if isinstance(new.code, str) else new.code,
        name=new.name.strip() if isinstance(new.name, str) else new.name,
        unit_of_issue=new.unit_of_issue.strip()
        if isinstance(new.unit_of_issue, str)
        else new.unit_of_issue,
        atc_code=atc,
    )


def _fail(detail: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(detail, errors=errors)


def _audit(
    session: Session,
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str | int,
    country: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session=session,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        country=country,
        detail=detail or {},
    )


def _item_values(item: Item) -> dict[str, Any]:
    return {name: getattr(item, name) for name in ITEM_FIELDS}


# -- items ----------------------------------------------------------------------------------


def get_item(*, session: Session, actor: Principal, code: str) -> Item:
    """One catalogue item, or :class:`NotFound`."""
    authorize(actor, Action.RESOURCE_READ)
    item = session.get(Item, code)
    if item is None:
        raise NotFound(f"no catalogue item {code!r}")
    return item


def _items_query(values: ItemFilter) -> Select[Item]:
    query = select(Item)
    if values.kind is not None:
        query = query.where(Item.kind == values.kind)
    if values.cold_chain is not None:
        query = query.where(Item.cold_chain == values.cold_chain)
    if values.q:
        pattern = like_pattern(values.q.strip())
        query = query.where(
            or_(
                Item.code.ilike(pattern, escape="\\"),
                Item.name.ilike(pattern, escape="\\"),
                Item.atc_code.ilike(pattern, escape="\\"),
            )
        )
    if not values.include_inactive:
        query = query.where(Item.active.is_(True))
    return query


def check_item_filter(values: ItemFilter) -> None:
    """:class:`Invalid` naming the field when a filter value is not a known one."""
    errors: list[FieldError] = []
    if values.kind is not None and values.kind not in ITEM_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(ITEM_KINDS)}"))
    if values.cold_chain is not None and values.cold_chain not in COLD_CHAINS:
        errors.append(FieldError("cold_chain", f"one of {', '.join(COLD_CHAINS)}"))
    _fail("invalid filter", errors)


def list_items(
    *, session: Session, actor: Principal, values: ItemFilter, page: PageRequest
) -> tuple[list[Item], int]:
    """The catalogue, active items only unless asked; ``sort`` by code (default), name or
    kind."""
    authorize(actor, Action.RESOURCE_READ)
    check_item_filter(values)
    return paginate(
        session, _items_query(values), page, sortable=ITEM_SORTABLE, default_sort="code"
    )


def create_item(*, session: Session, actor: Principal, new: ItemInput) -> Item:
    """Add an item to the catalogue (:class:`Conflict` when its code is taken)."""
    authorize(actor, Action.CATALOGUE_MANAGE, object_type="item", object_id=str(new.code))
    new = normalise_item(new)
    _fail("invalid item", item_errors(new))
    if session.get(Item, new.code) is not None:
        raise Conflict(
            f"the catalogue already has an item {new.code!r}",
            errors=[FieldError("code", "already used")],
        )
    now = utcnow()
    item = Item(**dataclasses.asdict(new), active=True, created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    _audit(session, actor, "item.create", "item", item.code, detail=_item_values(item))
    return item


def update_item(
    *, session: Session, actor: Principal, code: str, changes: Mapping[str, Any]
) -> Item:
    """Change an item's fields (``ITEM_FIELDS``) and whether it is ``active``; the code never
    changes."""
    authorize(actor, Action.CATALOGUE_MANAGE, object_type="item", object_id=code)
    item = get_item(session=session, actor=actor, code=code)
    unknown = sorted(set(changes) - {*ITEM_FIELDS, "active"})
    _fail(
        "invalid change of the item",
        [FieldError(name, "not a field of an item") for name in unknown],
    )
    errors: list[FieldError] = []
    if "active" in changes and not isinstance(changes["active"], bool):
        errors.append(FieldError("active", "true or false"))
    merged = ItemInput(
        code=item.code,
        **{**_item_values(item), **{k: v for k, v in changes.items() if k in ITEM_FIELDS}},
    )
    merged = normalise_item(merged)
    errors.extend(item_errors(merged, check_code=False))
    _fail("invalid change of the item", errors)
    before = _item_values(item) | {"active": item.active}
    for name in ITEM_FIELDS:
        setattr(item, name, getattr(merged, name))
    if "active" in changes:
        item.active = bool(changes["active"])
    after = _item_values(item) | {"active": item.active}
    changed = {k: after[k] for k in after if after[k] != before[k]}
    if changed:
        item.updated_at = utcnow()
        session.flush()
        _audit(session, actor, "item.update", "item", item.code, detail=changed)
    return item


def deactivate_item(*, session: Session, actor: Principal, code: str) -> Item:
    """Take an item out of the catalogue's active list (its lots and requests remain)."""
    return update_item(session=session, actor=actor, code=code, changes={"active": False})


# -- holders --------------------------------------------------------------------------------


def get_holder(*, session: Session, actor: Principal, code: str) -> Holder:
    """One holder of stock, or :class:`NotFound`."""
    authorize(actor, Action.RESOURCE_READ)
    holder = session.get(Holder, code)
    if holder is None:
        raise NotFound(f"no holder {code!r}")
    return holder


def list_holders(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    kind: str | None = None,
    country: str | None = None,
) -> tuple[list[Holder], int]:
    """The holders of stock; ``sort`` by code (default), name or country."""
    authorize(actor, Action.RESOURCE_READ)
    if kind is not None and kind not in HOLDER_KINDS:
        raise Invalid(
            "invalid filter", errors=[FieldError("kind", f"one of {', '.join(HOLDER_KINDS)}")]
        )
    query = select(Holder)
    if kind is not None:
        query = query.where(Holder.kind == kind)
    if country is not None:
        query = query.where(Holder.country_code == country.upper())
    return paginate(session, query, page, sortable=HOLDER_SORTABLE, default_sort="code")


def create_holder(*, session: Session, actor: Principal, new: HolderInput) -> Holder:
    """Add a holder: a national stockpile, a reserve warehouse or a partner."""
    authorize(actor, Action.CATALOGUE_MANAGE, object_type="holder", object_id=str(new.code))
    errors: list[FieldError] = []
    code = (new.code or "").strip()
    if not HOLDER_CODE.fullmatch(code):
        errors.append(
            FieldError("code", "1 to 40 upper-case letters, digits, '-' or '_' (e.g. THA-NAT)")
        )
    _text(errors, "name", new.name, MAX_NAME, None)
    if new.kind not in HOLDER_KINDS:
        errors.append(FieldError("kind", f"one of {', '.join(HOLDER_KINDS)}"))
    country = (new.country or "").strip().upper()
    if session.get(Country, country) is None:
        errors.append(FieldError("country", f"unknown country {new.country!r}"))
    organisation = (new.organisation or "").strip() or None
    if organisation is not None and session.get(Organisation, organisation) is None:
        errors.append(FieldError("organisation", f"unknown organisation {organisation!r}"))
    location = (new.location or "").strip() or None
    if location is not None and len(location) > MAX_LOCATION:
        errors.append(FieldError("location", f"at most {MAX_LOCATION} characters"))
    _fail("invalid holder", errors)
    if session.get(Holder, code) is not None:
        raise Conflict(
            f"there is already a holder {code!r}", errors=[FieldError("code", "already used")]
        )
    holder = Holder(
        code=code,
        name=new.name.strip(),
        kind=new.kind,
        country_code=country,
        organisation_code=organisation,
        location=location,
        created_at=utcnow(),
    )
    session.add(holder)
    session.flush()
    _audit(
        session,
        actor,
        "holder.create",
        "holder",
        code,
        country,
        {"kind": new.kind, "name": holder.name},
    )
    return holder


# -- transit times --------------------------------------------------------------------------


def list_transit_times(
    *,
    session: Session,
    actor: Principal,
    origin: str | None = None,
    destination: str | None = None,
) -> list[TransitTime]:
    """Days from one country to another, by origin then destination."""
    authorize(actor, Action.RESOURCE_READ)
    query = select(TransitTime).order_by(TransitTime.origin_code, TransitTime.destination_code)
    if origin is not None:
        query = query.where(TransitTime.origin_code == origin.upper())
    if destination is not None:
        query = query.where(TransitTime.destination_code == destination.upper())
    return list(session.scalars(query))


def set_transit_times(
    *, session: Session, actor: Principal, entries: Iterable[tuple[str, str, int]]
) -> tuple[int, int]:
    """Set the days of each ``(origin, destination, days)``; pairs not given are kept.
    Returns ``(created, updated)``. Errors name the entry (``entries[3].days``)."""
    authorize(actor, Action.CATALOGUE_MANAGE, object_type="transit_time")
    countries = set(session.scalars(select(Country.code)))
    errors: list[FieldError] = []
    wanted: dict[tuple[str, str], int] = {}
    for index, (origin, destination, days) in enumerate(entries):
        where = f"entries[{index}]"
        pair = (str(origin).upper(), str(destination).upper())
        if pair[0] not in countries:
            errors.append(FieldError(f"{where}.origin", f"unknown country {origin!r}"))
        if pair[1] not in countries:
            errors.append(FieldError(f"{where}.destination", f"unknown country {destination!r}"))
        _whole(errors, f"{where}.days", days, 0, MAX_TRANSIT_DAYS, None)
        if pair in wanted:
            errors.append(FieldError(where, f"{pair[0]} to {pair[1]} is given twice"))
        wanted[pair] = days
    _fail("invalid transit times", errors)
    existing = {
        (t.origin_code, t.destination_code): t for t in session.scalars(select(TransitTime))
    }
    created = updated = 0
    for (origin, destination), days in wanted.items():
        found = existing.get((origin, destination))
        if found is None:
            session.add(TransitTime(origin_code=origin, destination_code=destination, days=days))
            created += 1
        elif found.days != days:
            found.days = days
            updated += 1
    session.flush()
    if created or updated:
        _audit(
            session,
            actor,
            "transit.set",
            "transit_time",
            "*",
            detail={"created": created, "updated": updated},
        )
    return created, updated


# -- teams ----------------------------------------------------------------------------------


def get_team(*, session: Session, actor: Principal, team_id: int) -> Team:
    """One team, or :class:`NotFound`."""
    authorize(actor, Action.RESOURCE_READ)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def list_teams(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    team_type: str | None = None,
    holder: str | None = None,
) -> tuple[list[Team], int]:
    """The deployable teams; ``sort`` by code (default), name or team_type."""
    authorize(actor, Action.RESOURCE_READ)
    if team_type is not None and team_type not in TEAM_TYPES:
        raise Invalid(
            "invalid filter", errors=[FieldError("team_type", f"one of {', '.join(TEAM_TYPES)}")]
        )
    query = select(Team)
    if team_type is not None:
        query = query.where(Team.team_type == team_type)
    if holder is not None:
        query = query.where(Team.holder_code == holder)
    return paginate(session, query, page, sortable=TEAM_SORTABLE, default_sort="code")


def _codes(
    errors: list[FieldError], field: str, values: object, pattern: re.Pattern[str]
) -> list[str]:
    if not isinstance(values, list | tuple) or len(values) > MAX_LIST:
        errors.append(FieldError(field, f"a list of at most {MAX_LIST} codes"))
        return []
    out: list[str] = []
    for value in values:
        text = value.strip().lower() if isinstance(value, str) else ""
        if not pattern.fullmatch(text):
            errors.append(FieldError(field, f"{value!r} is not a valid code"))
        elif text not in out:
            out.append(text)
    return out


def _team_errors(values: Mapping[str, Any]) -> tuple[list[FieldError], list[str], list[str]]:
    errors: list[FieldError] = []
    _text(errors, "name", values["name"], MAX_NAME, None)
    if values["team_type"] not in TEAM_TYPES:
        errors.append(FieldError("team_type", f"one of {', '.join(TEAM_TYPES)}"))
    _whole(errors, "members", values["members"], 1, MAX_MEMBERS, None)
    skills = _codes(errors, "skills", values["skills"], SKILL)
    languages = _codes(errors, "languages", values["languages"], LANGUAGE)
    start, end = values["available_from"], values["available_until"]
    if not isinstance(start, dt.date):
        errors.append(FieldError("available_from", "a date (YYYY-MM-DD)"))
    elif end is not None and (not isinstance(end, dt.date) or end < start):
        errors.append(FieldError("available_until", "a date not before available_from"))
    return errors, skills, languages


def create_team(*, session: Session, actor: Principal, new: TeamInput) -> Team:
    """Add a deployable team of a holder (managed like that holder's stock)."""
    holder = session.get(Holder, new.holder)
    if holder is None:
        raise Invalid(
            "invalid team", errors=[FieldError("holder", f"unknown holder {new.holder!r}")]
        )
    ledger.authorize_holder(actor, holder)
    code = (new.code or "").strip().upper()
    values = {name: getattr(new, name) for name in TEAM_FIELDS}
    values["skills"], values["languages"] = list(new.skills), list(new.languages)
    errors, skills, languages = _team_errors(values)
    if not TEAM_CODE.fullmatch(code):
        errors.insert(0, FieldError("code", "1 to 60 letters, digits, '-' or '_' (e.g. KOR-EMT2)"))
    _fail("invalid team", errors)
    if session.scalar(select(Team.id).where(Team.code == code)) is not None:
        raise Conflict(
            f"there is already a team {code!r}", errors=[FieldError("code", "already used")]
        )
    now = utcnow()
    team = Team(
        code=code,
        name=new.name.strip(),
        holder_code=holder.code,
        team_type=new.team_type,
        members=new.members,
        skills=skills,
        languages=languages,
        available_from=new.available_from,
        available_until=new.available_until,
        created_at=now,
        updated_at=now,
    )
    session.add(team)
    session.flush()
    _audit(session, actor, "team.create", "team", team.id, holder.country_code, {"code": code})
    return team


def update_team(
    *, session: Session, actor: Principal, team_id: int, changes: Mapping[str, Any]
) -> Team:
    """Change a team's fields (``TEAM_FIELDS``): its size, skills, languages, availability."""
    team = get_team(session=session, actor=actor, team_id=team_id)
    ledger.authorize_holder(actor, team.holder)
    unknown = sorted(set(changes) - set(TEAM_FIELDS))
    _fail(
        "invalid change of the team",
        [FieldError(name, "not a field of a team") for name in unknown],
    )
    values = {name: getattr(team, name) for name in TEAM_FIELDS} | dict(changes)
    errors, skills, languages = _team_errors(values)
    _fail("invalid change of the team", errors)
    values["skills"], values["languages"] = skills, languages
    if isinstance(values["name"], str):
        values["name"] = values["name"].strip()
    changed = {k: v for k, v in values.items() if getattr(team, k) != v}
    for name, value in changed.items():
        setattr(team, name, value)
    if changed:
        team.updated_at = utcnow()
        session.flush()
        _audit(
            session,
            actor,
            "team.update",
            "team",
            team.id,
            team.holder.country_code,
            {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in changed.items()},
        )
    return team
