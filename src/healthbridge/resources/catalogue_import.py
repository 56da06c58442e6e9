"""Importing catalogue items from a CSV or a JSON file: atomic and idempotent.

CSV (a header row is required; names case-insensitive, in any order)::

    code,name,kind,atc_code,who_eml,unit_of_issue,pack_size,cold_chain,min_shelf_life_days
    ors-sachet,Oral rehydration salts,medicine,A07CA,true,sachet,1,none,90

JSON: a list of objects with the same keys (or ``{"items": [...]}``); values are strings,
``true``/``false`` for ``who_eml`` and whole numbers for ``pack_size`` and
``min_shelf_life_days`` (strings of the CSV's form are accepted too).

``code``, ``name``, ``kind`` and ``unit_of_issue`` are required; ``atc_code`` may be empty,
``who_eml`` defaults to false (true/false, yes/no, 1/0), ``pack_size`` to 1, ``cold_chain`` to
``none`` and ``min_shelf_life_days`` to 0.

Every problem is named with its row (CSV: as a spreadsheet numbers it, the header is row 1;
JSON: the object's place in the list, from 1) and its column; nothing is stored when there is
one. Items are matched by code: new codes are created, changed ones updated, the same values
left alone, so that importing a file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Invalid
from healthbridge.policy import Action, Principal, authorize
from healthbridge.resources.catalogue import ITEM_FIELDS, ItemInput, item_errors, normalise_item
from healthbridge.resources.models import Item

COLUMNS = (
    "code",
    "name",
    "kind",
    "atc_code",
    "who_eml",
    "unit_of_issue",
    "pack_size",
    "cold_chain",
    "min_shelf_life_days",
)
REQUIRED_COLUMNS = ("code", "name", "kind", "unit_of_issue")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
MAX_ERRORS = 50
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0", ""})
_WHOLE = re.compile(r"[0-9]{1,9}")
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t"}


@dataclass(frozen=True)
class CatalogueFile:
    """The items a file holds, checked."""

    filename: str
    items: list[ItemInput]
    sha256: str


@dataclass(frozen=True)
class CatalogueImportReport:
    """What an import did."""

    filename: str
    rows: int
    created: int
    updated: int
    unchanged: int


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Row:
    """Turns the cells of one row into an :class:`ItemInput`, collecting errors."""

    def __init__(self, row: int, errors: list[FieldError]) -> None:
        self.row = row
        self.errors = errors

    def error(self, column: str, message: str) -> None:
        self.errors.append(FieldError(column, message, row=self.row))

    def text(self, cells: dict[str, Any], column: str) -> str:
        value = cells.get(column)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.error(column, "text is expected")
            return ""
        if not _CONTROL.isdisjoint(value):
            self.error(column, "contains a control character")
            return ""
        return value.strip()

    def flag(self, cells: dict[str, Any], column: str) -> bool:
        value = cells.get(column)
        if isinstance(value, bool):
            return value
        if value is None or isinstance(value, str):
            text = (value or "").strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        self.error(column, f"true or false, not {_shown(value)!r}")
        return False

    def whole(self, cells: dict[str, Any], column: str, default: int) -> int:
        value = cells.get(column)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            return int(value.strip())
        self.error(column, f"a whole number, not {_shown(value)!r}")
        return default

    def item(self, cells: dict[str, Any]) -> ItemInput | None:
        before = len(self.errors)
        values = ItemInput(
            code=self.text(cells, "code"),
            name=self.text(cells, "name"),
            kind=self.text(cells, "kind").lower(),
            unit_of_issue=self.text(cells, "unit_of_issue"),
            atc_code=self.text(cells, "atc_code") or None,
            who_eml=self.flag(cells, "who_eml"),
            pack_size=self.whole(cells, "pack_size", 1),
            cold_chain=self.text(cells, "cold_chain").lower() or "none",
            min_shelf_life_days=self.whole(cells, "min_shelf_life_days", 0),
        )
        named = {e.field for e in self.errors[before:]}
        values = normalise_item(values)
        self.errors.extend(e for e in item_errors(values, row=self.row) if e.field not in named)
        self.errors[before:] = sorted(self.errors[before:], key=lambda e: COLUMNS.index(e.field))
        return values if len(self.errors) == before else None


def _decode(data: bytes, filename: str) -> str:
    if len(data) > MAX_BYTES:
        raise Invalid(
            f"{filename} is larger than {MAX_BYTES // (1024 * 1024)} MB; nothing was imported",
            errors=[FieldError("file", "too large")],
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"{filename} is not UTF-8 text; nothing was imported",
            errors=[FieldError("file", f"not UTF-8 at byte {exc.start}")],
        ) from None


def _csv_rows(text: str, filename: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, Any]]] = []
    start = 1
    try:
        for cells in reader:
            row, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = _header(cells, row, filename)
                continue
            if len(cells) > len(header):
                raise Invalid(
                    f"{filename}: row {row} has {len(cells)} cells but the header "
                    f"{len(header)}; nothing was imported",
                    errors=[FieldError("file", "more cells than columns", row=row)],
                )
            rows.append((row, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_ROWS:
                raise Invalid(
                    f"{filename} has more than {MAX_ROWS} rows; nothing was imported",
                    errors=[FieldError("file", "too many rows", row=row)],
                )
    except csv.Error as exc:
        raise Invalid(
            f"{filename} is not valid CSV at row {start}: {exc}; nothing was imported",
            errors=[FieldError("file", str(exc), row=start)],
        ) from None
    if header is None:
        raise Invalid(
            f"{filename} is empty: expected the header {','.join(COLUMNS)}",
            errors=[FieldError("file", "no header row", row=1)],
        )
    return rows


def _header(cells: list[str], row: int, filename: str) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    errors: list[FieldError] = []
    for name in names:
        if name not in COLUMNS:
            errors.append(
                FieldError(_shown(name) or "(empty)", "not a column of the catalogue", row=row)
            )
    for name in set(names):
        if names.count(name) > 1:
            errors.append(FieldError(_shown(name) or "(empty)", "given twice", row=row))
    for name in REQUIRED_COLUMNS:
        if name not in names:
            errors.append(FieldError(name, "required column missing", row=row))
    if errors:
        raise Invalid(
            f"{filename}: the header must name the columns {','.join(COLUMNS)}; "
            "nothing was imported",
            errors=errors,
        )
    return names


def _json_rows(text: str, filename: str) -> list[tuple[int, dict[str, Any]]]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Invalid(
            f"{filename} is not valid JSON: {exc}; nothing was imported",
            errors=[FieldError("file", "not JSON")],
        ) from None
    if isinstance(document, dict) and set(document) == {"items"}:
        document = document["items"]
    if not isinstance(document, list):
        raise Invalid(
            f'{filename}: expected a list of items (or {{"items": [...]}}); nothing was imported',
            errors=[FieldError("file", "not a list of items")],
        )
    if len(document) > MAX_ROWS:
        raise Invalid(
            f"{filename} has more than {MAX_ROWS} items; nothing was imported",
            errors=[FieldError("file", "too many items")],
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[FieldError] = []
    for row, entry in enumerate(document, start=1):
        if not isinstance(entry, dict):
            errors.append(FieldError("item", "an object is expected", row=row))
            continue
        unknown = [key for key in entry if key not in COLUMNS]
        errors.extend(
            FieldError(_shown(key) or "(empty)", "not a field of an item", row=row)
            for key in unknown
        )
        if not unknown:
            rows.append((row, entry))
    if errors:
        raise Invalid(
            f"{filename}: {len(errors)} problem(s) in the file; nothing was imported",
            errors=errors[:MAX_ERRORS],
        )
    return rows


def read_catalogue(data: bytes, *, filename: str) -> CatalogueFile:
    """Read and check a catalogue file: JSON when its name ends in ``.json`` or it starts with
    ``[`` or ``{``, CSV otherwise. :class:`Invalid` naming row and column of each problem."""
    text = _decode(data, filename)
    is_json = filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")
    rows = _json_rows(text, filename) if is_json else _csv_rows(text, filename)
    errors: list[FieldError] = []
    items: list[ItemInput] = []
    first_row: dict[str, int] = {}
    for row, cells in rows:
        item = _Row(row, errors).item(cells)
        if item is not None:
            if item.code in first_row:
                errors.append(
                    FieldError(
                        "code", f"{item.code} is also on row {first_row[item.code]}", row=row
                    )
                )
            else:
                first_row[item.code] = row
                items.append(item)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        shown = errors[:MAX_ERRORS]
        more = " (the first shown)" if len(errors) >= MAX_ERRORS else ""
        raise Invalid(
            f"{filename}: {len(shown)} problem(s) in the file{more}; nothing was imported",
            errors=shown,
        )
    return CatalogueFile(filename=filename, items=items, sha256=hashlib.sha256(data).hexdigest())


def import_catalogue(
    *, session: Session, actor: Principal, data: bytes, filename: str
) -> CatalogueImportReport:
    """Upsert the items of a catalogue file by code: all of them or none."""
    authorize(actor, Action.CATALOGUE_MANAGE, object_type="catalogue", object_id=filename)
    parsed = read_catalogue(data, filename=filename)
    codes = [item.code for item in parsed.items]
    existing: dict[str, Item] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        existing.update(
            {i.code: i for i in session.scalars(select(Item).where(Item.code.in_(chunk)))}
        )
    now = utcnow()
    created = updated = 0
    for new in parsed.items:
        found = existing.get(new.code)
        if found is None:
            session.add(
                Item(**dataclasses.asdict(new), active=True, created_at=now, updated_at=now)
            )
            created += 1
            continue
        changed = False
        for name in ITEM_FIELDS:
            if getattr(found, name) != getattr(new, name):
                setattr(found, name, getattr(new, name))
                changed = True
        if changed:
            found.updated_at = now
            updated += 1
    session.flush()
    report = CatalogueImportReport(
        filename=filename,
        rows=len(parsed.items),
        created=created,
        updated=updated,
        unchanged=len(parsed.items) - created - updated,
    )
    audit.record(
        session=session,
        actor=actor,
        action="catalogue.import",
        object_type="catalogue",
        object_id=filename[:120],
        detail={
            "sha256": parsed.sha256,
            "rows": report.rows,
            "created": created,
            "updated": updated,
        },
    )
    return report
