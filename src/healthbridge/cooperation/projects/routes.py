"""API of the projects part of the dialogue channel: IATI activities, their XML export and import.

Everyone signed in reads the portfolio; the Secretariat, administrators and focal points write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile

from healthbridge.cooperation.projects import reads, service
from healthbridge.cooperation.projects.schemas import (
    ImportReport,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    ProjectUpdate,
    ResultIn,
    ResultRead,
    TransactionIn,
    TransactionRead,
)
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.interop import iati, iati_import
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["projects"])
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.PROJECT_WRITE))]


@router.get("/projects", response_model=ProjectPage, summary="The portfolio of projects")
def list_projects(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[int | None, Query(ge=1, le=6, description="IATI ActivityStatus")] = None,
    sector: Annotated[
        str | None, Query(min_length=5, max_length=5, description="DAC purpose code")
    ] = None,
    country: Annotated[
        str | None,
        Query(min_length=3, max_length=3, description="Recipient country (ISO alpha-3)"),
    ] = None,
    reporting_org: Annotated[
        str | None, Query(max_length=40, description="Reporting organisation code")
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in identifier, title, description")
    ] = None,
) -> ProjectPage:
    rows, total = service.list_projects(
        session=session,
        actor=actor,
        page=page,
        status=status,
        sector=sector,
        country=country,
        reporting_org=reporting_org,
        q=q,
    )
    reference = service.reference_data(session=session, actor=actor)
    add_link_header(request, response, page, total)
    return ProjectPage(
        items=[reads.summary_of(p, reference) for p in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/projects", response_model=ProjectRead, status_code=201, summary="Record a project")
def create_project(session: SessionDep, actor: Writer, body: ProjectCreate) -> ProjectRead:
    project = service.create_project(session=session, actor=actor, project_in=body)
    session.expire_all()  # read back what the database stored (its order, its decimals)
    project = service.get_project(session=session, actor=actor, project_id=project.id)
    return reads.read_of(project, service.reference_data(session=session, actor=actor))


@router.get(
    "/projects/iati.xml",
    response_class=Response,
    summary="The projects as an IATI 2.03 activity file",
    responses={200: {"content": {iati.MEDIA_TYPE: {}}}},
)
def export_iati(
    session: SessionDep,
    actor: Reader,
    identifier: Annotated[
        str | None, Query(max_length=150, description="Only the project with this identifier")
    ] = None,
) -> Response:
    data = iati.export_activities(session=session, actor=actor, identifier=identifier)
    name = "projects" if identifier is None else identifier
    return Response(
        content=data,
        media_type=iati.MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{name}.iati.xml"'},
    )


@router.post(
    "/projects/import",
    response_model=ImportReport,
    summary="Import an IATI 2.03 activity file (all of it or nothing; idempotent)",
)
def import_iati(
    session: SessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="An IATI activity XML file")],
) -> ImportReport:
    # A plain function: FastAPI runs it in a worker thread, so parsing and writing a large file
    # does not hold up the event loop. The body size is bounded by the app's BodySizeLimit.
    data = file.file.read()
    return iati_import.import_activities(session=session, actor=actor, data=data)


@router.get("/projects/{project_id}", response_model=ProjectRead, summary="One project")
def get_project(session: SessionDep, actor: Reader, project_id: int) -> ProjectRead:
    project = service.get_project(session=session, actor=actor, project_id=project_id)
    return reads.read_of(project, service.reference_data(session=session, actor=actor))


@router.patch("/projects/{project_id}", response_model=ProjectRead, summary="Change a project")
def update_project(
    session: SessionDep, actor: Writer, project_id: int, body: ProjectUpdate
) -> ProjectRead:
    service.update_project(session=session, actor=actor, project_id=project_id, changes=body)
    session.expire_all()  # read back what the database stored (its order, its decimals)
    project = service.get_project(session=session, actor=actor, project_id=project_id)
    return reads.read_of(project, service.reference_data(session=session, actor=actor))


@router.post(
    "/projects/{project_id}/results",
    response_model=ResultRead,
    status_code=201,
    summary="Add a result with its indicators",
)
def add_result(session: SessionDep, actor: Writer, project_id: int, body: ResultIn) -> ResultRead:
    result = service.add_result(session=session, actor=actor, project_id=project_id, result_in=body)
    return reads.result_read(result)


@router.post(
    "/projects/{project_id}/transactions",
    response_model=TransactionRead,
    status_code=201,
    summary="Record a transaction",
)
def add_transaction(
    session: SessionDep, actor: Writer, project_id: int, body: TransactionIn
) -> TransactionRead:
    transaction = service.add_transaction(
        session=session, actor=actor, project_id=project_id, transaction_in=body
    )
    project = service.get_project(session=session, actor=actor, project_id=project_id)
    return reads.transaction_read(transaction, project)
