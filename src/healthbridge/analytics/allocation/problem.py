"""The allocation problem: items, lots, requests, transit times and teams, read from JSON data.

:func:`parse_problem` checks a whole ``problem.json`` document (already decoded into Python
values) and returns a :class:`Problem` made of frozen dataclasses, or raises
:class:`ProblemError` listing *every* error found, each as a field path and a message, e.g.
``lots[3].quantity: must be a whole number >= 0``. Nothing else is ever raised for bad input.

The format is described in ``docs/methods-allocation.md``; in short::

    {"today": "2026-11-26",
     "priority_weights": {"critical": 8, "high": 4, "medium": 2, "low": 1},   # optional
     "items":    [{"id": "ors-sachet", "min_shelf_life_days": 90}],
     "lots":     [{"id": "L1", "item": "ors-sachet", "holder": "KOR", "quantity": 1000,
                   "expires_on": "2027-06-30"}],
     "requests": [{"id": "R1", "item": "ors-sachet", "country": "LAO", "quantity": 500,
                   "priority": "critical", "needed_by": "2026-12-05"}],
     "transit_days": {"KOR": {"LAO": 4}},
     "teams": [...], "team_requests": [...]}                                   # optional
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Final, TypeVar

#: The priorities of a request, most urgent first.
PRIORITIES: Final[tuple[str, ...]] = ("critical", "high", "medium", "low")
#: The weight of a delivered unit (or a filled team request) by priority, unless overridden.
DEFAULT_PRIORITY_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}
)
#: Kinds of deployable team: the WHO Emergency Medical Team types and single experts.
TEAM_TYPES: Final[tuple[str, ...]] = (
    "emt_type_1_mobile",
    "emt_type_1_fixed",
    "emt_type_2",
    "emt_type_3",
    "emt_specialised_care_cell",
    "field_epidemiologist",
    "laboratory_scientist",
)
#: Largest quantity accepted for a lot or a request (keeps the solver's numbers well scaled).
MAX_QUANTITY: Final = 10**9
#: Largest transit time or minimum shelf life accepted, in days.
MAX_DAYS: Final = 3650
#: Dates are accepted between these years (inclusive).
FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2999

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOP_LEVEL = frozenset(
    {
        "today",
        "priority_weights",
        "items",
        "lots",
        "requests",
        "transit_days",
        "teams",
        "team_requests",
    }
)


class ProblemError(ValueError):
    """An allocation problem that cannot be solved as given; ``errors`` lists every fault found.

    Each error is a ``(field path, message)`` pair such as ``("requests[0].item", "unknown item
    'x'")``; the string of the exception lists them all, one per line.
    """

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors: list[tuple[str, str]] = list(errors)
        lines = [f"{path}: {message}" for path, message in self.errors]
        count = len(self.errors)
        super().__init__(
            f"the allocation problem has {count} error{'s' if count != 1 else ''}:\n"
            + "\n".join(lines)
        )


@dataclass(frozen=True, slots=True)
class Item:
    """A supply item; ``min_shelf_life_days`` is the shelf life a lot must keep on arrival."""

    id: str
    min_shelf_life_days: int = 0


@dataclass(frozen=True, slots=True)
class Lot:
    """A quantity of one item held by a holder (a stockpile, warehouse or partner) until expiry.

    ``for_requests`` (optional) restricts the lot to those requests, e.g. a pledge made for
    them; None means any request of the item.
    """

    id: str
    item: str
    holder: str
    quantity: int
    expires_on: date
    for_requests: frozenset[str] | None = None

    def may_serve(self, request: str) -> bool:
        """Whether the lot may go to the request of that id (same item assumed)."""
        return self.for_requests is None or request in self.for_requests


@dataclass(frozen=True, slots=True)
class Request:
    """A country's request for a quantity of an item by a date, with a priority.

    ``requested_at`` (optional) orders requests for the first-come-first-served baseline;
    without it, the input order is used.
    """

    id: str
    item: str
    country: str
    quantity: int
    priority: str
    needed_by: date
    requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Team:
    """A deployable team or expert based at ``holder``, free from ``available_from`` to
    ``available_until`` (inclusive)."""

    id: str
    holder: str
    type: str
    skills: frozenset[str]
    languages: frozenset[str]
    available_from: date
    available_until: date


@dataclass(frozen=True, slots=True)
class TeamRequest:
    """A country's request for one team of a type, with skills, languages and a time window.

    A team qualifies when it is of the type, has every skill asked for and speaks at least one
    of the languages (any language when none is given).
    """

    id: str
    country: str
    type: str
    skills: frozenset[str]
    languages: frozenset[str]
    priority: str
    needed_from: date
    needed_until: date


@dataclass(frozen=True, slots=True)
class Problem:
    """A checked allocation problem (see :func:`parse_problem`)."""

    today: date
    items: tuple[Item, ...]
    lots: tuple[Lot, ...]
    requests: tuple[Request, ...]
    transit_days: Mapping[str, Mapping[str, int]]
    priority_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_PRIORITY_WEIGHTS)
    teams: tuple[Team, ...] = ()
    team_requests: tuple[TeamRequest, ...] = ()
    #: Whether the input had ``teams`` or ``team_requests``: the plan then lists deployments.
    has_teams: bool = False
    _items_by_id: Mapping[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_items_by_id", MappingProxyType({item.id: item for item in self.items})
        )

    def item(self, item_id: str) -> Item:
        """The item of that id (KeyError if unknown)."""
        return self._items_by_id[item_id]

    def transit(self, holder: str, country: str) -> int | None:
        """Days from ``holder`` to ``country``; 0 for a holder shipping to itself unless given;
        None when that holder cannot ship there."""
        days = self.transit_days.get(holder, {}).get(country)
        if days is None and holder == country:
            return 0
        return days

    def weight(self, priority: str) -> float:
        """The weight of one unit (or one team) of that priority."""
        return self.priority_weights[priority]


# --- parsing ---------------------------------------------------------------------------------

T = TypeVar("T")


class _Errors:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _finite(value: Any) -> bool:
    """A number (not a boolean) that is finite; integers of any size count."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _whole(value: Any, path: str, errors: _Errors, *, maximum: int) -> int | None:
    if _finite(value) and (isinstance(value, int) or float(value).is_integer()) and value >= 0:
        number = int(value)
        if number > maximum:
            errors.add(path, f"must be at most {maximum}")
            return None
        return number
    errors.add(path, "must be a whole number >= 0")
    return None


def _text(value: Any, path: str, errors: _Errors) -> str | None:
    if isinstance(value, str) and value.strip():
        if len(value) > 200:
            errors.add(path, "must be at most 200 characters")
            return None
        return value
    errors.add(path, "must be a non-empty string")
    return None


def _date(value: Any, path: str, errors: _Errors) -> date | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if FIRST_YEAR <= parsed.year <= LAST_YEAR:
                return parsed
            errors.add(path, f"must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31")
            return None
    errors.add(path, "not a date (YYYY-MM-DD)")
    return None


def _datetime(value: Any, path: str, errors: _Errors) -> datetime | None:
    if isinstance(value, str) and _DATE.fullmatch(value):
        day = _date(value, path, errors)
        return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)
    if isinstance(value, str) and len(value) <= 40 and _DATE.match(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and FIRST_YEAR <= parsed.year <= LAST_YEAR:
            # A date-time without an offset is read as UTC.
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    errors.add(path, "not a date or date-time (ISO 8601, e.g. 2026-11-20T08:30:00Z)")
    return None


def _choice(value: Any, path: str, errors: _Errors, choices: Sequence[str]) -> str | None:
    if isinstance(value, str) and value in choices:
        return value
    errors.add(path, f"must be one of {', '.join(choices)}, not {_describe(value)}")
    return None


def _strings(value: Any, path: str, errors: _Errors) -> frozenset[str] | None:
    if not isinstance(value, list):
        errors.add(path, "must be a list of strings")
        return None
    found: set[str] = set()
    ok = True
    for index, entry in enumerate(value):
        text = _text(entry, f"{path}[{index}]", errors)
        if text is None:
            ok = False
        else:
            found.add(text)
    return frozenset(found) if ok else None


def _records(
    data: Mapping[str, Any],
    key: str,
    errors: _Errors,
    *,
    required: bool,
    fields: Mapping[str, bool],
) -> list[tuple[str, Mapping[str, Any]]]:
    """The objects of the list ``data[key]`` with their paths; reports missing/unknown fields.

    ``fields`` maps each allowed field to whether it is required.
    """
    if key not in data:
        if required:
            errors.add(key, "is required")
        return []
    value = data[key]
    if not isinstance(value, list):
        errors.add(key, "must be a list of objects")
        return []
    records: list[tuple[str, Mapping[str, Any]]] = []
    for index, entry in enumerate(value):
        path = f"{key}[{index}]"
        if not isinstance(entry, Mapping):
            errors.add(path, "must be an object")
            continue
        for name in entry:
            if name not in fields:
                errors.add(f"{path}.{name}", "unknown field")
        for name, needed in fields.items():
            if needed and name not in entry:
                errors.add(f"{path}.{name}", "is required")
        records.append((path, entry))
    return records


def _unique_ids(
    records: Iterable[tuple[str, Mapping[str, Any]]], errors: _Errors
) -> dict[str, str]:
    """Check every ``id``; return the first path of each id (duplicates are errors)."""
    seen: dict[str, str] = {}
    for path, record in records:
        if "id" not in record:
            continue
        text = _text(record["id"], f"{path}.id", errors)
        if text is None:
            continue
        if text in seen:
            errors.add(f"{path}.id", f"duplicate id {text!r} (first at {seen[text]})")
        else:
            seen[text] = path
    return seen


def _field(
    record: Mapping[str, Any],
    path: str,
    name: str,
    check: Callable[[Any, str, _Errors], T | None],
    errors: _Errors,
) -> T | None:
    if name not in record:
        return None  # reported by _records
    return check(record[name], f"{path}.{name}", errors)


def parse_problem(data: Mapping[str, Any] | Any) -> Problem:
    """Check a decoded ``problem.json`` and build the :class:`Problem`.

    Raises :class:`ProblemError` with every error found (never anything else, whatever ``data``
    holds).
    """
    errors = _Errors()
    if not isinstance(data, Mapping):
        raise ProblemError([("problem", "must be a JSON object")])
    for name in data:
        if name not in _TOP_LEVEL:
            errors.add(str(name), "unknown field")

    today: date | None = None
    if "today" in data:
        today = _date(data["today"], "today", errors)
    else:
        errors.add("today", "is required")

    weights = dict(DEFAULT_PRIORITY_WEIGHTS)
    if "priority_weights" in data:
        given = data["priority_weights"]
        if not isinstance(given, Mapping):
            errors.add("priority_weights", 'must be an object such as {"critical": 8}')
        else:
            for name, value in given.items():
                path = f"priority_weights.{name}"
                if name not in PRIORITIES:
                    errors.add(path, f"unknown priority (one of {', '.join(PRIORITIES)})")
                elif not (_finite(value) and 0 < value <= 10**6):
                    errors.add(path, "must be a positive number (at most 1000000)")
                else:
                    weights[name] = float(value)

    items = _parse_items(data, errors)
    known_items = {item.id for item in items}
    lots = _parse_lots(data, errors, known_items)
    requests = _parse_requests(data, errors, known_items)
    _check_bound_lots(data, lots, requests, errors)
    transit = _parse_transit(data, errors)
    teams = _parse_teams(data, errors)
    team_requests = _parse_team_requests(data, errors)

    if errors.items or today is None:
        raise ProblemError(errors.items)
    return Problem(
        today=today,
        items=tuple(items),
        lots=tuple(lots),
        requests=tuple(requests),
        transit_days=MappingProxyType(transit),
        priority_weights=MappingProxyType(weights),
        teams=tuple(teams),
        team_requests=tuple(team_requests),
        has_teams="teams" in data or "team_requests" in data,
    )


def _parse_items(data: Mapping[str, Any], errors: _Errors) -> list[Item]:
    records = _records(
        data, "items", errors, required=True, fields={"id": True, "min_shelf_life_days": False}
    )
    ids = _unique_ids(records, errors)
    items: list[Item] = []
    for path, record in records:
        shelf: int | None = 0
        if "min_shelf_life_days" in record:
            shelf = _whole(
                record["min_shelf_life_days"],
                f"{path}.min_shelf_life_days",
                errors,
                maximum=MAX_DAYS,
            )
        item_id = record.get("id")
        if isinstance(item_id, str) and ids.get(item_id) == path and shelf is not None:
            items.append(Item(id=item_id, min_shelf_life_days=shelf))
    return items


def _known_item(
    record: Mapping[str, Any], path: str, errors: _Errors, known: set[str]
) -> str | None:
    item = _field(record, path, "item", _text, errors)
    if item is not None and item not in known:
        errors.add(f"{path}.item", f"unknown item {item!r}")
        return None
    return item


def _parse_lots(data: Mapping[str, Any], errors: _Errors, known_items: set[str]) -> list[Lot]:
    fields = {
        "id": True,
        "item": True,
        "holder": True,
        "quantity": True,
        "expires_on": True,
        "for_requests": False,
    }
    records = _records(data, "lots", errors, required=True, fields=fields)
    ids = _unique_ids(records, errors)
    lots: list[Lot] = []
    for path, record in records:
        item = _known_item(record, path, errors, known_items)
        holder = _field(record, path, "holder", _text, errors)
        quantity = _field(record, path, "quantity", _quantity, errors)
        expires_on = _field(record, path, "expires_on", _date, errors)
        bound = _field(record, path, "for_requests", _strings, errors)
        if "for_requests" in record and bound is None:
            continue
        lot_id = record.get("id")
        if (
            isinstance(lot_id, str)
            and ids.get(lot_id) == path
            and item is not None
            and holder is not None
            and quantity is not None
            and expires_on is not None
        ):
            lots.append(Lot(lot_id, item, holder, quantity, expires_on, bound))
    return lots


def _check_bound_lots(
    data: Mapping[str, Any], lots: list[Lot], requests: list[Request], errors: _Errors
) -> None:
    """Each id of a lot's ``for_requests`` must be a request of the lot's item."""
    raw_requests = data.get("requests")
    raw_ids = {
        entry.get("id")
        for entry in (raw_requests if isinstance(raw_requests, list) else [])
        if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)
    }
    item_of = {r.id: r.item for r in requests}
    by_id = {lot.id: lot for lot in lots}
    raw_lots = data.get("lots")
    for index, entry in enumerate(raw_lots if isinstance(raw_lots, list) else []):
        if not (isinstance(entry, Mapping) and isinstance(entry.get("id"), str)):
            continue
        lot = by_id.get(entry["id"])
        if lot is None or lot.for_requests is None:
            continue
        path = f"lots[{index}].for_requests"
        for request in sorted(lot.for_requests):
            if request not in raw_ids:
                errors.add(path, f"unknown request {request!r}")
            elif request in item_of and item_of[request] != lot.item:
                errors.add(
                    path, f"request {request!r} is for item {item_of[request]!r}, not {lot.item!r}"
                )


def _quantity(value: Any, path: str, errors: _Errors) -> int | None:
    return _whole(value, path, errors, maximum=MAX_QUANTITY)


def _priority(value: Any, path: str, errors: _Errors) -> str | None:
    return _choice(value, path, errors, PRIORITIES)


def _team_type(value: Any, path: str, errors: _Errors) -> str | None:
    return _choice(value, path, errors, TEAM_TYPES)


def _parse_requests(
    data: Mapping[str, Any], errors: _Errors, known_items: set[str]
) -> list[Request]:
    fields = {
        "id": True,
        "item": True,
        "country": True,
        "quantity": True,
        "priority": True,
        "needed_by": True,
        "requested_at": False,
    }
    records = _records(data, "requests", errors, required=True, fields=fields)
    ids = _unique_ids(records, errors)
    requests: list[Request] = []
    for path, record in records:
        item = _known_item(record, path, errors, known_items)
        country = _field(record, path, "country", _text, errors)
        quantity = _field(record, path, "quantity", _quantity, errors)
        priority = _field(record, path, "priority", _priority, errors)
        needed_by = _field(record, path, "needed_by", _date, errors)
        requested_at = _field(record, path, "requested_at", _datetime, errors)
        if "requested_at" in record and requested_at is None:
            continue
        request_id = record.get("id")
        if (
            isinstance(request_id, str)
            and ids.get(request_id) == path
            and item is not None
            and country is not None
            and quantity is not None
            and priority is not None
            and needed_by is not None
        ):
            requests.append(
                Request(request_id, item, country, quantity, priority, needed_by, requested_at)
            )
    return requests


def _parse_transit(data: Mapping[str, Any], errors: _Errors) -> dict[str, Mapping[str, int]]:
    if "transit_days" not in data:
        errors.add("transit_days", "is required (an object: holder -> country -> days)")
        return {}
    given = data["transit_days"]
    if not isinstance(given, Mapping):
        errors.add("transit_days", "must be an object: holder -> country -> days")
        return {}
    transit: dict[str, Mapping[str, int]] = {}
    for holder, row in given.items():
        path = f"transit_days.{holder}"
        if not (isinstance(holder, str) and holder.strip()):
            errors.add(path, "holder must be a non-empty string")
            continue
        if not isinstance(row, Mapping):
            errors.add(path, "must be an object: country -> days")
            continue
        days_to: dict[str, int] = {}
        for country, days in row.items():
            cell = f"{path}.{country}"
            if not (isinstance(country, str) and country.strip()):
                errors.add(cell, "country must be a non-empty string")
                continue
            value = _whole(days, cell, errors, maximum=MAX_DAYS)
            if value is not None:
                days_to[country] = value
        transit[holder] = MappingProxyType(days_to)
    return transit


def _parse_teams(data: Mapping[str, Any], errors: _Errors) -> list[Team]:
    fields = {
        "id": True,
        "holder": True,
        "type": True,
        "skills": False,
        "languages": False,
        "available_from": True,
        "available_until": True,
    }
    records = _records(data, "teams", errors, required=False, fields=fields)
    ids = _unique_ids(records, errors)
    teams: list[Team] = []
    for path, record in records:
        holder = _field(record, path, "holder", _text, errors)
        kind = _field(record, path, "type", _team_type, errors)
        skills = _field(record, path, "skills", _strings, errors)
        languages = _field(record, path, "languages", _strings, errors)
        start = _field(record, path, "available_from", _date, errors)
        end = _field(record, path, "available_until", _date, errors)
        if start is not None and end is not None and end < start:
            errors.add(f"{path}.available_until", "must not be before available_from")
            continue
        if ("skills" in record and skills is None) or ("languages" in record and languages is None):
            continue
        team_id = record.get("id")
        if (
            isinstance(team_id, str)
            and ids.get(team_id) == path
            and holder is not None
            and kind is not None
            and start is not None
            and end is not None
        ):
            teams.append(
                Team(
                    team_id,
                    holder,
                    kind,
                    skills or frozenset(),
                    languages or frozenset(),
                    start,
                    end,
                )
            )
    return teams


def _parse_team_requests(data: Mapping[str, Any], errors: _Errors) -> list[TeamRequest]:
    fields = {
        "id": True,
        "country": True,
        "type": True,
        "skills": False,
        "languages": False,
        "priority": True,
        "needed_from": True,
        "needed_until": True,
    }
    records = _records(data, "team_requests", errors, required=False, fields=fields)
    ids = _unique_ids(records, errors)
    found: list[TeamRequest] = []
    for path, record in records:
        country = _field(record, path, "country", _text, errors)
        kind = _field(record, path, "type", _team_type, errors)
        skills = _field(record, path, "skills", _strings, errors)
        languages = _field(record, path, "languages", _strings, errors)
        priority = _field(record, path, "priority", _priority, errors)
        start = _field(record, path, "needed_from", _date, errors)
        end = _field(record, path, "needed_until", _date, errors)
        if start is not None and end is not None and end < start:
            errors.add(f"{path}.needed_until", "must not be before needed_from")
            continue
        if ("skills" in record and skills is None) or ("languages" in record and languages is None):
            continue
        request_id = record.get("id")
        if (
            isinstance(request_id, str)
            and ids.get(request_id) == path
            and country is not None
            and kind is not None
            and priority is not None
            and start is not None
            and end is not None
        ):
            found.append(
                TeamRequest(
                    request_id,
                    country,
                    kind,
                    skills or frozenset(),
                    languages or frozenset(),
                    priority,
                    start,
                    end,
                )
            )
    return found
