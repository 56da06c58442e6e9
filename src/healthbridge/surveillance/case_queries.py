"""Reading case reports and lab results back: lists, one case, and lab turnaround statistics.

Case-level data never leaves its country (``CASE_READ``: the focal points, epidemiologists and
EOC officers of a country see that country's records; no regional role sees any). Asking for
another country's records is refused and the refusal audited, never silently emptied; every read
is written to the audit log (counts and filters, never a case's values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.audit import service as audit
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.interop.isoweek import InvalidWeek, parse_week
from healthbridge.interop.weekly_csv import DiseaseCodes
from healthbridge.paging import (
    COUNT_LIMIT,
    PageRequest,
    like_pattern,
    paginate,
    paginate_counted,
)
from healthbridge.policy import Action, Principal, authorize, visible_countries
from healthbridge.surveillance.models import (
    CASE_CLASSIFICATIONS,
    LAB_RESULTS,
    TEST_TYPES,
    CaseReport,
    Disease,
    LabResult,
)

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class CaseFilter:
    """Checked filters of a list of cases or lab results (see :func:`check_case_filter`)."""

    country: str | None = None
    disease: str | None = None
    classification: str | None = None
    area: str | None = None
    from_week: str | None = None
    to_week: str | None = None
    from_date: dt.date | None = None
    to_date: dt.date | None = None
    q: str | None = None
    pathogen: str | None = None
    test_type: str | None = None
    result: str | None = None
    laboratory: str | None = None

    def as_detail(self) -> dict[str, Any]:
        """The filters given, for the audit log."""
        return {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in self.__dict__.items()
            if value is not None
        }


def check_case_filter(
    *,
    session: Session,
    country: str | None = None,
    disease: str | None = None,
    classification: str | None = None,
    area: str | None = None,
    from_week: str | None = None,
    to_week: str | None = None,
    from_date: dt.date | None = None,
    to_date: dt.date | None = None,
    q: str | None = None,
    pathogen: str | None = None,
    test_type: str | None = None,
    result: str | None = None,
    laboratory: str | None = None,
) -> CaseFilter:
    """Normalise and check filters given as text; :class:`Invalid` naming every bad one."""
    errors: list[FieldError] = []
    country_code = None
    if country and country.strip():
        try:
            country_code = geography.require_country(session=session, code=country)
        except Invalid as bad:
            errors.extend(bad.errors)
    disease_code = None
    if disease and disease.strip():
        codes = DiseaseCodes.from_records(
            (code, icd10, others)
            for code, icd10, others in session.execute(
                select(Disease.code, Disease.icd10, Disease.icd10_codes)
            )
        )
        disease_code, why = codes.resolve(disease.strip())
        if disease_code is None:
            errors.append(FieldError("disease", why))
    weeks: dict[str, str | None] = {}
    for name, text in (("from_week", from_week), ("to_week", to_week)):
        weeks[name] = None
        if text and text.strip():
            try:
                weeks[name] = str(parse_week(text))
            except InvalidWeek as bad:
                errors.append(FieldError(name, str(bad)))
    choices = (
        ("classification", classification, CASE_CLASSIFICATIONS),
        ("test_type", test_type, TEST_TYPES),
        ("result", result, LAB_RESULTS),
    )
    chosen: dict[str, str | None] = {}
    for name, value, allowed in choices:
        text = (value or "").strip().lower() or None
        if text is not None and text not in allowed:
            errors.append(FieldError(name, f"one of: {', '.join(allowed)}"))
        chosen[name] = text
    if from_date and to_date and from_date > to_date:
        errors.append(FieldError("to_date", f"{to_date} is before from_date {from_date}"))
    first, last = weeks["from_week"], weeks["to_week"]
    if first and last and first > last:
        errors.append(FieldError("to_week", f"{last} is before from_week {first}"))
    if errors:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        raise Invalid(f"invalid filter: {fields}", errors=errors)
    return CaseFilter(
        country=country_code,
        disease=disease_code,
        classification=chosen["classification"],
        area=(area or "").strip().upper() or None,
        from_week=first,
        to_week=last,
        from_date=from_date,
        to_date=to_date,
        q=(q or "").strip() or None,
        pathogen=(pathogen or "").strip() or None,
        test_type=chosen["test_type"],
        result=chosen["result"],
        laboratory=(laboratory or "").strip() or None,
    )


def case_scope(actor: Principal, where: CaseFilter, object_type: str) -> list[str]:
    """The countries a read may reach: the filter's (authorised), else the actor's own."""
    allowed = visible_countries(actor, Action.CASE_READ)
    if where.country is not None:
        authorize(actor, Action.CASE_READ, country=where.country, object_type=object_type)
        return [where.country]
    assert allowed is not None  # CASE_READ is never regional
    return sorted(allowed)


def filter_cases(query: SelectT, where: CaseFilter, countries: list[str]) -> SelectT:
    """``query`` (over case reports) narrowed to ``countries`` and ``where``'s filters."""
    query = query.where(CaseReport.country_code.in_(countries))
    if where.disease:
        query = query.where(CaseReport.disease_code == where.disease)
    if where.classification:
        query = query.where(CaseReport.classification == where.classification)
    if where.area:
        query = query.where(CaseReport.area_code == where.area)
    if where.from_week:
        query = query.where(CaseReport.week >= where.from_week)
    if where.to_week:
        query = query.where(CaseReport.week <= where.to_week)
    if where.from_date:
        query = query.where(CaseReport.report_date >= where.from_date)
    if where.to_date:
        query = query.where(CaseReport.report_date <= where.to_date)
    if where.q:
        query = query.where(CaseReport.case_id.ilike(like_pattern(where.q), escape="\\"))
    return query


CASE_SORTS: dict[str, Any] = {
    "report_date": CaseReport.report_date,
    "week": CaseReport.week,
    "case_id": CaseReport.case_id,
    "disease": CaseReport.disease_code,
    "area": CaseReport.area_code,
    "updated_at": CaseReport.updated_at,
    "id": CaseReport.id,
}


def count_cases_since(
    *, session: Session, actor: Principal, starts: Sequence[dt.date]
) -> list[int]:
    """How many of the actor's own country's case reports were reported on or after each of
    ``starts``: counts, no record leaves the query, so the read is not a personal-data read and
    is not audited (the situation room asks every minute). Refused as :func:`list_cases`."""
    countries = case_scope(actor, CaseFilter(), "case_report")
    if not starts:
        return []
    # One pass over the index from the earliest start, every count a filter of it.
    query = select(*(func.count().filter(CaseReport.report_date >= start) for start in starts))
    found = session.execute(
        query.where(CaseReport.country_code.in_(countries), CaseReport.report_date >= min(starts))
    ).one()
    return [int(count or 0) for count in found]


def list_cases(
    *, session: Session, actor: Principal, page: PageRequest, where: CaseFilter | None = None
) -> tuple[list[CaseReport], int, bool]:
    """Case reports matching ``where``, of the actor's own country, newest report first by
    default (``sort``: report_date, week, case_id, disease, area, updated_at, id; ``-`` for
    descending): ``(rows, total, exact)``. A country holds millions of cases, so they are counted
    only up to :data:`~healthbridge.paging.COUNT_LIMIT` (``exact`` is ``False`` past it). The
    read is audited."""
    where = where or CaseFilter()
    countries = case_scope(actor, where, "case_report")
    query = filter_cases(select(CaseReport), where, countries)
    rows, total, exact = paginate_counted(
        session,
        query,
        page,
        sortable=CASE_SORTS,
        default_sort="-report_date",
        count_limit=COUNT_LIMIT,
    )
    audit.record(
        session=session,
        actor=actor,
        action="case_report.list",
        object_type="case_report",
        country=countries[0] if len(countries) == 1 else None,
        detail={
            "filters": where.as_detail(),
            "returned": len(rows),
            "total": total,
            "total_exact": exact,
        },
    )
    return rows, total, exact


def get_case(*, session: Session, actor: Principal, case_report_id: int) -> CaseReport:
    """One case report with its lab results. Another country's case is refused (audited)."""
    case = session.get(CaseReport, case_report_id, options=[selectinload(CaseReport.lab_results)])
    if case is None:
        visible_countries(actor, Action.CASE_READ)  # refuses the roles that read no case
        raise NotFound(f"no case report with id {case_report_id}")
    authorize(
        actor,
        Action.CASE_READ,
        country=case.country_code,
        object_type="case_report",
        object_id=str(case_report_id),
    )
    audit.record(
        session=session,
        actor=actor,
        action="case_report.read",
        object_type="case_report",
        object_id=case.id,
        country=case.country_code,
    )
    return case


def _lab_filtered(query: SelectT, where: CaseFilter, countries: list[str]) -> SelectT:
    query = query.where(LabResult.country_code.in_(countries))
    if where.pathogen:
        query = query.where(LabResult.pathogen.ilike(like_pattern(where.pathogen), escape="\\"))
    if where.test_type:
        query = query.where(LabResult.test_type == where.test_type)
    if where.result:
        query = query.where(LabResult.result == where.result)
    if where.laboratory:
        query = query.where(LabResult.laboratory.ilike(like_pattern(where.laboratory), escape="\\"))
    if where.from_date:
        query = query.where(LabResult.sample_date >= where.from_date)
    if where.to_date:
        query = query.where(LabResult.sample_date <= where.to_date)
    if where.disease or where.q or where.area or where.classification:
        query = query.where(
            LabResult.case_report_id.in_(
                filter_cases(
                    select(CaseReport.id),
                    CaseFilter(
                        disease=where.disease,
                        q=where.q,
                        area=where.area,
                        classification=where.classification,
                    ),
                    countries,
                )
            )
        )
    return query


LAB_SORTS: dict[str, Any] = {
    "sample_date": LabResult.sample_date,
    "result_date": LabResult.result_date,
    "turnaround_days": LabResult.turnaround_days,
    "sample_id": LabResult.sample_id,
    "id": LabResult.id,
}


def list_lab_results(
    *, session: Session, actor: Principal, page: PageRequest, where: CaseFilter | None = None
) -> tuple[list[LabResult], int]:
    """Lab results matching ``where`` (pathogen and laboratory: text contained; test type,
    result; sample dates ``from_date``/``to_date``; the case's disease, area, classification
    and ``q`` on its case id), of the actor's own country, newest sample first. Audited."""
    where = where or CaseFilter()
    countries = case_scope(actor, where, "lab_result")
    query = _lab_filtered(
        select(LabResult).options(selectinload(LabResult.case_report)), where, countries
    )
    rows, total = paginate(session, query, page, sortable=LAB_SORTS, default_sort="-sample_date")
    audit.record(
        session=session,
        actor=actor,
        action="lab_result.list",
        object_type="lab_result",
        country=countries[0] if len(countries) == 1 else None,
        detail={"filters": where.as_detail(), "returned": len(rows), "total": total},
    )
    return rows, total


@dataclass(frozen=True)
class Turnaround:
    """Days from sample to result of one country's laboratory and test type."""

    country: str
    laboratory: str | None
    test_type: str
    #: Results with both dates.
    n: int
    median: float
    p90: float
    mean: float
    minimum: int
    maximum: int


def turnaround_stats(values: list[int], counts: list[int]) -> tuple[int, float, float, float]:
    """``(n, median, 90th percentile, mean rounded to 2 places)`` of ``values`` each seen
    ``counts`` times (a histogram); percentiles are linear between order statistics."""
    days = np.repeat(np.asarray(values, dtype=float), np.asarray(counts, dtype=np.int64))
    if days.size == 0:
        raise ValueError("no values")
    return (
        int(days.size),
        float(np.median(days)),
        float(np.percentile(days, 90)),
        round(float(days.mean()), 2),
    )


def turnaround(
    *, session: Session, actor: Principal, where: CaseFilter | None = None
) -> list[Turnaround]:
    """Turnaround statistics (sample → result, in days) per country, laboratory and test type,
    of the results matching ``where`` that have a result date. The 90th percentile is linear
    between order statistics (numpy's default, R's type 7). Audited as a read."""
    where = where or CaseFilter()
    countries = case_scope(actor, where, "lab_result")
    # The database counts each (laboratory, test, days) once; numpy takes the statistics of
    # that histogram, so a million results never travel one by one.
    days_column = LabResult.turnaround_days
    query = _lab_filtered(
        select(
            LabResult.country_code,
            LabResult.laboratory,
            LabResult.test_type,
            days_column,
            func.count(),
        ).where(days_column.is_not(None)),
        where,
        countries,
    ).group_by(LabResult.country_code, LabResult.laboratory, LabResult.test_type, days_column)
    groups: dict[tuple[str, str | None, str], tuple[list[int], list[int]]] = {}
    for country, laboratory, test_type, days, n in session.execute(query):
        if days is None:
            continue
        values, counts = groups.setdefault((country, laboratory, test_type), ([], []))
        values.append(int(days))
        counts.append(int(n))
    out = []
    for (country, laboratory, test_type), (values, counts) in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
    ):
        n, median, p90, mean = turnaround_stats(values, counts)
        out.append(
            Turnaround(
                country=country,
                laboratory=laboratory,
                test_type=test_type,
                n=n,
                median=median,
                p90=p90,
                mean=mean,
                minimum=min(values),
                maximum=max(values),
            )
        )
    audit.record(
        session=session,
        actor=actor,
        action="lab_result.turnaround",
        object_type="lab_result",
        country=countries[0] if len(countries) == 1 else None,
        detail={"filters": where.as_detail(), "groups": len(out)},
    )
    return out
