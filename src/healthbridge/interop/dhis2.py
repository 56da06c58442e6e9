"""DHIS2 ``dataValueSets`` JSON of weekly counts, read through a mapping file.

A DHIS2 instance exports aggregate data as a *data value set*::

    {"dataSet": "QX4ZTUbOt3a", "period": "2024W07", "orgUnit": "DiszpKrYNg8",
     "dataValues": [
       {"dataElement": "fbfJHSPpUQD", "period": "2024W07", "orgUnit": "DiszpKrYNg8",
        "categoryOptionCombo": "psbwp3CQEhs", "attributeOptionCombo": "HllvX50cXC0",
        "value": "12", "storedBy": "admin", "lastUpdated": "2024-02-20T08:00:00.000"}]}

Its ids mean nothing outside that instance, so a *mapping file* (JSON) says what they are::

    {"description": "Thailand weekly dengue, DHIS2 at the MoPH",
     "dataElements": {
       "fbfJHSPpUQD": {"disease": "dengue", "measure": "cases", "name": "Dengue cases"},
       "eY5ehpbEsB7": {"disease": "dengue", "measure": "deaths"},
       "x3Do5e7g4Qo": null},
     "orgUnits": {
       "DiszpKrYNg8": {"country": "THA", "area": "TH-10", "name": "Bangkok"},
       "ImspTQPwCqd": {"country": "THA", "area": null}},
     "categoryOptionCombos": "sum"}

- ``dataElements``: data element id → ``disease`` (our code, ``dengue``, or an ICD-10 code that
  names one disease) and ``measure`` (``cases`` or ``deaths``); ``null`` leaves the data element's
  values out on purpose. ``name`` is free text for people.
- ``orgUnits``: organisation unit id → ``country`` (ISO 3166-1 alpha-3) and ``area`` (ISO 3166-2
  code of one of that country's first-level subdivisions; ``null``, empty or absent for the
  national total); ``null`` leaves the unit's values out. ``name`` is free text.
- ``categoryOptionCombos``: ``"sum"`` (the default and, for now, the only choice): the values of
  every category option combo (age and sex disaggregations) and attribute option combo are
  added up into one count.
- ``description``: free text.

Reading the data:

- A data value without ``period``, ``orgUnit`` or ``attributeOptionCombo`` takes the data value
  set's own (DHIS2 allows them at the top level).
- ``period`` must be weekly: ``2024W7`` or ``2024W07`` (DHIS2's ``Weekly`` type, the ISO week;
  ``2024-W07`` is taken too). Monthly (``202407``), daily (``20240701``), other weekly types
  (``2024WedW7``), and the rest are refused.
- ``value`` is a whole number, 0 or more: the string DHIS2 writes (``"12"``) or a JSON integer.
- Values marked ``"deleted": true`` are skipped. Other members (``storedBy``, ``comment``, ...)
  are ignored.
- Every value of one disease, measure, organisation unit and week is added up (several
  disaggregations, or several data elements mapped to the same disease and measure); the cases
  and deaths of one country, area, disease and week make one weekly count. Deaths without any
  cases value is an error; cases without deaths leave deaths unreported.
- The same data element, period, organisation unit, category option combo and attribute option
  combo twice is an error naming both.

Errors name the file and, for a data value, its row and field: row *n* is the *n*-th data value,
and the field is its JSON path, counted from 0 as JSON is (row 18 is ``dataValues[17]``, e.g.
``dataValues[17].orgUnit``). Mapping errors name the mapping's key
(``orgUnits.DiszpKrYNg8.area``). Whatever the bytes, the reader answers
:class:`~healthbridge.errors.Invalid`, never another exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.dhis2_mapping import (
    DataElementMapping,
    Dhis2Mapping,
    OrgUnitMapping,
    read_mapping,
)
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week
from healthbridge.interop.json_file import Progress, json_kind, read_json, shorten
from healthbridge.interop.weekly_csv import FIRST_YEAR, MAX_COUNT, WeeklyFile, WeeklyRow

__all__ = [
    "MAX_BYTES",
    "MAX_ERRORS",
    "DataElementMapping",
    "Dhis2Mapping",
    "OrgUnitMapping",
    "read_data_value_set",
    "read_mapping",
]

MAX_ERRORS = 50
#: The largest data value set read (JSON is read whole).
MAX_BYTES = 256 * 1024 * 1024

#: What other period types look like, to say what a refused period is.
_OTHER_PERIODS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), name)
    for pattern, name in (
        (r"\d{8}", "a daily"),
        (r"\d{4}(Wed|Thu|Sat|Sun)W\d{1,2}", "a weekly (not starting on Monday)"),
        (r"\d{4}BiW\d{1,2}", "a bi-weekly"),
        (r"\d{6}", "a monthly"),
        (r"\d{6}B", "a bi-monthly"),
        (r"\d{4}Q[1-4]", "a quarterly"),
        (r"\d{4}(April|July|Oct|Nov)?S[12]", "a six-monthly"),
        (r"\d{4}", "a yearly"),
        (r"\d{4}(April|July|Oct|Nov)", "a financial-year"),
    )
)


# --- the data value set --------------------------------------------------------------------------

_Key = tuple[str, str | None, str, IsoWeek]


@dataclass
class _Sum:
    """The values of one weekly count so far."""

    row: int
    cases: int | None = None
    deaths: int | None = None
    deaths_row: int | None = None


def read_data_value_set(
    source: bytes | BinaryIO,
    *,
    filename: str,
    mapping: Dhis2Mapping,
    latest: IsoWeek | None = None,
    max_errors: int = MAX_ERRORS,
    progress: Progress | None = None,
) -> WeeklyFile:
    """Read a DHIS2 data value set through ``mapping`` into weekly counts (see the module's
    docstring for the rules).

    ``latest`` is the last week a count may be for. Each count's ``row`` is its first data
    value's. ``rows`` of the answer is the number of data values read (skipped ones included).
    Raises :class:`Invalid` naming ``filename`` with one :class:`FieldError` per problem, up to
    ``max_errors``.
    """
    document, size, digest = read_json(
        source, filename=filename, limit=MAX_BYTES, progress=progress
    )
    if not isinstance(document, dict):
        raise Invalid(
            f"{filename}: a DHIS2 data value set is a JSON object with a dataValues list; "
            "nothing was imported",
            errors=[FieldError("file", f"found {json_kind(document)}, not an object")],
        )
    values = document.get("dataValues")
    errors: list[FieldError] = []
    if not isinstance(values, list):
        found = "missing" if values is None else f"{json_kind(values)}, not a list"
        errors.append(FieldError("dataValues", f"{found}: the data values are a list"))
    defaults: dict[str, str | None] = {}
    for name in ("period", "orgUnit", "attributeOptionCombo"):
        default = document.get(name)
        if default is not None and not isinstance(default, str):
            errors.append(FieldError(name, f"must be text, not {json_kind(default)}"))
            default = None
        defaults[name] = default
    if errors:
        raise Invalid(
            f"{filename} is not a DHIS2 data value set; nothing was imported", errors=errors
        )
    assert isinstance(values, list)
    checker = _ValueChecker(mapping=mapping, defaults=defaults, latest=latest)
    for index, value in enumerate(values):
        checker.check(index, value)
        if len(checker.errors) >= max_errors:
            break
    counts = checker.counts() if len(checker.errors) < max_errors else []
    if checker.errors:
        shown = checker.errors[:max_errors]
        more = " (the first shown)" if len(checker.errors) >= max_errors else ""
        raise Invalid(
            f"{filename}: {len(shown)} problem(s) in the data values{more}; nothing was imported",
            errors=shown,
        )
    return WeeklyFile(
        filename=filename,
        rows=len(values),
        counts=counts,
        sha256=digest,
        size=size,
        countries=sorted({c.country for c in counts}),
        diseases=sorted({c.disease for c in counts}),
    )


class _ValueChecker:
    """Checks data values one by one, adding them up and collecting errors."""

    def __init__(
        self,
        *,
        mapping: Dhis2Mapping,
        defaults: Mapping[str, str | None],
        latest: IsoWeek | None,
    ) -> None:
        self.mapping = mapping
        self.defaults = defaults
        self.latest = latest
        self.errors: list[FieldError] = []
        self.sums: dict[_Key, _Sum] = {}
        self.seen: dict[tuple[str, str, str, str, str], int] = {}

    def _error(self, index: int, name: str, message: str) -> None:
        self.errors.append(FieldError(f"dataValues[{index}]{name}", message, row=index + 1))

    def _text(self, index: int, value: dict[str, Any], name: str, *, required: bool) -> str | None:
        text = value.get(name, self.defaults.get(name))
        if text is None or (required and isinstance(text, str) and not text.strip()):
            if required:
                where = " (nor does the data value set)" if name in self.defaults else ""
                self._error(index, f".{name}", f"missing: the data value has no {name}{where}")
            return None
        if not isinstance(text, str):
            self._error(index, f".{name}", f"must be text, not {json_kind(text)}")
            return None
        return text.strip()

    def check(self, index: int, value: Any) -> None:
        if not isinstance(value, dict):
            self._error(index, "", f"a data value is an object, not {json_kind(value)}")
            return
        if value.get("deleted") is True:
            return
        if self._left_out(value):
            return
        before = len(self.errors)
        element_id = self._text(index, value, "dataElement", required=True)
        unit_id = self._text(index, value, "orgUnit", required=True)
        period = self._text(index, value, "period", required=True)
        combo = self._text(index, value, "categoryOptionCombo", required=False) or ""
        attribute = self._text(index, value, "attributeOptionCombo", required=False) or ""
        element = self._element(index, element_id) if element_id is not None else None
        unit = self._unit(index, unit_id) if unit_id is not None else None
        week = self._week(index, period) if period is not None else None
        number = self._value(index, value.get("value"))
        if len(self.errors) > before or element is None or unit is None or week is None:
            return
        assert element_id is not None and unit_id is not None and period is not None
        assert number is not None
        ids = (element_id, str(week), unit_id, combo, attribute)
        first = self.seen.setdefault(ids, index)
        if first != index:
            self._error(
                index,
                "",
                f"dataValues[{first}] (row {first + 1}) already gives this data element, period, "
                "org unit and category and attribute option combos",
            )
            return
        key = (unit.country, unit.area, element.disease, week)
        total = self.sums.setdefault(key, _Sum(row=index + 1))
        if element.measure == "cases":
            total.cases = (total.cases or 0) + number
        else:
            total.deaths = (total.deaths or 0) + number
            if total.deaths_row is None:
                total.deaths_row = index + 1

    def _left_out(self, value: dict[str, Any]) -> bool:
        """Whether the mapping leaves the value out (its data element or org unit is null)."""
        element_id = value.get("dataElement")
        unit_id = value.get("orgUnit", self.defaults.get("orgUnit"))
        return (
            isinstance(element_id, str)
            and element_id.strip() in self.mapping.data_elements
            and self.mapping.data_elements[element_id.strip()] is None
        ) or (
            isinstance(unit_id, str)
            and unit_id.strip() in self.mapping.org_units
            and self.mapping.org_units[unit_id.strip()] is None
        )

    def _element(self, index: int, element_id: str) -> DataElementMapping | None:
        if element_id not in self.mapping.data_elements:
            self._error(
                index,
                ".dataElement",
                f"'{shorten(element_id)}' is not in the mapping's dataElements "
                "(map it, or map it to null to leave its values out)",
            )
            return None
        return self.mapping.data_elements[element_id]

    def _unit(self, index: int, unit_id: str) -> OrgUnitMapping | None:
        if unit_id not in self.mapping.org_units:
            self._error(
                index,
                ".orgUnit",
                f"'{shorten(unit_id)}' is not in the mapping's orgUnits "
                "(map it, or map it to null to leave its values out)",
            )
            return None
        return self.mapping.org_units[unit_id]

    def _week(self, index: int, period: str) -> IsoWeek | None:
        try:
            week = parse_week(period)
        except InvalidWeek as bad:
            kind = next(
                (name for pattern, name in _OTHER_PERIODS if pattern.fullmatch(period)), None
            )
            message = (
                f"'{shorten(period)}' is {kind} period: only weekly periods (2024W07, the ISO "
                "week) can be imported"
                if kind
                else str(bad)
            )
            self._error(index, ".period", message)
            return None
        if week.year < FIRST_YEAR:
            self._error(index, ".period", f"{week} is before {FIRST_YEAR}")
            return None
        if self.latest is not None and week > self.latest:
            self._error(index, ".period", f"{week} has not begun yet (the latest is {self.latest})")
            return None
        return week

    def _value(self, index: int, value: Any) -> int | None:
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.isascii() and text.isdigit():
            # Checked before int(): Python refuses to convert thousands of digits.
            number = int(text) if len(text) <= len(str(MAX_COUNT)) else MAX_COUNT + 1
        elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            number = value
        else:
            if value is None or value == "":
                message = "missing (0 for none)"
            elif isinstance(value, str):
                message = f"'{shorten(value)}' is not a whole number, 0 or more"
            elif isinstance(value, list | dict):
                message = f"{json_kind(value)} is not a whole number, 0 or more"
            else:
                message = f"{shorten(json.dumps(value))} is not a whole number, 0 or more"
            self._error(index, ".value", message)
            return None
        if number > MAX_COUNT:
            shown = shorten(str(text if text is not None else number))
            self._error(index, ".value", f"{shown} is more than {MAX_COUNT:,} in a week")
            return None
        return number

    def counts(self) -> list[WeeklyRow]:
        """The weekly counts, in the order their first data values came."""
        found: list[WeeklyRow] = []
        for (country, area, disease, week), total in self.sums.items():
            where = area or f"{country} (national total)"
            if total.cases is None:
                row = total.deaths_row or total.row
                self.errors.append(
                    FieldError(
                        f"dataValues[{row - 1}].dataElement",
                        f"deaths of {disease} in {where} for {week} but no cases: map a cases "
                        "data element too, with 0 for none",
                        row=row,
                    )
                )
                continue
            for measure, number in (("cases", total.cases), ("deaths", total.deaths)):
                if number is not None and number > MAX_COUNT:
                    self.errors.append(
                        FieldError(
                            f"dataValues[{total.row - 1}].value",
                            f"the {measure} of {disease} in {where} for {week} add up to "
                            f"{number}, more than {MAX_COUNT:,}",
                            row=total.row,
                        )
                    )
            found.append(
                WeeklyRow(total.row, country, area, disease, week, total.cases, total.deaths)
            )
        return found
