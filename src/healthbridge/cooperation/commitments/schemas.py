"""What commitments, their history and their evidence look like at the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.cooperation.commitments.models import (
    CommitmentKind,
    CommitmentStatus,
    EvidenceKind,
)
from healthbridge.inputs import InputModel
from healthbridge.paging import Page

MAX_TEXT = 4000
MAX_NOTE = 4000


class EvidenceCreate(InputModel):
    """Evidence of delivery. Give exactly the field its ``kind`` needs: ``document_id`` for a
    document, ``url`` (http or https) for a link, ``project_id`` for a project, ``reference`` for
    a delivery of resources."""

    kind: EvidenceKind
    document_id: int | None = None
    url: str | None = Field(default=None, max_length=2000)
    project_id: int | None = None
    reference: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class CommitmentCreate(InputModel):
    """A new commitment. It comes from a meeting and/or one of its documents, and is owed by
    exactly one of a served country (``owed_by_country``) or an organisation
    (``owed_by_organisation``). Owed to a country, an organisation, or (neither) the region."""

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    kind: CommitmentKind
    meeting_id: int | None = None
    document_id: int | None = None
    owed_by_country: str | None = Field(default=None, max_length=3)
    owed_by_organisation: str | None = Field(default=None, max_length=40)
    owed_to_country: str | None = Field(default=None, max_length=3)
    owed_to_organisation: str | None = Field(default=None, max_length=40)
    due_on: dt.date | None = None
    #: A commitment is recorded as proposed, or as agreed when the meeting agreed it already.
    status: CommitmentStatus = CommitmentStatus.PROPOSED
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class CommitmentUpdate(InputModel):
    """Corrections: the text, the due date, whom it is owed to. Owed-to fields given together
    replace the pair (one left out becomes null; both null: the region)."""

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    due_on: dt.date | None = None
    owed_to_country: str | None = Field(default=None, max_length=3)
    owed_to_organisation: str | None = Field(default=None, max_length=40)


class StatusChangeCreate(InputModel):
    """Move a commitment: ``note`` is required to drop it; delivering needs evidence (attached
    before, or given here) and takes ``delivered_on`` (default today, never in the future)."""

    status: CommitmentStatus
    note: str | None = Field(default=None, max_length=MAX_NOTE)
    delivered_on: dt.date | None = None
    evidence: EvidenceCreate | None = None


class StatusChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_status: CommitmentStatus | None
    to_status: CommitmentStatus
    at: dt.datetime
    actor: str
    note: str | None


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    commitment_id: int
    kind: EvidenceKind
    document_id: int | None
    url: str | None
    project_id: int | None
    reference: str | None
    note: str | None
    added_at: dt.datetime
    added_by: str


class CommitmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    text: str
    kind: CommitmentKind
    meeting_id: int | None
    document_id: int | None
    owed_by: str
    owed_by_country: str | None
    owed_by_organisation: str | None
    owed_to: str | None
    owed_to_country: str | None
    owed_to_organisation: str | None
    due_on: dt.date | None
    status: CommitmentStatus
    delivered_on: dt.date | None
    #: Past its due date and neither delivered nor dropped (as of today, UTC).
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str


class CommitmentDetail(CommitmentRead):
    history: list[StatusChangeRead]
    evidence: list[EvidenceRead]


CommitmentPage = Page[CommitmentRead]


class ScorecardRow(BaseModel):
    """How one owing country or organisation keeps its commitments."""

    owed_by: str
    owed_by_kind: str
    name: str
    #: Commitments owed and not dropped.
    owed: int
    delivered: int
    #: Delivered no later than the due date (or delivered without one).
    delivered_on_time: int
    overdue: int
    dropped: int
    #: ``delivered_on_time / (delivered + overdue)``: of the commitments that came due or were
    #: delivered, the share delivered on time; ``None`` when none did.
    on_time_rate: float | None


class Scorecard(BaseModel):
    """The scorecard of a year (commitments due that year), or of every year."""

    year: int | None
    as_of: dt.date
    rows: list[ScorecardRow]
