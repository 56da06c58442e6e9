"""The weekly-counts CSV: one row per country, area, disease and ISO week.

Columns (a header row is required; names are case-insensitive, in any order)::

    country,area,disease,week,cases,deaths
    THA,TH-10,dengue,2024-W07,153,0
    VNM,,A97.9,2024W07,88,

- ``country``: ISO 3166-1 alpha-3 of a served country (``THA``).
- ``area``: ISO 3166-2 code of one of that country's first-level subdivisions (``TH-10``); empty
  for the national total.
- ``disease``: our disease code (``dengue``) or an ICD-10 code (``A97.9``; a four-character code
  such as ``B05.3`` falls back to its category ``B05`` when that names one disease).
- ``week``: ISO 8601 week ``2024-W07``, or DHIS2's ``2024W07`` / ``2024W7``.
- ``cases``: whole number of cases, 0 or more.
- ``deaths``: whole number of deaths, 0 or more; empty when not reported.

The file is read as it streams (UTF-8, with or without a byte-order mark). Every problem is an
error naming the file, the row and the column; the reader collects them (up to ``max_errors``)
and raises them together, so that a file is fixed in one pass. Rows are numbered as a
spreadsheet numbers them: the header is row 1, and a record is named by the line it starts on.
Two rows for the same country, area, disease and week are an error naming both.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.isoweek import InvalidWeek, IsoWeek, parse_week

COLUMNS: tuple[str, ...] = ("country", "area", "disease", "week", "cases", "deaths")
REQUIRED_COLUMNS: tuple[str, ...] = ("country", "disease", "week", "cases")
MAX_ERRORS = 50
#: Far above any weekly count, and inside every database's 32-bit integer.
MAX_COUNT = 1_000_000_000
#: Surveillance weeks before this year are refused as typing mistakes.
FIRST_YEAR = 1900

#: ``progress(bytes_read)``, called every few thousand rows and at the end.
Progress = Callable[[int], None]
_PROGRESS_EVERY = 5000
_SHOWN = 40


@dataclass(frozen=True)
class DiseaseCodes:
    """How a file may name a disease: our code, or an ICD-10 code that names exactly one."""

    codes: frozenset[str]
    #: ICD-10 code (upper case) → our code, or ``None`` when the code names several diseases.
    icd10: Mapping[str, str | None]

    @classmethod
    def from_records(cls, records: Iterable[tuple[str, str, Iterable[str]]]) -> DiseaseCodes:
        """From ``(code, main ICD-10 code, every ICD-10 code)`` of each disease.

        A disease's main code always names it (``A97.2`` is severe dengue although dengue lists
        it too); any other code names a disease only when no other disease lists it.
        """
        items = [
            (code, main.upper(), [c.upper() for c in others]) for code, main, others in records
        ]
        mapping: dict[str, str | None] = {}
        for code, _main, others in items:
            for icd in others:
                mapping[icd] = code if mapping.get(icd, code) == code else None
        for code, main, _others in items:
            mapping[main] = code
        return cls(codes=frozenset(code for code, _m, _o in items), icd10=mapping)

    def resolve(self, text: str) -> tuple[str | None, str]:
        """``(our code, "")``, or ``(None, why not)``."""
        lowered = text.lower()
        if lowered in self.codes:
            return lowered, ""
        upper = text.upper()
        found = self.icd10.get(upper, "")
        if found == "" and len(upper) > 3 and upper[3] == ".":
            found = self.icd10.get(upper[:3], "")
        if found is None:
            return None, f"ICD-10 code '{_shown(text)}' names several diseases: use our code"
        if found == "":
            return None, (
                f"'{_shown(text)}' is neither a disease code (e.g. dengue) "
                "nor the ICD-10 code of one"
            )
        return found, ""


@dataclass(frozen=True)
class WeeklyReferences:
    """The codes a file may use, loaded once by the caller."""

    countries: frozenset[str]
    #: ISO 3166-2 code → alpha-3 code of its country.
    areas: Mapping[str, str]
    diseases: DiseaseCodes


class WeeklyRow(NamedTuple):
    """One count as read (and checked) from row ``row`` of the file."""

    row: int
    country: str
    area: str | None
    disease: str
    week: IsoWeek
    cases: int
    deaths: int | None

    @property
    def key(self) -> tuple[str, str | None, str, IsoWeek]:
        return (self.country, self.area, self.disease, self.week)


@dataclass(frozen=True)
class WeeklyFile:
    """What a weekly-counts file holds."""

    filename: str
    #: Data rows read (the header and blank lines not counted).
    rows: int
    counts: list[WeeklyRow]
    #: SHA-256 of the bytes read, for the audit log.
    sha256: str
    size: int = 0
    countries: list[str] = field(default_factory=list)
    diseases: list[str] = field(default_factory=list)


def read_weekly_csv(
    source: bytes | BinaryIO,
    *,
    filename: str,
    references: WeeklyReferences,
    latest: IsoWeek | None = None,
    max_errors: int = MAX_ERRORS,
    progress: Progress | None = None,
) -> WeeklyFile:
    """Read and check a weekly-counts CSV (see the module's docstring for the columns).

    ``source`` is the file's bytes or a binary file object, read line by line. ``latest`` is the
    last week a count may be for (weeks after it have not happened yet).

    Raises :class:`Invalid` naming ``filename`` with one :class:`FieldError` (row and column)
    per problem, up to ``max_errors``.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    lines = _Lines(stream, filename, progress)
    reader = csv.reader(lines, strict=True)
    checker: _RowChecker | None = None
    start = 1
    try:
        for cells in reader:
            row, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if checker is None:
                checker = _RowChecker(
                    filename=filename,
                    header=_header(cells, row, filename),
                    references=references,
                    latest=latest,
                )
                continue
            checker.check(row, cells)
            if len(checker.errors) >= max_errors:
                break
    except csv.Error as exc:
        raise Invalid(
            f"{filename} is not valid CSV at row {start}: {exc}; nothing was imported",
            errors=[*(checker.errors if checker else []), FieldError("file", str(exc), row=start)],
        ) from None
    if checker is None:
        raise Invalid(
            f"{filename} is empty: expected the header {','.join(COLUMNS)}",
            errors=[FieldError("file", "no header row", row=1)],
        )
    if checker.errors:
        errors = checker.errors[:max_errors]
        more = " (the first shown)" if len(checker.errors) >= max_errors else ""
        raise Invalid(
            f"{filename}: {len(errors)} problem(s) in the file{more}; nothing was imported",
            errors=errors,
        )
    lines.finish()
    return WeeklyFile(
        filename=filename,
        rows=checker.rows,
        counts=checker.counts,
        sha256=lines.digest.hexdigest(),
        size=lines.size,
        countries=sorted(checker.countries),
        diseases=sorted(checker.diseases),
    )


class _Lines:
    """The file's text, line by line: decoded, hashed, counted, with the line a bad byte is on."""

    def __init__(self, stream: BinaryIO, filename: str, progress: Progress | None) -> None:
        self.stream = stream
        self.filename = filename
        self.progress = progress
        self.digest = hashlib.sha256()
        self.size = 0
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.line += 1
            self.digest.update(raw)
            self.size += len(raw)
            if self.progress is not None and self.line % _PROGRESS_EVERY == 0:
                self.progress(self.size)
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8-sig" if self.line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(
                f"{self.filename} is not UTF-8 text (row {self.line}): save it as UTF-8 CSV; "
                "nothing was imported",
                errors=[
                    FieldError(
                        "file",
                        f"byte 0x{raw[exc.start]:02x} at position {exc.start + 1} of the line "
                        "is not UTF-8",
                        row=self.line,
                    )
                ],
            ) from None

    def finish(self) -> None:
        """Read (and hash) what the reader left, and report the end."""
        for raw in self.stream:
            self.digest.update(raw)
            self.size += len(raw)
        if self.progress is not None:
            self.progress(self.size)


def _header(cells: list[str], row: int, filename: str) -> dict[str, int]:
    names = [cell.strip().lower() for cell in cells]
    errors: list[FieldError] = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if not name:
            continue
        if name not in COLUMNS:
            errors.append(
                FieldError(
                    _shown(name), f"unknown column: the columns are {', '.join(COLUMNS)}", row=row
                )
            )
        elif name in index:
            errors.append(FieldError(name, "the column appears twice", row=row))
        else:
            index[name] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    errors.extend(FieldError(name, "missing column in the header", row=row) for name in missing)
    if errors:
        raise Invalid(
            f"{filename}: the first row must be the header {','.join(COLUMNS)} "
            "(area and deaths may be left out); nothing was imported",
            errors=errors,
        )
    return index


class _RowChecker:
    """Checks rows one by one, collecting counts and errors."""

    def __init__(
        self,
        *,
        filename: str,
        header: dict[str, int],
        references: WeeklyReferences,
        latest: IsoWeek | None,
    ) -> None:
        self.filename = filename
        self.index = header
        self.width = max(header.values()) + 1
        self.references = references
        self.latest = latest
        self.rows = 0
        self.counts: list[WeeklyRow] = []
        self.errors: list[FieldError] = []
        self.seen: dict[tuple[str, str | None, str, IsoWeek], int] = {}
        self.countries: set[str] = set()
        self.diseases: set[str] = set()

    def _cell(self, cells: list[str], column: str) -> str:
        position = self.index.get(column)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()

    def _error(self, row: int, column: str, message: str) -> None:
        self.errors.append(FieldError(column, message, row=row))

    def check(self, row: int, cells: list[str]) -> None:
        self.rows += 1
        if len(cells) > self.width and any(c.strip() for c in cells[self.width :]):
            self._error(row, "row", f"{len(cells)} cells but the header has {self.width} columns")
            return
        before = len(self.errors)
        country = self._country(row, self._cell(cells, "country"))
        area = self._area(row, self._cell(cells, "area"), country)
        disease = self._disease(row, self._cell(cells, "disease"))
        week = self._week(row, self._cell(cells, "week"))
        cases = self._count(row, "cases", self._cell(cells, "cases"), required=True)
        deaths = self._count(row, "deaths", self._cell(cells, "deaths"), required=False)
        if len(self.errors) > before or country is None or disease is None or week is None:
            return
        assert cases is not None
        count = WeeklyRow(row, country, area, disease, week, cases, deaths)
        first = self.seen.setdefault(count.key, row)
        if first != row:
            where = area or f"{country} (national total)"
            self._error(
                row, "week", f"row {first} already gives {disease} in {where} for week {week}"
            )
            return
        self.counts.append(count)
        self.countries.add(country)
        self.diseases.add(disease)

    def _country(self, row: int, text: str) -> str | None:
        if not text:
            self._error(row, "country", "missing")
            return None
        code = text.upper()
        if code not in self.references.countries:
            self._error(
                row,
                "country",
                f"'{_shown(text)}' is not the ISO 3166-1 alpha-3 code of a served country "
                "(e.g. THA)",
            )
            return None
        return code

    def _area(self, row: int, text: str, country: str | None) -> str | None:
        if not text:
            return None
        code = text.upper()
        owner = self.references.areas.get(code)
        if owner is None:
            self._error(
                row,
                "area",
                f"'{_shown(text)}' is not the ISO 3166-2 code of a first-level subdivision "
                "(e.g. TH-10); leave it empty for the national total",
            )
            return None
        if country is not None and owner != country:
            self._error(row, "area", f"{code} is in {owner}, not in {country}")
            return None
        return code

    def _disease(self, row: int, text: str) -> str | None:
        if not text:
            self._error(row, "disease", "missing")
            return None
        code, why = self.references.diseases.resolve(text)
        if code is None:
            self._error(row, "disease", why)
        return code

    def _week(self, row: int, text: str) -> IsoWeek | None:
        if not text:
            self._error(row, "week", "missing")
            return None
        try:
            week = parse_week(text)
        except InvalidWeek as exc:
            self._error(row, "week", str(exc))
            return None
        if week.year < FIRST_YEAR:
            self._error(row, "week", f"{week} is before {FIRST_YEAR}")
            return None
        if self.latest is not None and week > self.latest:
            self._error(row, "week", f"{week} has not begun yet (the latest is {self.latest})")
            return None
        return week

    def _count(self, row: int, column: str, text: str, *, required: bool) -> int | None:
        if not text:
            if required:
                self._error(row, column, "missing (write 0 for none)")
            return None
        if not (text.isascii() and text.isdigit()):
            self._error(
                row, column, f"'{_shown(text)}' is not a whole number of {column}, 0 or more"
            )
            return None
        # Python refuses to convert more than 4,300 digits; anything past ten is too many anyway.
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
            self._error(
                row, column, f"'{_shown(text)}' is more than {MAX_COUNT:,} {column} in a week"
            )
            return None
        return int(digits)


def _shown(text: str) -> str:
    """User text quoted in a message: printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= _SHOWN else printable[: _SHOWN - 1] + "…"


CellValue = str | int | None


def write_weekly_csv(rows: Iterable[Mapping[str, CellValue]]) -> str:
    """CSV text with the header :data:`COLUMNS` and one line per mapping (missing cells empty)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()
