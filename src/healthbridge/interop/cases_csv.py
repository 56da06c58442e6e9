"""The case-reports CSV: one row per case, or per laboratory test of a case.

Columns (a header row is required; names are case-insensitive, in any order; the lab columns
may be left out altogether)::

    country,case_id,disease,classification,onset_date,report_date,notification_date,area,
    age_group,sex,outcome,hospitalised,travelled,travel_countries,
    sample_id,specimen,test_type,pathogen,subtype,result,sample_date,result_date,laboratory

The case:

- ``country`` (required): ISO 3166-1 alpha-3 of the reporting country (``THA``).
- ``case_id`` (required): the country's own identifier of the case (up to 64 characters);
  sending a case again updates it.
- ``disease`` (required): our disease code (``dengue``) or an ICD-10 code (``A97.9``).
- ``classification`` (required): ``suspected``, ``probable`` or ``confirmed``.
- ``report_date`` (required), ``onset_date``, ``notification_date``: ISO 8601 dates
  (``2024-02-15``). The onset cannot be after the report.
- ``area``: ISO 3166-2 code of a first-level subdivision of the country (``TH-10``).
- ``age_group``: an age band in years, ``0-4``, ``15-24`` or ``65+``.
- ``sex``: ``female``, ``male``, ``other`` or ``unknown`` (``F``, ``M``, ``U`` too).
- ``outcome``: ``alive``, ``recovered``, ``died`` or ``unknown`` (``dead`` / ``deceased`` too).
- ``hospitalised``, ``travelled``: ``yes`` or ``no`` (``y``/``n``, ``true``/``false``,
  ``1``/``0``); empty when unknown.
- ``travel_countries``: ISO alpha-3 codes of the countries visited, separated by spaces,
  commas or semicolons (``LAO KHM``).

A laboratory test of the case (all empty when the row has none):

- ``sample_id`` (required for a test): the laboratory's identifier of the sample.
- ``test_type`` (required): ``pcr``, ``rdt``, ``culture``, ``sequencing`` or ``serology``
  (``RT-PCR``, ``qPCR``, ``ELISA``, ``WGS`` too).
- ``pathogen`` (required): what was tested for (``DENV``, ``SARS-CoV-2``); ``subtype`` what was
  found more precisely (``DENV-2``, ``H5N1``).
- ``result`` (required): ``positive``, ``negative``, ``indeterminate`` or ``pending``
  (``pos`` / ``neg`` too).
- ``sample_date`` (required), ``result_date``: ISO 8601 dates; the result cannot come before
  the sample. The turnaround time is derived from them.
- ``specimen`` (``serum``, ``nasopharyngeal swab``), ``laboratory``: free text.

A case with several tests takes several rows: each repeats the case's columns, which must then
agree with its first row, or leaves every case column but ``country`` and ``case_id`` empty.
Such a lab-only row may also add a test to a case sent in an earlier file.

The file is read as it streams (UTF-8, with or without a byte-order mark). Every problem is an
error naming the file, the row and the column; the reader collects them (up to ``max_errors``)
and raises them together. Rows are numbered as a spreadsheet numbers them: the header is row 1.
Whether a country, area or disease exists, and whether the importer may report for the
country, is the store's check (:mod:`healthbridge.surveillance.cases`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.case_codes import (
    CLASSIFICATIONS,
    ENUM_HELP,
    FLAGS,
    OUTCOMES,
    RESULTS,
    SEXES,
    TEST_TYPES,
    age_band,
    travel_codes,
)
from healthbridge.interop.case_records import CaseBatch, CaseRecord, LabRecord

CASE_COLUMNS: tuple[str, ...] = (
    "country",
    "case_id",
    "disease",
    "classification",
    "onset_date",
    "report_date",
    "notification_date",
    "area",
    "age_group",
    "sex",
    "outcome",
    "hospitalised",
    "travelled",
    "travel_countries",
)
LAB_COLUMNS: tuple[str, ...] = (
    "sample_id",
    "specimen",
    "test_type",
    "pathogen",
    "subtype",
    "result",
    "sample_date",
    "result_date",
    "laboratory",
)
COLUMNS: tuple[str, ...] = CASE_COLUMNS + LAB_COLUMNS
REQUIRED_COLUMNS: tuple[str, ...] = ("country", "case_id", "disease", "classification")
#: Case columns that a lab-only row leaves empty (all but the case's key).
CASE_VALUE_COLUMNS: tuple[str, ...] = CASE_COLUMNS[2:]
_LAB_START = len(CASE_COLUMNS)


def _positions(*names: str) -> tuple[int, ...]:
    return tuple(COLUMNS.index(name) for name in names)


_CASE_CODES = _positions(
    "disease",
    "classification",
    "area",
    "age_group",
    "sex",
    "outcome",
    "hospitalised",
    "travelled",
    "travel_countries",
)
_CASE_DATES = _positions("onset_date", "report_date", "notification_date")
_LAB_CODES = _positions("specimen", "test_type", "pathogen", "subtype", "result", "laboratory")
_LAB_DATES = _positions("sample_date", "result_date")


def _group(positions: tuple[int, ...]) -> _Group:
    return (positions, operator.itemgetter(*positions), {})


LAB_REQUIRED: tuple[str, ...] = ("sample_id", "test_type", "pathogen", "result", "sample_date")
MAX_ERRORS = 50
FIRST_YEAR = 1900
#: Longest text each free-text column may hold (the database's column sizes).
MAX_LENGTHS = {
    "case_id": 64,
    "sample_id": 64,
    "specimen": 60,
    "pathogen": 80,
    "subtype": 60,
    "laboratory": 160,
    "disease": 40,
}

Progress = Callable[[int], None]
#: ``converter(row, column, text, required)``: the value, or ``None`` with an error appended.
Converter = Callable[[int, str, str, bool], Any]
_MISS = object()
#: Positions (in :data:`COLUMNS`) of a group of cells, a getter of their texts, and a memo.
_Group = tuple[tuple[int, ...], Callable[[list[str]], tuple[str, ...]], dict[Any, Any]]
#: Distinct values memoised per column (beyond it, cells are converted each time).
_MEMO_LIMIT = 50_000
#: Bytes read at a time.
_BLOCK = 1 << 20
_SHOWN = 40


def read_cases_csv(
    source: bytes | BinaryIO,
    *,
    filename: str,
    max_errors: int = MAX_ERRORS,
    progress: Progress | None = None,
) -> CaseBatch:
    """Read a case-reports CSV (see the module's docstring for the columns) into a batch.

    ``source`` is the file's bytes or a binary file object, read line by line; ``progress`` is
    called with the bytes read so far. Raises :class:`Invalid` naming ``filename`` with one
    :class:`FieldError` (row and column) per problem, up to ``max_errors``.
    """
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    lines = _Lines(stream, filename, progress)
    reader = csv.reader(lines, strict=True)
    checker: _RowChecker | None = None
    start = 1
    try:
        for cells in reader:
            row, start = start, reader.line_num + 1
            if not "".join(cells).strip():
                continue
            if checker is None:
                checker = _RowChecker(_header(cells, row, filename))
                continue
            checker.check(row, cells)
            if len(checker.errors) >= max_errors:
                break
    except csv.Error as exc:
        raise Invalid(
            f"{filename} is not valid CSV at row {start}: {exc}; nothing was imported",
            errors=[*(checker.errors if checker else []), FieldError("file", str(exc), row=start)][
                :max_errors
            ],
        ) from None
    if checker is None:
        raise Invalid(
            f"{filename} is empty: expected a header such as {','.join(COLUMNS[:6])},...",
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
    return CaseBatch(
        filename=filename,
        format="csv",
        sha256=lines.digest.hexdigest(),
        cases=list(checker.cases.values()),
        labs=checker.labs,
        row_label="row",
    )


class _Lines:
    """The file's text, line by line: decoded, hashed, with the line a bad byte is on."""

    def __init__(self, stream: BinaryIO, filename: str, progress: Progress | None) -> None:
        self.stream = stream
        self.filename = filename
        self.progress = progress
        self.digest = hashlib.sha256()
        self.size = 0
        self.line = 0

    def __iter__(self) -> Iterator[str]:
        # Read in large blocks cut after a line break (a UTF-8 character never spans one), so
        # that hashing, the NUL check and decoding run once per block, not once per line.
        pending = b""
        while True:
            chunk = self.stream.read(_BLOCK)
            if not chunk:
                break
            self.digest.update(chunk)
            self.size += len(chunk)
            data = pending + chunk if pending else chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                pending = data
                continue
            pending = data[cut:]
            yield from self._lines(data[:cut])
            if self.progress is not None:
                self.progress(self.size)
        if pending:
            yield from self._lines(pending)

    def _lines(self, block: bytes) -> Iterator[str]:
        """The lines of ``block`` (whole lines), with their line breaks."""
        first = self.line
        if b"\x00" in block:
            self.line = first + block.count(b"\n", 0, block.index(b"\x00")) + 1
            self._refuse("contains the NUL character", "NUL byte in the line")
        try:
            text = block.decode("utf-8-sig" if first == 0 else "utf-8")
        except UnicodeDecodeError as exc:
            self.line = first + block.count(b"\n", 0, exc.start) + 1
            line_start = block.rfind(b"\n", 0, exc.start) + 1
            self._refuse(
                "is not UTF-8 text: save it as UTF-8 CSV",
                f"byte 0x{block[exc.start]:02x} at position {exc.start - line_start + 1} of "
                "the line is not UTF-8",
            )
        lines = text.split("\n")
        last = lines.pop()
        self.line = first + len(lines)
        for line in lines:
            yield line + "\n"
        if last:
            self.line += 1
            yield last

    def _refuse(self, what: str, message: str) -> None:
        raise Invalid(
            f"{self.filename} {what} (row {self.line}); nothing was imported",
            errors=[FieldError("file", message, row=self.line)],
        )

    def finish(self) -> None:
        """Read (and hash) what the reader left, and report the end."""
        for raw in self.stream:
            self.digest.update(raw)
            self.size += len(raw)
        if self.progress is not None:
            self.progress(self.size)


def _header(cells: list[str], row: int, filename: str) -> dict[str, int]:
    errors: list[FieldError] = []
    index: dict[str, int] = {}
    for position, cell in enumerate(cells):
        name = cell.strip().lower()
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
    required = [*REQUIRED_COLUMNS, "report_date"]
    missing = [name for name in required if name not in index]
    errors.extend(FieldError(name, "missing column in the header", row=row) for name in missing)
    if any(name in index for name in LAB_COLUMNS):
        errors.extend(
            FieldError(name, "missing column in the header (needed for lab results)", row=row)
            for name in LAB_REQUIRED
            if name not in index
        )
    if errors:
        raise Invalid(
            f"{filename}: the first row must be the header ({', '.join(required)} at least); "
            "nothing was imported",
            errors=errors,
        )
    return index


class _RowChecker:
    """Checks rows one by one, collecting cases, lab results and errors."""

    def __init__(self, header: dict[str, int]) -> None:
        self.index = header
        self.width = max(header.values()) + 1
        # Absent columns point past every row, so that they read as empty.
        self.positions = [header.get(name, 1 << 30) for name in COLUMNS]
        #: Every column, in the documented order: a row's cells are the values as they are.
        self.in_order = self.positions == list(range(len(COLUMNS)))
        self.has_labs = "sample_id" in header
        self.cases: dict[tuple[str, str], CaseRecord] = {}
        self.labs: list[LabRecord] = []
        self.lab_rows: dict[tuple[str, str, str, str], int] = {}
        self.errors: list[FieldError] = []
        self.dates: dict[str, dt.date] = {}
        self.memo: list[dict[str, Any]] = [{} for _ in COLUMNS]
        required = {*REQUIRED_COLUMNS, "report_date", *LAB_REQUIRED}
        methods: dict[str, Converter] = {
            "disease": self._text,
            "classification": self._enum,
            "onset_date": self._date,
            "report_date": self._date,
            "notification_date": self._date,
            "area": self._area,
            "age_group": self._age,
            "sex": self._enum,
            "outcome": self._enum,
            "hospitalised": self._flag,
            "travelled": self._flag,
            "travel_countries": self._countries,
            "specimen": self._text,
            "test_type": self._enum,
            "pathogen": self._text,
            "subtype": self._text,
            "result": self._enum,
            "sample_date": self._date,
            "result_date": self._date,
            "laboratory": self._text,
        }
        self.case_codes = _group(_CASE_CODES)
        self.lab_codes = _group(_LAB_CODES)
        self.converters: list[tuple[Converter, bool]] = [
            (methods.get(name, self._text), name in required) for name in COLUMNS
        ]

    def check(self, row: int, cells: list[str]) -> None:
        width = len(cells)
        if width > self.width and any(c.strip() for c in cells[self.width :]):
            self.errors.append(
                FieldError("row", f"{width} cells but the header has {self.width} columns", row=row)
            )
            return
        # One value per known column, in the order of COLUMNS ("" for absent columns).
        if self.in_order and width == len(COLUMNS):
            values = list(map(str.strip, cells))
        else:
            values = [cells[p].strip() if p < width else "" for p in self.positions]
        before = len(self.errors)
        country = self._code(row, "country", values[0])
        case_id = self._text(row, "case_id", values[1], True)
        lab_only = not any(values[2:_LAB_START])
        case = None if lab_only else self._case(row, values, country, case_id)
        lab = self._lab(row, values, country, case_id) if self.has_labs else None
        if lab_only and lab is None and len(self.errors) == before:
            self.errors.append(
                FieldError("disease", "missing (the row gives neither a case nor a test)", row=row)
            )
        if len(self.errors) > before:
            # A row's problems in the order of its columns.
            self.errors[before:] = sorted(self.errors[before:], key=_column_order)
            return
        if country is None or case_id is None:
            return
        if case is not None:
            first = self.cases.setdefault((country, case_id), case)
            if first is not case:
                self._agree(row, first, case)
        if lab is not None:
            key = (country, lab.sample_id, lab.test_type, lab.pathogen)
            earlier = self.lab_rows.setdefault(key, row)
            if earlier != row:
                self.errors.append(
                    FieldError(
                        "sample_id",
                        f"row {earlier} already gives the {lab.test_type} test for "
                        f"{_shown(lab.pathogen)} of sample {_shown(lab.sample_id)}",
                        row=row,
                    )
                )
            else:
                self.labs.append(lab)

    def _agree(self, row: int, first: CaseRecord, case: CaseRecord) -> None:
        for name in CASE_VALUE_COLUMNS:
            if getattr(first, name) != getattr(case, name):
                self.errors.append(
                    FieldError(
                        name,
                        f"case {_shown(case.case_id)} is given on row {first.row} with another "
                        "value: repeat the case's values, or leave its columns empty on its "
                        "further rows",
                        row=row,
                    )
                )
                return

    def _values(self, row: int, values: list[str], positions: Iterable[int]) -> list[Any]:
        """The converted cells at ``positions``: memoised, since most cells repeat (dates,
        codes, laboratories); a bad cell appends its error and reads as ``None``."""
        memo, converters = self.memo, self.converters
        out: list[Any] = []
        for position in positions:
            text = values[position]
            value = memo[position].get(text, _MISS)
            if value is _MISS:
                before = len(self.errors)
                method, required = converters[position]
                value = method(row, COLUMNS[position], text, required)
                if len(self.errors) == before and len(memo[position]) < _MEMO_LIMIT:
                    memo[position][text] = value
            out.append(value)
        return out

    def _group(self, row: int, values: list[str], group: _Group) -> tuple[Any, ...]:
        """The converted cells of a group of columns whose values come in few combinations
        (a case's codes, a test's): one lookup for the lot."""
        positions, cells, memo = group
        key = cells(values)
        found = memo.get(key)
        if found is None:
            before = len(self.errors)
            found = tuple(self._values(row, values, positions))
            if len(self.errors) == before and len(memo) < _MEMO_LIMIT:
                memo[key] = found
        return found

    def _case(
        self, row: int, values: list[str], country: str | None, case_id: str | None
    ) -> CaseRecord | None:
        before = len(self.errors)
        (disease, classification, area, age, sex, outcome, hospitalised, travelled, travel) = (
            self._group(row, values, self.case_codes)
        )
        onset, report, notified = self._values(row, values, _CASE_DATES)
        if onset is not None and report is not None and onset > report:
            self._error(row, "onset_date", f"{onset} is after the report date {report}")
        if len(self.errors) > before or country is None or case_id is None:
            return None
        return CaseRecord(
            row=row,
            country=country,
            case_id=case_id,
            disease=disease,
            classification=classification,
            report_date=report,
            onset_date=onset,
            notification_date=notified,
            area=area,
            age_group=age,
            sex=sex,
            outcome=outcome,
            hospitalised=hospitalised,
            travelled=travelled,
            travel_countries=travel,
        )

    def _lab(
        self, row: int, values: list[str], country: str | None, case_id: str | None
    ) -> LabRecord | None:
        sample_id = values[_LAB_START]
        if not sample_id:
            if any(values[_LAB_START:]):
                given = [n for n, v in zip(LAB_COLUMNS, values[_LAB_START:], strict=True) if v]
                self._error(row, "sample_id", f"missing (the row has a {given[0]})")
            return None
        before = len(self.errors)
        sample = self._text(row, "sample_id", sample_id, True)
        specimen, test_type, pathogen, subtype, result, laboratory = self._group(
            row, values, self.lab_codes
        )
        sampled, resulted = self._values(row, values, _LAB_DATES)
        if resulted is not None and sampled is not None and resulted < sampled:
            self._error(row, "result_date", f"{resulted} is before the sample date {sampled}")
        if len(self.errors) > before or country is None or case_id is None or sample is None:
            return None
        return LabRecord(
            row=row,
            country=country,
            case_id=case_id,
            sample_id=sample,
            test_type=test_type,
            pathogen=pathogen,
            result=result,
            sample_date=sampled,
            specimen=specimen,
            subtype=subtype,
            result_date=resulted,
            laboratory=laboratory,
        )

    # --- converters: each appends its error and returns None on a bad cell ---

    def _error(self, row: int, column: str, message: str) -> None:
        self.errors.append(FieldError(column, message, row=row))

    def _code(self, row: int, column: str, text: str) -> str | None:
        if not text:
            self._error(row, column, "missing")
            return None
        code = text.upper()
        if len(code) != 3 or not (code.isascii() and code.isalpha()):
            self._error(row, column, f"'{_shown(text)}' is not an ISO 3166-1 alpha-3 code (THA)")
            return None
        return code

    def _text(self, row: int, column: str, text: str, required: bool = False) -> str | None:
        if not text:
            if required:
                self._error(row, column, "missing")
            return None
        limit = MAX_LENGTHS[column]
        if len(text) > limit:
            self._error(row, column, f"longer than {limit} characters")
            return None
        if not text.isprintable():
            self._error(row, column, "contains a control character")
            return None
        return text

    def _enum(self, row: int, column: str, text: str, required: bool = False) -> str | None:
        if not text:
            if required:
                self._error(row, column, f"missing: one of {ENUM_HELP[column]}")
            return None
        found = _ENUMS[column].get(text.lower())
        if found is None:
            self._error(row, column, f"'{_shown(text)}' is not one of {ENUM_HELP[column]}")
        return found

    def _date(self, row: int, column: str, text: str, required: bool = False) -> dt.date | None:
        if not text:
            if required:
                self._error(row, column, "missing: an ISO 8601 date such as 2024-02-15")
            return None
        day = self.dates.get(text)
        if day is not None:
            return day
        try:
            if len(text) != 10 or text[4] != "-" or text[7] != "-":
                raise ValueError
            day = dt.date.fromisoformat(text)
        except ValueError:
            self._error(row, column, f"'{_shown(text)}' is not an ISO 8601 date such as 2024-02-15")
            return None
        if day.year < FIRST_YEAR:
            self._error(row, column, f"{day} is before {FIRST_YEAR}")
            return None
        self.dates[text] = day
        return day

    def _flag(self, row: int, column: str, text: str, required: bool = False) -> bool | None:
        if not text:
            return None
        found = FLAGS.get(text.lower())
        if found is None:
            self._error(row, column, f"'{_shown(text)}' is not yes or no (empty when unknown)")
        return found

    def _age(self, row: int, column: str, text: str, required: bool = False) -> str | None:
        if not text:
            return None
        band = age_band(text)
        if band is None:
            self._error(row, "age_group", f"'{_shown(text)}' is not an age band such as 0-4 or 65+")
        return band

    def _area(self, row: int, column: str, text: str, required: bool = False) -> str | None:
        if not text:
            return None
        code = text.upper()
        if len(code) > 10 or not code.isascii() or "-" not in code:
            self._error(row, column, f"'{_shown(text)}' is not an ISO 3166-2 code (e.g. TH-10)")
            return None
        return code

    def _countries(self, row: int, column: str, text: str, required: bool = False) -> str | None:
        if not text:
            return None
        joined, unknown = travel_codes(text)
        if unknown is not None:
            self._error(
                row, column, f"'{_shown(unknown)}' is not an ISO 3166-1 alpha-3 code (LAO, KHM)"
            )
            return None
        if joined is not None and len(joined) > 120:
            self._error(row, column, "more than 30 countries")
            return None
        return joined


_ENUMS = {
    "classification": CLASSIFICATIONS,
    "sex": SEXES,
    "outcome": OUTCOMES,
    "test_type": TEST_TYPES,
    "result": RESULTS,
}


def _column_order(error: FieldError) -> int:
    return _ORDER.get(error.field, -1)


_ORDER = {name: position for position, name in enumerate(COLUMNS)}


def _shown(text: str) -> str:
    """User text quoted in a message: printable and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= _SHOWN else printable[: _SHOWN - 1] + "…"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_cases_csv(cases: Iterable[CaseRecord], labs: Iterable[LabRecord] = ()) -> str:
    """CSV text with the header :data:`COLUMNS`: each case on a row with its first lab result,
    further lab results of a case on lab-only rows, and lab results of cases not given (stored
    before) on lab-only rows at the end. Reading it back gives the same records."""
    by_case: dict[tuple[str, str], list[LabRecord]] = {}
    for lab in labs:
        by_case.setdefault((lab.country, lab.case_id), []).append(lab)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    empty_lab = [""] * len(LAB_COLUMNS)

    def lab_cells(lab: LabRecord) -> list[str]:
        return [_cell(getattr(lab, name)) for name in LAB_COLUMNS]

    def key_cells(country: str, case_id: str) -> list[str]:
        return [country, case_id] + [""] * len(CASE_VALUE_COLUMNS)

    for case in cases:
        case_cells = [_cell(getattr(case, name)) for name in CASE_COLUMNS]
        tests = by_case.pop((case.country, case.case_id), [])
        writer.writerow(case_cells + (lab_cells(tests[0]) if tests else empty_lab))
        for lab in tests[1:]:
            writer.writerow(key_cells(case.country, case.case_id) + lab_cells(lab))
    for (country, case_id), tests in by_case.items():
        for lab in tests:
            writer.writerow(key_cells(country, case_id) + lab_cells(lab))
    return buffer.getvalue()
