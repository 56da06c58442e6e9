"""Pages of field investigations: an event's investigations (an htmx fragment of the event's
page), starting one, an investigation's page (record, team, samples, tasks with status forms)
and the task list: the caller's own tasks by default, or the open tasks of every event they see
(overdue first)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.deps import Allow, SessionDep
from healthbridge.eoc import investigations as service
from healthbridge.eoc import sharing
from healthbridge.eoc.investigation_models import (
    PENDING_TASK_STATUSES,
    TASK_STATUSES,
    FieldInvestigation,
)
from healthbridge.eoc.models import Event
from healthbridge.errors import Conflict, FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.marks import N_
from healthbridge.organisations.models import Organisation
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal
from healthbridge.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(Allow(Action.EVENT_READ))]
Manager = Annotated[Principal, Depends(Allow(Action.EVENT_MANAGE))]
Title = Annotated[str, Form(max_length=service.MAX_TITLE)]
Long = Annotated[str, Form(max_length=service.MAX_TEXT)]
Day = Annotated[str, Form(max_length=10)]
Email = Annotated[str, Form(max_length=service.MAX_EMAIL)]
ONE = "/eoc/events/{event_id}/investigations/{investigation_id}"
#: How many of the caller's tasks their task page lists (the API pages through all of them).
MY_TASKS_SHOWN = 200

TASK_LABELS = {
    # Translators: the status of a task (still open), not the verb.
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}


def _day(errors: list[FieldError], field: str, text: str) -> dt.date | None:
    """The date typed in a form field (YYYY-MM-DD), ``None`` when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(field, f"'{text}' is not a date (YYYY-MM-DD)"))
        return None


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid("invalid input", errors=errors)


def _country_names(session: Session, actor: Principal) -> dict[str, str]:
    return geography.country_names(session=session, actor=actor)


def _detail(
    session: Session,
    actor: Principal,
    event: Event,
    investigation: FieldInvestigation,
    **extra: Any,
) -> dict[str, Any]:
    organisations = list(session.scalars(select(Organisation).order_by(Organisation.code)))
    return {
        "e": event,
        "i": investigation,
        "can_manage": sharing.can_manage(actor, event),
        "country_names": _country_names(session, actor),
        "organisations": organisations,
        "task_labels": TASK_LABELS,
        "task_statuses": TASK_STATUSES,
        "next_statuses": service.TASK_TRANSITIONS,
        "today": service.today(),
        "is_overdue": service.is_overdue,
        "errors": [],
        "detail": None,
        "failed": None,
        "form": {},
        **extra,
    }


def _refused(
    request: Request,
    session: Session,
    actor: Principal,
    event_id: int,
    investigation_id: int,
    refused: Invalid | Conflict,
    failed: str,
    form: dict[str, str] | None = None,
) -> Response:
    session.rollback()
    investigation = service.get_investigation(
        session=session, actor=actor, event_id=event_id, investigation_id=investigation_id
    )
    context = _detail(
        session,
        actor,
        investigation.event,
        investigation,
        errors=refused.errors,
        detail=refused.detail,
        failed=failed,
        form=form or {},
    )
    return render(request, "eoc/investigation.html", context, status_code=refused.status)


def _back(event_id: int, investigation_id: int, anchor: str = "") -> Response:
    url = f"/eoc/events/{event_id}/investigations/{investigation_id}"
    return RedirectResponse(url + (f"#{anchor}" if anchor else ""), status_code=303)


@router.get("/eoc/events/{event_id}/investigations", response_class=HTMLResponse)
def investigations_fragment(
    request: Request, session: SessionDep, actor: Reader, event_id: int
) -> Response:
    """The event's investigations: a fragment for the event's page (htmx), or a page."""
    rows = service.list_investigations(session=session, actor=actor, event_id=event_id)
    event = sharing.visible_event(session=session, actor=actor, event_id=event_id)
    context = {"e": event, "investigations": rows, "can_manage": sharing.can_manage(actor, event)}
    template = "eoc/investigation_list.html" if is_htmx(request) else "eoc/investigation_index.html"
    return render(request, template, context)


@router.get("/eoc/events/{event_id}/investigations/new", response_class=HTMLResponse)
def new_investigation_page(
    request: Request, session: SessionDep, actor: Manager, event_id: int
) -> Response:
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    context = {"e": event, "errors": [], "form": {}, "today": service.today()}
    return render(request, "eoc/investigation_new.html", context)


@router.post("/eoc/events/{event_id}/investigations", response_class=HTMLResponse)
def start_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    title: Title = "",
    started_on: Day = "",
    ended_on: Day = "",
    case_definition: Long = "",
    line_list_url: Annotated[str, Form(max_length=service.MAX_URL)] = "",
) -> Response:
    form = {
        "title": title,
        "started_on": started_on,
        "ended_on": ended_on,
        "case_definition": case_definition,
        "line_list_url": line_list_url,
    }
    try:
        errors: list[FieldError] = []
        values: dict[str, Any] = {
            "title": title,
            "started_on": _day(errors, "started_on", started_on),
            "ended_on": _day(errors, "ended_on", ended_on),
            "case_definition": case_definition,
            "line_list_url": line_list_url,
        }
        _fail(errors)
        investigation = service.create_investigation(
            session=session, actor=actor, event_id=event_id, values=values
        )
    except Invalid as refused:
        session.rollback()
        event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
        context = {"e": event, "errors": refused.errors, "form": form, "today": service.today()}
        return render(request, "eoc/investigation_new.html", context, status_code=refused.status)
    return _back(event_id, investigation.id)


@router.get(ONE, response_class=HTMLResponse)
def investigation_page(
    request: Request, session: SessionDep, actor: Reader, event_id: int, investigation_id: int
) -> Response:
    investigation = service.get_investigation(
        session=session, actor=actor, event_id=event_id, investigation_id=investigation_id
    )
    context = _detail(session, actor, investigation.event, investigation)
    return render(request, "eoc/investigation.html", context)


@router.post(ONE, response_class=HTMLResponse)
def update_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    ended_on: Day = "",
    case_definition: Long = "",
    line_list_url: Annotated[str, Form(max_length=service.MAX_URL)] = "",
    findings: Long = "",
    recommendations: Long = "",
) -> Response:
    form = {
        "ended_on": ended_on,
        "case_definition": case_definition,
        "line_list_url": line_list_url,
        "findings": findings,
        "recommendations": recommendations,
    }
    try:
        errors: list[FieldError] = []
        values: dict[str, Any] = {**form, "ended_on": _day(errors, "ended_on", ended_on)}
        _fail(errors)
        service.update_investigation(
            session=session,
            actor=actor,
            event_id=event_id,
            investigation_id=investigation_id,
            values=values,
        )
    except Invalid as refused:
        return _refused(
            request, session, actor, event_id, investigation_id, refused, "update", form
        )
    return _back(event_id, investigation_id)


@router.post(ONE + "/members", response_class=HTMLResponse)
def member_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    name: Annotated[str, Form(max_length=service.MAX_NAME)] = "",
    role: Annotated[str, Form(max_length=service.MAX_ROLE)] = "",
    country: Annotated[str, Form(max_length=3)] = "",
    organisation: Annotated[str, Form(max_length=40)] = "",
    email: Email = "",
) -> Response:
    form = {"name": name, "role": role, "country": country, "organisation": organisation}
    try:
        service.add_member(
            session=session,
            actor=actor,
            event_id=event_id,
            investigation_id=investigation_id,
            member=service.MemberInput(
                name=name,
                role=role,
                country=country,
                organisation=organisation or None,
                email=email or None,
            ),
        )
    except Invalid as refused:
        return _refused(
            request, session, actor, event_id, investigation_id, refused, "member", form
        )
    return _back(event_id, investigation_id, "team")


@router.post(ONE + "/members/{member_id}/delete", response_class=HTMLResponse)
def remove_member_from_form(
    session: SessionDep, actor: Manager, event_id: int, investigation_id: int, member_id: int
) -> Response:
    service.remove_member(
        session=session,
        actor=actor,
        event_id=event_id,
        investigation_id=investigation_id,
        member_id=member_id,
    )
    return _back(event_id, investigation_id, "team")


@router.post(ONE + "/samples", response_class=HTMLResponse)
def samples_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    samples: Annotated[str, Form(max_length=7)] = "",
    specimen: Annotated[str, Form(max_length=service.MAX_SPECIMEN)] = "",
    laboratory: Annotated[str, Form(max_length=service.MAX_LABORATORY)] = "",
    sent_on: Day = "",
    result_summary: Long = "",
) -> Response:
    form = {"samples": samples, "specimen": specimen, "laboratory": laboratory, "sent_on": sent_on}
    try:
        errors: list[FieldError] = []
        count = int(samples) if samples.strip().isdigit() else 0
        if not samples.strip().isdigit():
            errors.append(FieldError("samples", "a whole number of samples"))
        day = _day(errors, "sent_on", sent_on)
        if day is None and not errors:
            errors.append(FieldError("sent_on", "required"))
        _fail(errors)
        assert day is not None
        service.record_samples(
            session=session,
            actor=actor,
            event_id=event_id,
            investigation_id=investigation_id,
            shipment=service.SampleInput(
                samples=count,
                specimen=specimen,
                laboratory=laboratory,
                sent_on=day,
                result_summary=result_summary or None,
            ),
        )
    except Invalid as refused:
        return _refused(
            request, session, actor, event_id, investigation_id, refused, "samples", form
        )
    return _back(event_id, investigation_id, "samples")


@router.post(ONE + "/tasks", response_class=HTMLResponse)
def task_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    title: Title = "",
    assignee_email: Email = "",
    due_on: Day = "",
) -> Response:
    form = {"title": title, "assignee_email": assignee_email, "due_on": due_on}
    try:
        errors: list[FieldError] = []
        due = _day(errors, "due_on", due_on)
        _fail(errors)
        service.add_task(
            session=session,
            actor=actor,
            event_id=event_id,
            investigation_id=investigation_id,
            task=service.TaskInput(title=title, assignee_email=assignee_email, due_on=due),
        )
    except Invalid as refused:
        return _refused(request, session, actor, event_id, investigation_id, refused, "task", form)
    return _back(event_id, investigation_id, "tasks")


@router.post(ONE + "/tasks/{task_id}", response_class=HTMLResponse)
def task_status_from_form(
    request: Request,
    session: SessionDep,
    actor: Manager,
    event_id: int,
    investigation_id: int,
    task_id: int,
    status: Annotated[str, Form(max_length=12)] = "",
    back: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Change a task's status; back to the investigation, or to the task list when the form
    came from it (``back=tasks``)."""
    try:
        service.update_task(
            session=session,
            actor=actor,
            event_id=event_id,
            investigation_id=investigation_id,
            task_id=task_id,
            status=status or None,
        )
    except (Invalid, Conflict) as refused:
        return _refused(
            request, session, actor, event_id, investigation_id, refused, f"task-{task_id}"
        )
    if back == "tasks":
        return RedirectResponse(f"/eoc/tasks#task-{task_id}", status_code=303)
    return _back(event_id, investigation_id, "tasks")


@router.get("/eoc/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    session: SessionDep,
    actor: Reader,
    show: Annotated[Literal["mine", "all"], Query()] = "mine",
) -> Response:
    """The caller's tasks (``show=mine``, the default: assigned to their e-mail, pending ones
    first, with a button to mark each done), or the open tasks of the investigations of every
    event they see (``show=all``), overdue first."""
    today = service.today()
    if show == "mine":
        tasks, total = service.my_tasks(
            session=session, actor=actor, page=PageRequest(limit=MY_TASKS_SHOWN)
        )
    else:
        tasks = service.open_tasks(session=session, actor=actor, on=today)
        total = len(tasks)
    context = {
        "show": show,
        "tasks": tasks,
        "total": total,
        "today": today,
        "task_labels": TASK_LABELS,
        "is_overdue": service.is_overdue,
        "pending": PENDING_TASK_STATUSES,
        "can_manage": lambda task: sharing.can_manage(actor, task.investigation.event),
    }
    return render(request, "eoc/investigation_tasks.html", context)
