"""API: UHC indicators, their observations, and the import of WHO GHO CSV exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile

from healthbridge.cooperation.uhc import importing, service
from healthbridge.cooperation.uhc.schemas import (
    UhcImportReport,
    UhcIndicatorPage,
    UhcIndicatorRead,
    UhcObservationPage,
)
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["uhc"])
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.UHC_WRITE))]
Year = Query(ge=1900, le=2100)


@router.get("/uhc-indicators", response_model=UhcIndicatorPage, summary="The UHC indicators")
def list_indicators(
    request: Request, response: Response, session: SessionDep, actor: Reader, page: PageDep
) -> UhcIndicatorPage:
    rows, total = service.list_indicators(session=session, actor=actor, page=page)
    add_link_header(request, response, page, total)
    return UhcIndicatorPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/uhc-indicators/import",
    response_model=UhcImportReport,
    summary="Import values from a WHO GHO CSV export",
    description=(
        "Upload a CSV in the layout of the WHO Global Health Observatory's data export "
        "(multipart field `file`). The whole file lands or nothing does; importing the same "
        "file again changes nothing. A bad row answers 422 with `errors: [{row, field, "
        "message}]`; a focal point may import only their own country's rows."
    ),
)
def import_values(
    session: SessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="The GHO CSV export")],
    source: Annotated[
        str | None,
        Form(max_length=300, description="Where the values come from (default: the WHO GHO)"),
    ] = None,
) -> UhcImportReport:
    report = importing.import_gho_csv(
        session=session, actor=actor, data=file.file.read(), filename=file.filename, source=source
    )
    return UhcImportReport(
        filename=report.filename,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
        skipped_by_reason=report.skipped_by_reason,
        countries=report.countries,
        indicators=report.indicators,
    )


@router.get("/uhc-indicators/{code}", response_model=UhcIndicatorRead, summary="One UHC indicator")
def get_indicator(session: SessionDep, actor: Reader, code: str) -> UhcIndicatorRead:
    return UhcIndicatorRead.model_validate(
        service.get_indicator(session=session, actor=actor, code=code)
    )


@router.get(
    "/uhc-indicators/{code}/observations",
    response_model=UhcObservationPage,
    summary="One indicator's values by country and year",
)
def list_indicator_observations(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    code: str,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    from_year: Annotated[int | None, Year] = None,
    to_year: Annotated[int | None, Year] = None,
) -> UhcObservationPage:
    indicator = service.get_indicator(session=session, actor=actor, code=code)
    rows, total = service.list_observations(
        session=session,
        actor=actor,
        page=page,
        indicator=indicator.code,
        country=country,
        from_year=from_year,
        to_year=to_year,
    )
    add_link_header(request, response, page, total)
    return UhcObservationPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.get(
    "/uhc-observations",
    response_model=UhcObservationPage,
    summary="UHC values, filtered by country, indicator and year",
)
def list_observations(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    indicator: Annotated[str | None, Query(max_length=40, description="GHO code")] = None,
    year: Annotated[int | None, Year] = None,
) -> UhcObservationPage:
    rows, total = service.list_observations(
        session=session, actor=actor, page=page, indicator=indicator, country=country, year=year
    )
    add_link_header(request, response, page, total)
    return UhcObservationPage(items=rows, total=total, limit=page.limit, offset=page.offset)
