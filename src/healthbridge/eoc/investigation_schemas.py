"""What field investigations look like at the API: an investigation with its team, sample
shipments and tasks, and the inputs of starting, changing and filling one."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.eoc.investigations import (
    MAX_EMAIL,
    MAX_LABORATORY,
    MAX_NAME,
    MAX_ROLE,
    MAX_SAMPLES,
    MAX_SPECIMEN,
    MAX_TEXT,
    MAX_TITLE,
    MAX_URL,
)
from healthbridge.inputs import InputModel
from healthbridge.paging import Page

TaskStatus = Literal["open", "in_progress", "done", "cancelled"]


class MemberRead(BaseModel):
    """A person of the investigation team."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    organisation_code: str | None
    country_code: str = Field(description="May differ from the event's: a cross-border deployment")
    email: str | None


class SampleRead(BaseModel):
    """Samples sent to a laboratory."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    samples: int
    specimen: str
    laboratory: str
    sent_on: dt.date
    result_summary: str | None


class TaskRead(BaseModel):
    """A task of an investigation."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    investigation_id: int
    title: str
    assignee_email: str
    due_on: dt.date | None
    status: str = Field(description="open, in_progress, done or cancelled")
    completed_on: dt.date | None
    created_at: dt.datetime
    created_by: str
    reminded_on: dt.date | None = Field(description="The last day an overdue reminder was queued")


class MyTaskRead(TaskRead):
    """A task assigned to the caller, with the investigation and event it belongs to."""

    event_id: int
    event_title: str
    investigation_title: str
    overdue: bool = Field(description="Still open or in progress after its due date")


MyTaskPage = Page[MyTaskRead]


class InvestigationSummary(BaseModel):
    """An investigation in its event's list."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    title: str
    started_on: dt.date
    ended_on: dt.date | None
    updated_at: dt.datetime


class InvestigationRead(InvestigationSummary):
    """One investigation with its team, samples and tasks."""

    case_definition: str | None
    line_list_url: str | None
    findings: str | None
    recommendations: str | None
    created_at: dt.datetime
    created_by: str
    members: list[MemberRead]
    samples: list[SampleRead]
    tasks: list[TaskRead]


class InvestigationUpdate(InputModel):
    """Fields of an investigation to change (only those given)."""

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    started_on: dt.date | None = Field(default=None, description="Not in the future")
    ended_on: dt.date | None = Field(default=None, description="On or after the start")
    case_definition: str | None = Field(default=None, max_length=MAX_TEXT)
    line_list_url: str | None = Field(
        default=None, max_length=MAX_URL, description="An http or https address"
    )
    findings: str | None = Field(default=None, max_length=MAX_TEXT)
    recommendations: str | None = Field(default=None, max_length=MAX_TEXT)


class InvestigationCreate(InvestigationUpdate):
    """Start an investigation of an event."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    started_on: dt.date = Field(description="Not in the future")


class MemberCreate(InputModel):
    """A person to add to the team."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    role: str = Field(min_length=1, max_length=MAX_ROLE, description="e.g. epidemiologist")
    country: str = Field(min_length=3, max_length=3, description="ISO alpha-3 of the member")
    organisation: str | None = Field(default=None, max_length=40, description="Organisation code")
    email: str | None = Field(default=None, max_length=MAX_EMAIL)


class SampleCreate(InputModel):
    """Samples sent to a laboratory."""

    samples: int = Field(ge=1, le=MAX_SAMPLES, description="How many samples")
    specimen: str = Field(min_length=1, max_length=MAX_SPECIMEN, description="e.g. serum")
    laboratory: str = Field(min_length=1, max_length=MAX_LABORATORY)
    sent_on: dt.date = Field(description="Not in the future")
    result_summary: str | None = Field(default=None, max_length=MAX_TEXT)


class TaskCreate(InputModel):
    """A new task (open)."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    assignee_email: str = Field(min_length=3, max_length=MAX_EMAIL)
    due_on: dt.date | None = None


class TaskUpdate(InputModel):
    """Change a task: its status (open → in_progress → done; cancelled; done and cancelled are
    final) and/or its title, assignee or due date."""

    status: TaskStatus | None = None
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    assignee_email: str | None = Field(default=None, min_length=3, max_length=MAX_EMAIL)
    due_on: dt.date | None = None
