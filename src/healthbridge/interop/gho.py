"""The WHO Global Health Observatory (GHO) CSV layout: reading its data exports.

The GHO's "Export data" CSV (https://www.who.int/data/gho) has one row per fact and the
columns :data:`GHO_COLUMNS`. We read the indicator (``IndicatorCode``), the country
(``SpatialDimValueCode``, ISO 3166-1 alpha-3 for countries), the year (``Period``), the value
(``FactValueNumeric``, or else the number of the display text ``Value``) and its uncertainty
interval (``FactValueNumericLow`` / ``FactValueNumericHigh``, or the display text's
``[low-high]``).

Rows of indicators or countries the caller does not want, disaggregated rows (a ``Dim1``–``Dim3``
value other than a total, e.g. one sex or urban areas only) and censored values (a
``FactValueNumericPrefix`` such as ``<``) are skipped and counted. Any other problem is an error
naming the file, the row and the column; the reader collects them all (up to ``max_errors``) and
raises them together, so that a file is fixed in one pass.

Rows are numbered as a spreadsheet numbers them: the header is row 1, and a row is named by the
line it starts on.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from healthbridge.errors import FieldError, Invalid

#: Every column of the GHO export, in its order.
GHO_COLUMNS: tuple[str, ...] = (
    "IndicatorCode",
    "Indicator",
    "ValueType",
    "ParentLocationCode",
    "ParentLocation",
    "Location type",
    "SpatialDimValueCode",
    "Location",
    "Period type",
    "Period",
    "IsLatestYear",
    "Dim1 type",
    "Dim1",
    "Dim1ValueCode",
    "Dim2 type",
    "Dim2",
    "Dim2ValueCode",
    "Dim3 type",
    "Dim3",
    "Dim3ValueCode",
    "DataSourceDimValueCode",
    "DataSource",
    "FactValueNumericPrefix",
    "FactValueNumeric",
    "FactValueUoM",
    "FactValueNumericLowPrefix",
    "FactValueNumericLow",
    "FactValueNumericHighPrefix",
    "FactValueNumericHigh",
    "Value",
    "FactValueTranslationID",
    "FactComments",
    "Language",
    "DateModified",
)
#: Columns a file must have; it must also have ``FactValueNumeric`` or ``Value`` (or both).
REQUIRED_COLUMNS: tuple[str, ...] = ("IndicatorCode", "SpatialDimValueCode", "Period")
VALUE_COLUMNS: tuple[str, ...] = ("FactValueNumeric", "Value")
DIMENSION_COLUMNS: tuple[str, ...] = ("Dim1ValueCode", "Dim2ValueCode", "Dim3ValueCode")
#: Dimension values that mean "everyone" (both sexes, all areas, all income groups ...).
TOTAL_DIMENSION_VALUES = frozenset(
    {"SEX_BTSX", "BTSX", "RESIDENCEAREATYPE_TOTL", "TOTL", "TOTAL", "AGEGROUP_ALL", "ALL"}
)
FIRST_YEAR = 1900
LAST_YEAR = 2100
MAX_ERRORS = 50

#: Why rows were skipped (the keys of :attr:`GhoFile.skipped`).
SKIP_INDICATOR = "untracked_indicator"
SKIP_COUNTRY = "unserved_country"
SKIP_DISAGGREGATED = "disaggregated"
SKIP_CENSORED = "censored_value"

# A plain decimal number: no "nan", "inf", "1_000" or hex, which float() would accept.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The display text: "61", "3.4 [2.1-5.0]", "1 234.5"; thousands separated by (thin) spaces.
_SEPARATOR = "[ \u00a0\u2009\u202f]"
_DISPLAY_VALUE = re.compile(
    rf"\s*(?P<value>[+-]?\d{{1,3}}(?:{_SEPARATOR}\d{{3}})+(?:\.\d+)?|[+-]?\d+(?:\.\d+)?)"
    rf"(?:\s*\[\s*(?P<low>[+-]?\d+(?:{_SEPARATOR}\d{{3}})*(?:\.\d+)?)\s*[-–]\s*"
    rf"(?P<high>[+-]?\d+(?:{_SEPARATOR}\d{{3}})*(?:\.\d+)?)\s*\])?\s*"
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ValueRange:
    """The values an indicator can take."""

    minimum: float
    maximum: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.minimum <= value <= self.maximum

    def __str__(self) -> str:
        return f"{self.minimum:g}–{self.maximum:g}"


@dataclass(frozen=True)
class GhoFact:
    """One country's value of one indicator in one year, as read from row ``row``."""

    row: int
    indicator_code: str
    country_code: str
    year: int
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class GhoFile:
    """What a GHO CSV file holds for the indicators and countries asked for."""

    filename: str
    #: Data rows read (the header and blank lines not counted).
    rows: int
    facts: list[GhoFact]
    #: Rows left out, by reason (:data:`SKIP_INDICATOR`, :data:`SKIP_COUNTRY` ...).
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def read_gho_csv(
    data: bytes,
    *,
    filename: str,
    indicators: Mapping[str, ValueRange],
    countries: Collection[str],
    max_errors: int = MAX_ERRORS,
    progress: Progress | None = None,
) -> GhoFile:
    """Read a GHO CSV export: the facts of ``indicators`` (code → range) for ``countries``.

    ``data`` is the file's bytes (UTF-8, with or without a byte-order mark). Codes are compared
    upper-cased. ``progress(done, total)`` is called as rows are checked.

    Raises :class:`Invalid` naming ``filename`` with one :class:`FieldError` (row and column)
    per problem, up to ``max_errors``, when the file cannot be read or any wanted row is bad.
    """
    records = _records(data, filename)
    if not records or not any(cell.strip() for cell in records[0][1]):
        raise Invalid(
            f"{filename} is empty: expected a header row with the GHO export's columns",
            errors=[FieldError("IndicatorCode", "no header row", row=1)],
        )
    header_row, header_cells = records[0]
    header = [cell.strip() for cell in header_cells]
    index = {name: i for i, name in reversed(list(enumerate(header)))}
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if not any(name in index for name in VALUE_COLUMNS):
        missing.append("FactValueNumeric")
    if missing:
        raise Invalid(
            f"{filename} is not in the GHO export layout: missing column(s) {', '.join(missing)}",
            errors=[
                FieldError(name, "missing column in the header", row=header_row) for name in missing
            ],
        )
    reader = _RowReader(
        filename=filename,
        index=index,
        width=len(header),
        indicators={code.upper(): rng for code, rng in indicators.items()},
        countries={code.upper() for code in countries},
    )
    body = records[1:]
    for done, (row, cells) in enumerate(body, start=1):
        reader.read(row, cells)
        if len(reader.errors) >= max_errors:
            break
        if progress is not None and (done % 500 == 0 or done == len(body)):
            progress(done, len(body))
    if reader.errors:
        errors = reader.errors[:max_errors]
        more = " (the first shown)" if len(reader.errors) >= max_errors else ""
        raise Invalid(
            f"{filename}: {len(errors)} problem(s) in the file{more}; nothing was imported",
            errors=errors,
        )
    return GhoFile(filename=filename, rows=reader.rows, facts=reader.facts, skipped=reader.skipped)


def _records(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """``(first line, cells)`` of every record, blank lines left out."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Invalid(
            f"{filename} is not UTF-8 text: save it as UTF-8 CSV",
            errors=[
                FieldError(
                    "file",
                    f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8",
                    row=line,
                )
            ],
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise Invalid(
            f"{filename} is not valid CSV at row {start}: {exc}",
            errors=[FieldError("file", f"not valid CSV: {exc}", row=start)],
        ) from None
    return records


class _RowReader:
    """Checks rows one by one, collecting facts, skips and errors."""

    def __init__(
        self,
        *,
        filename: str,
        index: dict[str, int],
        width: int,
        indicators: dict[str, ValueRange],
        countries: set[str],
    ) -> None:
        self.filename = filename
        self.index = index
        self.width = width
        self.indicators = indicators
        self.countries = countries
        self.rows = 0
        self.facts: list[GhoFact] = []
        self.skipped: dict[str, int] = {}
        self.errors: list[FieldError] = []
        self.seen: dict[tuple[str, str, int], int] = {}

    def _cell(self, cells: list[str], column: str) -> str:
        position = self.index.get(column)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def _error(self, row: int, column: str, message: str) -> None:
        self.errors.append(FieldError(column, message, row=row))

    def read(self, row: int, cells: list[str]) -> None:
        self.rows += 1
        if len(cells) > self.width:
            self._error(row, "row", f"{len(cells)} cells but the header has {self.width} columns")
            return
        indicator = self._cell(cells, "IndicatorCode").upper()
        country = self._cell(cells, "SpatialDimValueCode").upper()
        if not indicator:
            self._error(row, "IndicatorCode", "missing")
            return
        if indicator not in self.indicators:
            self._skip(SKIP_INDICATOR)
            return
        if not country:
            self._error(row, "SpatialDimValueCode", "missing")
            return
        if country not in self.countries:
            self._skip(SKIP_COUNTRY)
            return
        if any(
            self._cell(cells, c) and self._cell(cells, c).upper() not in TOTAL_DIMENSION_VALUES
            for c in DIMENSION_COLUMNS
        ):
            self._skip(SKIP_DISAGGREGATED)
            return
        if self._cell(cells, "FactValueNumericPrefix"):
            self._skip(SKIP_CENSORED)
            return
        self._read_fact(row, cells, indicator, country)

    def _read_fact(self, row: int, cells: list[str], indicator: str, country: str) -> None:
        before = len(self.errors)
        year = self._year(row, self._cell(cells, "Period"))
        value, low, high, value_column = self._value(row, cells)
        valid = self.indicators[indicator]
        for column, number in (
            (value_column, value),
            ("FactValueNumericLow", low),
            ("FactValueNumericHigh", high),
        ):
            if number is not None and number not in valid:
                self._error(row, column, f"{number:g} is outside {valid}, the range of {indicator}")
        if low is not None and high is not None and low > high:
            self._error(row, "FactValueNumericLow", f"the low bound {low:g} exceeds {high:g}")
        elif value is not None and (
            (low is not None and value < low) or (high is not None and value > high)
        ):
            self._error(
                row,
                value_column,
                f"{value:g} lies outside its own interval [{_bound(low)}, {_bound(high)}]",
            )
        if year is not None:
            key = (indicator, country, year)
            if key in self.seen:
                self._error(
                    row,
                    "Period",
                    f"row {self.seen[key]} already gives {indicator} of {country} in {year}",
                )
            else:
                self.seen[key] = row
        if len(self.errors) > before or year is None or value is None:
            return
        self.facts.append(GhoFact(row, indicator, country, year, value, low, high))

    def _year(self, row: int, text: str) -> int | None:
        if not text:
            self._error(row, "Period", "missing")
            return None
        if len(text) > 4 or not text.isascii() or not text.isdigit():
            self._error(row, "Period", f"'{_shown(text)}' is not a year")
            return None
        year = int(text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            self._error(row, "Period", f"{year} is not between {FIRST_YEAR} and {LAST_YEAR}")
            return None
        return year

    def _value(
        self, row: int, cells: list[str]
    ) -> tuple[float | None, float | None, float | None, str]:
        """The value, its bounds and the column the value came from."""
        low = self._number(row, "FactValueNumericLow", self._cell(cells, "FactValueNumericLow"))
        high = self._number(row, "FactValueNumericHigh", self._cell(cells, "FactValueNumericHigh"))
        numeric = self._cell(cells, "FactValueNumeric")
        if numeric:
            return self._number(row, "FactValueNumeric", numeric), low, high, "FactValueNumeric"
        display = self._cell(cells, "Value")
        if not display:
            self._error(row, "FactValueNumeric", "missing (and Value is empty too)")
            return None, low, high, "FactValueNumeric"
        match = _DISPLAY_VALUE.fullmatch(display)
        if match is None:
            self._error(
                row,
                "Value",
                f"'{_shown(display)}' is not a number (optionally followed by '[low-high]')",
            )
            return None, low, high, "Value"
        value = _finite(_plain(match["value"]))
        if match["low"] is not None and low is None and high is None:
            low, high = _finite(_plain(match["low"])), _finite(_plain(match["high"]))
        if value is None:
            self._error(row, "Value", f"'{_shown(display)}' is not a finite number")
        return value, low, high, "Value"

    def _number(self, row: int, column: str, text: str) -> float | None:
        if not text:
            return None
        number = _finite(text) if _NUMBER.fullmatch(text) else None
        if number is None:
            self._error(row, column, f"'{_shown(text)}' is not a number")
        return number


def _plain(text: str) -> str:
    return re.sub(_SEPARATOR, "", text)


def _finite(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None


def _bound(number: float | None) -> str:
    return "…" if number is None else f"{number:g}"


def _shown(text: str, limit: int = 40) -> str:
    """User text quoted in a message: printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


def write_gho_csv(facts: list[dict[str, str]]) -> str:
    """CSV text in the GHO export layout, one row per mapping of column → text (others empty)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=GHO_COLUMNS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for fact in facts:
        writer.writerow({column: fact.get(column, "") for column in GHO_COLUMNS})
    return buffer.getvalue()
