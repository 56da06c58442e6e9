"""API of the training part: programmes, courses, their counts, trainees and enrolments.

Programmes, courses and counts are regional (``COOPERATION_READ``); trainees and the names on a
course are personal data (``TRAINEE_READ``, scoped to the trainee's country and audited).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.cooperation.training import service, summaries, trainees
from healthbridge.cooperation.training.schemas import (
    CourseCreate,
    CoursePage,
    CourseRead,
    CourseUpdate,
    EnrolmentComplete,
    EnrolmentCreate,
    EnrolmentPage,
    EnrolmentRead,
    EnrolmentStatus,
    EnrolmentWithdraw,
    ProgrammeCreate,
    ProgrammePage,
    ProgrammeRead,
    ProgrammeSummary,
    ProgrammeUpdate,
    TraineeCreate,
    TraineePage,
    TraineeRead,
    TraineeUpdate,
)
from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["training"])
Reader = Annotated[Principal, Depends(Allow(Action.COOPERATION_READ))]
Writer = Annotated[Principal, Depends(Allow(Action.TRAINING_WRITE))]
TraineeReader = Annotated[Principal, Depends(Allow(Action.TRAINEE_READ))]


# --- programmes -------------------------------------------------------------------------------


@router.get("/trainings", response_model=ProgrammePage, summary="List training programmes")
def list_programmes(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Text in code or name")] = None,
    host_country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    organiser: Annotated[str | None, Query(max_length=40, description="Organisation")] = None,
) -> ProgrammePage:
    rows, total = service.list_programmes(
        session=session,
        actor=actor,
        page=page,
        q=q,
        host_country=host_country,
        organiser=organiser,
    )
    add_link_header(request, response, page, total)
    return ProgrammePage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/trainings",
    response_model=ProgrammeRead,
    status_code=201,
    summary="Create a training programme (regional editors)",
)
def create_programme(session: SessionDep, actor: Writer, body: ProgrammeCreate) -> ProgrammeRead:
    return ProgrammeRead.model_validate(
        service.create_programme(session=session, actor=actor, programme_in=body)
    )


@router.get("/trainings/{code}", response_model=ProgrammeRead, summary="One training programme")
def get_programme(session: SessionDep, actor: Reader, code: str) -> ProgrammeRead:
    return ProgrammeRead.model_validate(
        service.get_programme(session=session, actor=actor, code=code)
    )


@router.patch(
    "/trainings/{code}",
    response_model=ProgrammeRead,
    summary="Change a training programme (regional editors)",
)
def update_programme(
    session: SessionDep, actor: Writer, code: str, body: ProgrammeUpdate
) -> ProgrammeRead:
    return ProgrammeRead.model_validate(
        service.update_programme(session=session, actor=actor, code=code, changes=body)
    )


@router.get(
    "/trainings/{code}/summary",
    response_model=ProgrammeSummary,
    summary="Trainees, completions and certificates by country and by course (counts only)",
)
def programme_summary(session: SessionDep, actor: Reader, code: str) -> ProgrammeSummary:
    programme = service.get_programme(session=session, actor=actor, code=code)
    return summaries.programme_summary(session=session, actor=actor, programme=programme)


# --- courses ----------------------------------------------------------------------------------


@router.get(
    "/trainings/{code}/courses", response_model=CoursePage, summary="Courses of a programme"
)
def list_courses(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    code: str,
) -> CoursePage:
    programme = service.get_programme(session=session, actor=actor, code=code)
    rows, total = service.list_courses(session=session, actor=actor, programme=programme, page=page)
    add_link_header(request, response, page, total)
    return CoursePage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/trainings/{code}/courses",
    response_model=CourseRead,
    status_code=201,
    summary="Add a course to a programme (regional editors)",
)
def create_course(session: SessionDep, actor: Writer, code: str, body: CourseCreate) -> CourseRead:
    programme = service.get_programme(session=session, actor=actor, code=code)
    return CourseRead.model_validate(
        service.create_course(session=session, actor=actor, programme=programme, course_in=body)
    )


@router.get("/courses/{course_id}", response_model=CourseRead, summary="One course")
def get_course(session: SessionDep, actor: Reader, course_id: int) -> CourseRead:
    return CourseRead.model_validate(
        service.get_course(session=session, actor=actor, course_id=course_id)
    )


@router.patch(
    "/courses/{course_id}", response_model=CourseRead, summary="Change a course (regional editors)"
)
def update_course(
    session: SessionDep, actor: Writer, course_id: int, body: CourseUpdate
) -> CourseRead:
    return CourseRead.model_validate(
        service.update_course(session=session, actor=actor, course_id=course_id, changes=body)
    )


# --- trainees (personal data) -----------------------------------------------------------------


@router.get(
    "/trainees",
    response_model=TraineePage,
    summary="List trainees of the countries in your scope (audited)",
)
def list_trainees(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: TraineeReader,
    page: PageDep,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    programme: Annotated[str | None, Query(max_length=20, description="Programme code")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name, e-mail or position")] = None,
) -> TraineePage:
    found = (
        service.get_programme(session=session, actor=actor, code=programme) if programme else None
    )
    rows, total = trainees.list_trainees(
        session=session, actor=actor, page=page, country=country, programme=found, q=q
    )
    add_link_header(request, response, page, total)
    return TraineePage(
        items=[TraineeRead.of(t) for t in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/trainees",
    response_model=TraineeRead,
    status_code=201,
    summary="Record a trainee (of your own country, for a focal point)",
)
def create_trainee(session: SessionDep, actor: Writer, body: TraineeCreate) -> TraineeRead:
    return TraineeRead.of(trainees.create_trainee(session=session, actor=actor, trainee_in=body))


@router.get("/trainees/{trainee_id}", response_model=TraineeRead, summary="One trainee (audited)")
def get_trainee(session: SessionDep, actor: TraineeReader, trainee_id: int) -> TraineeRead:
    return TraineeRead.of(trainees.get_trainee(session=session, actor=actor, trainee_id=trainee_id))


@router.patch("/trainees/{trainee_id}", response_model=TraineeRead, summary="Change a trainee")
def update_trainee(
    session: SessionDep, actor: Writer, trainee_id: int, body: TraineeUpdate
) -> TraineeRead:
    return TraineeRead.of(
        trainees.update_trainee(session=session, actor=actor, trainee_id=trainee_id, changes=body)
    )


# --- enrolments -------------------------------------------------------------------------------


@router.get(
    "/courses/{course_id}/enrolments",
    response_model=EnrolmentPage,
    summary="Enrolments of a course, with names, for the countries in your scope (audited)",
)
def list_enrolments(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: TraineeReader,
    page: PageDep,
    course_id: int,
    status: EnrolmentStatus | None = None,
) -> EnrolmentPage:
    course = service.get_course(session=session, actor=actor, course_id=course_id)
    rows, total = trainees.list_enrolments(
        session=session, actor=actor, course=course, page=page, status=status
    )
    add_link_header(request, response, page, total)
    return EnrolmentPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/courses/{course_id}/enrolments",
    response_model=EnrolmentRead,
    status_code=201,
    summary="Enrol a trainee on a course",
)
def enrol(
    session: SessionDep, actor: Writer, course_id: int, body: EnrolmentCreate
) -> EnrolmentRead:
    course = service.get_course(session=session, actor=actor, course_id=course_id)
    return EnrolmentRead.model_validate(
        trainees.enrol(session=session, actor=actor, course=course, enrolment_in=body)
    )


@router.post(
    "/enrolments/{enrolment_id}/complete",
    response_model=EnrolmentRead,
    summary="Record a completion and issue its certificate (idempotent)",
)
def complete_enrolment(
    session: SessionDep,
    actor: Writer,
    enrolment_id: int,
    body: EnrolmentComplete | None = None,
) -> EnrolmentRead:
    return EnrolmentRead.model_validate(
        trainees.complete_enrolment(
            session=session,
            actor=actor,
            enrolment_id=enrolment_id,
            completion=body or EnrolmentComplete(),
        )
    )


@router.post(
    "/enrolments/{enrolment_id}/withdraw",
    response_model=EnrolmentRead,
    summary="Withdraw a trainee from a course (idempotent; not after completion)",
)
def withdraw_enrolment(
    session: SessionDep,
    actor: Writer,
    enrolment_id: int,
    body: EnrolmentWithdraw | None = None,
) -> EnrolmentRead:
    return EnrolmentRead.model_validate(
        trainees.withdraw_enrolment(
            session=session,
            actor=actor,
            enrolment_id=enrolment_id,
            withdrawal=body or EnrolmentWithdraw(),
        )
    )
