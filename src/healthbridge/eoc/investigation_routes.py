"""API: field investigations of an event, their team, sample shipments and tasks.

Read by whoever sees the event (404 otherwise), changed by whoever manages it; every change
audited. Team members' names and e-mails follow the event's visibility."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from healthbridge.deps import Allow, PageDep, SessionDep, add_link_header
from healthbridge.eoc import investigations as service
from healthbridge.eoc.investigation_models import FieldInvestigation, InvestigationTask
from healthbridge.eoc.investigation_schemas import (
    InvestigationCreate,
    InvestigationRead,
    InvestigationSummary,
    InvestigationUpdate,
    MemberCreate,
    MemberRead,
    MyTaskPage,
    MyTaskRead,
    SampleCreate,
    SampleRead,
    TaskCreate,
    TaskRead,
    TaskUpdate,
)
from healthbridge.policy import Action, Principal

router = APIRouter(tags=["events"])
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
BASE = "/events/{event_id}/investigations"
ONE = BASE + "/{investigation_id}"


def read_of(investigation: FieldInvestigation) -> InvestigationRead:
    """One investigation as the API shows it."""
    return InvestigationRead.model_validate(investigation)


@router.get(
    BASE,
    response_model=list[InvestigationSummary],
    summary="The field investigations of an event",
)
def list_investigations(
    session: SessionDep, actor: Reader, event_id: int
) -> list[InvestigationSummary]:
    rows = service.list_investigations(session=session, actor=actor, event_id=event_id)
    return [InvestigationSummary.model_validate(r) for r in rows]


@router.post(
    BASE,
    response_model=InvestigationRead,
    status_code=201,
    summary="Start a field investigation of an event",
    description="Title and start (not in the future); an end on or after the start; the line "
    "list as an http(s) address. Audited.",
)
def create_investigation(
    session: SessionDep, actor: Manager, event_id: int, new: InvestigationCreate
) -> InvestigationRead:
    investigation = service.create_investigation(
        session=session, actor=actor, event_id=event_id, values=new.model_dump()
    )
    return read_of(investigation)


@router.get(
    ONE,
    response_model=InvestigationRead,
    summary="One field investigation: team, samples, tasks",
)
def get_investigation(
    session: SessionDep, actor: Reader, event_id: int, investigation_id: int
) -> InvestigationRead:
    return read_of(
        service.get_investigation(
            session=session, actor=actor, event_id=event_id, investigation_id=investigation_id
        )
    )


@router.patch(
    ONE,
    response_model=InvestigationRead,
    summary="Change a field investigation (findings, recommendations, end...)",
)
def update_investigation(
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    changes: InvestigationUpdate,
) -> InvestigationRead:
    investigation = service.update_investigation(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        values=changes.model_dump(exclude_unset=True),
    )
    return read_of(investigation)


@router.post(
    ONE + "/members",
    response_model=MemberRead,
    status_code=201,
    summary="Add a person to the investigation team",
    description="Their country may differ from the event's (a cross-border deployment).",
)
def add_member(
    session: SessionDep, actor: Manager, event_id: int, investigation_id: int, new: MemberCreate
) -> MemberRead:
    member = service.add_member(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        member=service.MemberInput(
            name=new.name,
            role=new.role,
            country=new.country,
            organisation=new.organisation,
            email=new.email,
        ),
    )
    return MemberRead.model_validate(member)


@router.delete(
    ONE + "/members/{member_id}",
    status_code=204,
    summary="Remove a person from the investigation team",
)
def remove_member(
    session: SessionDep, actor: Manager, event_id: int, investigation_id: int, member_id: int
) -> Response:
    service.remove_member(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        member_id=member_id,
    )
    return Response(status_code=204)


@router.post(
    ONE + "/samples",
    response_model=SampleRead,
    status_code=201,
    summary="Record samples sent to a laboratory",
)
def record_samples(
    session: SessionDep, actor: Manager, event_id: int, investigation_id: int, new: SampleCreate
) -> SampleRead:
    shipment = service.record_samples(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        shipment=service.SampleInput(**new.model_dump()),
    )
    return SampleRead.model_validate(shipment)


@router.post(
    ONE + "/tasks",
    response_model=TaskRead,
    status_code=201,
    summary="Add a task to the investigation",
)
def add_task(
    session: SessionDep, actor: Manager, event_id: int, investigation_id: int, new: TaskCreate
) -> TaskRead:
    task = service.add_task(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        task=service.TaskInput(**new.model_dump()),
    )
    return TaskRead.model_validate(task)


@router.patch(
    ONE + "/tasks/{task_id}",
    response_model=TaskRead,
    summary="Change a task: status (done records the day), title, assignee, due date",
    description="open → in_progress → done, or cancelled; in_progress may go back to open; "
    "done and cancelled are final (409).",
)
def update_task(
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    task_id: int,
    changes: TaskUpdate,
) -> TaskRead:
    task = service.update_task(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        task_id=task_id,
        **changes.model_dump(exclude_unset=True),
    )
    return TaskRead.model_validate(task)


def my_task_of(task: InvestigationTask, today: dt.date) -> MyTaskRead:
    """A task of the caller's list, with its investigation and event."""
    investigation = task.investigation
    return MyTaskRead.model_validate(
        {
            **TaskRead.model_validate(task).model_dump(),
            "event_id": investigation.event_id,
            "event_title": investigation.event.title,
            "investigation_title": investigation.title,
            "overdue": service.is_overdue(task, today),
        }
    )


@router.get(
    "/me/tasks",
    response_model=MyTaskPage,
    summary="The investigation tasks assigned to me",
    description="Tasks whose assignee is the caller's e-mail, in the field investigations of the "
    "events they see: pending ones (open, in progress) first, then by due date (`sort`: "
    "due_on, created_at, title, `-` for descending). `status`: one status, or `pending`.",
)
def my_tasks(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Reader,
    page: PageDep,
    status: Annotated[
        Literal["pending", "open", "in_progress", "done", "cancelled"] | None,
        Query(description="pending (open or in progress), open, in_progress, done, cancelled"),
    ] = None,
) -> MyTaskPage:
    rows, total = service.my_tasks(session=session, actor=actor, page=page, status=status)
    add_link_header(request, response, page, total)
    today = service.today()
    return MyTaskPage(
        items=[my_task_of(t, today) for t in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
