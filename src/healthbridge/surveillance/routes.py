"""API: notifiable diseases (reference data) and weekly counts (the regional surveillance
layer: list, CSV and DHIS2 imports, and one series as arrays for an epicurve)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal
from healthbridge.surveillance import service, weekly, weekly_import
from healthbridge.surveillance.schemas import (
    DiseasePage,
    DiseaseRead,
    WeeklyCountImportReport,
    WeeklyCountPage,
    WeeklySeriesRead,
)

REFERENCE_DATA = "reference data"
SURVEILLANCE = "surveillance"
router = APIRouter()
Reader = Annotated[Principal, Depends(Allow(Action.REFERENCE_READ))]
AggregateReader = Annotated[Principal, Depends(Allow(Action.SURVEILLANCE_AGGREGATE_READ))]
Reporter = Annotated[Principal, Depends(Allow(Action.SURVEILLANCE_REPORT))]
Country = Annotated[str | None, Query(max_length=3, description="ISO 3166-1 alpha-3, e.g. THA")]
Area = Annotated[str | None, Query(max_length=10, description="ISO 3166-2, e.g. TH-10")]
DiseaseCode = Annotated[
    str | None, Query(max_length=40, description="Disease code (dengue) or ICD-10 (A97.9)")
]
Week = Annotated[str | None, Query(max_length=10, description="ISO week, e.g. 2024-W07")]
Source = Annotated[str | None, Query(max_length=20, description="aggregate or case_rollup")]


@router.get(
    "/diseases",
    response_model=DiseasePage,
    summary="List notifiable diseases",
    tags=[REFERENCE_DATA],
)
def list_diseases(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Name, code or ICD-10")] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
) -> DiseasePage:
    rows, total = service.list_diseases(
        session=session, actor=actor, page=page, q=q, category=category
    )
    add_link_header(request, response, page, total)
    return DiseasePage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/diseases/{code}", response_model=DiseaseRead, summary="One disease", tags=[REFERENCE_DATA]
)
def get_disease(session: SessionDep, actor: Reader, code: str) -> DiseaseRead:
    return DiseaseRead.model_validate(service.get_disease(session=session, actor=actor, code=code))


@router.get(
    "/weekly-counts",
    response_model=WeeklyCountPage,
    summary="Weekly counts of cases and deaths",
    description=(
        "Counts by country, area (none: the national total), disease and ISO week, visible to "
        "the whole region. `sort`: week (default), country, area, disease, cases, deaths, "
        "updated_at; `-` for descending."
    ),
    tags=[SURVEILLANCE],
)
def list_weekly_counts(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: AggregateReader,
    page: PageDep,
    country: Country = None,
    area: Area = None,
    disease: DiseaseCode = None,
    from_week: Week = None,
    to_week: Week = None,
    source: Source = None,
) -> WeeklyCountPage:
    where = weekly.check_filter(
        session=session,
        actor=actor,
        country=country,
        area=area,
        disease=disease,
        from_week=from_week,
        to_week=to_week,
        source=source,
    )
    rows, total = weekly.list_weekly_counts(session=session, actor=actor, page=page, where=where)
    add_link_header(request, response, page, total)
    return WeeklyCountPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/weekly-counts/import",
    response_model=WeeklyCountImportReport,
    summary="Import weekly counts from CSV",
    description=(
        "Upload a CSV (multipart field `file`) with the header `country,area,disease,week,cases,"
        "deaths`: country ISO alpha-3, area ISO 3166-2 of that country (empty for the national "
        "total), disease by our code or ICD-10, week `2024-W07` or `2024W07`, deaths optional. "
        "The whole file lands or nothing does; importing the same file again changes nothing. "
        "Bad rows answer 422 with `errors: [{row, field, message}]`; a reporter may import only "
        "their own country's rows (403 naming the row)."
    ),
    tags=[SURVEILLANCE],
)
def import_weekly_counts(
    session: SessionDep,
    actor: Reporter,
    file: Annotated[UploadFile, File(description="The weekly-counts CSV")],
) -> WeeklyCountImportReport:
    report = weekly_import.import_weekly_csv(
        session=session, actor=actor, data=file.file, filename=file.filename
    )
    return WeeklyCountImportReport.model_validate(report)


@router.post(
    "/weekly-counts/import/dhis2",
    response_model=WeeklyCountImportReport,
    summary="Import weekly counts from a DHIS2 dataValueSets JSON",
    description=(
        "Upload a DHIS2 `dataValueSets` JSON export (multipart field `file`) of weekly periods "
        "(`2024W07`), and a mapping JSON (field `mapping`) that says which disease and measure "
        "(cases or deaths) each `dataElement` counts and which country and area each `orgUnit` "
        "is. The values of every category option combo are added up. The whole file lands or "
        "nothing does; importing it again changes nothing. `rows` is the number of data "
        "values; `created`, `updated` and `unchanged` count weekly counts. Bad data values "
        "answer 422 with `errors: [{row, field, message}]`, the row being the data value's "
        "place in `dataValues` from 1 and the field its path (`dataValues[17].orgUnit`, from "
        "0); mapping problems name the mapping key (`orgUnits.DiszpKrYNg8.area`). A reporter "
        "may import only their own country's org units (403 naming the data value)."
    ),
    tags=[SURVEILLANCE],
)
def import_weekly_counts_dhis2(
    session: SessionDep,
    actor: Reporter,
    file: Annotated[UploadFile, File(description="The DHIS2 dataValueSets JSON")],
    mapping: Annotated[UploadFile, File(description="The mapping JSON of its ids")],
) -> WeeklyCountImportReport:
    report = weekly_import.import_dhis2(
        session=session,
        actor=actor,
        data=file.file,
        filename=file.filename,
        mapping=mapping.file,
        mapping_filename=mapping.filename,
    )
    return WeeklyCountImportReport.model_validate(report)


@router.get(
    "/weekly-counts/series",
    response_model=WeeklySeriesRead,
    summary="One weekly series as arrays (an epicurve's data)",
    description=(
        "Every week from the series' first to its last count, `null` where a week has no count. "
        "Without `area`: the national totals, or the sum of the areas when the country reported "
        "no national total (`level` says which)."
    ),
    tags=[SURVEILLANCE],
)
def weekly_series(
    session: SessionDep,
    actor: AggregateReader,
    country: Annotated[str, Query(max_length=3, description="ISO 3166-1 alpha-3")],
    disease: Annotated[str, Query(max_length=40, description="Disease code or ICD-10")],
    area: Area = None,
    from_week: Week = None,
    to_week: Week = None,
    source: Source = None,
) -> WeeklySeriesRead:
    series = weekly.weekly_series(
        session=session,
        actor=actor,
        country=country,
        disease=disease,
        area=area,
        from_week=from_week,
        to_week=to_week,
        source=source,
    )
    return WeeklySeriesRead.model_validate(series)
