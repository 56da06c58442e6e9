"""What meetings, their series and their documents look like at the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from healthbridge.inputs import InputModel
from healthbridge.paging import Page

MeetingType = Literal[
    "summit",
    "asean_rok_hmm",
    "apt_hmm",
    "senior_officials",
    "bilateral",
    "working_group",
    "other_event",
]
MeetingStatus = Literal["planned", "held", "cancelled"]
ParticipantRole = Literal["member", "observer", "partner", "guest"]
DocumentKind = Literal["joint_statement", "minutes", "presentation", "report", "other"]
RotationRule = Literal["asean_alphabetical"]

CountryCode = Field(default=None, min_length=3, max_length=3, description="ISO 3166-1 alpha-3")
OrganisationCode = Field(default=None, min_length=1, max_length=40, description="e.g. WHO, ASEC")


# --- input --------------------------------------------------------------------------------------


class PartyIn(InputModel):
    """A country or an organisation (exactly one of the two)."""

    country_code: str | None = CountryCode
    organisation_code: str | None = OrganisationCode

    @model_validator(mode="after")
    def _exactly_one(self) -> PartyIn:
        if (self.country_code is None) == (self.organisation_code is None):
            raise ValueError("give either country_code or organisation_code")
        return self


class ParticipantIn(PartyIn):
    role: ParticipantRole = "member"


class DelegateIn(InputModel):
    full_name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    country_code: str | None = CountryCode
    organisation_code: str | None = OrganisationCode

    @model_validator(mode="after")
    def _at_most_one(self) -> DelegateIn:
        if self.country_code is not None and self.organisation_code is not None:
            raise ValueError("a delegate speaks for a country or an organisation, not both")
        return self


class AgendaItemIn(InputModel):
    title: str = Field(min_length=1, max_length=300)
    presenter: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=10_000)


class AgendaItemCreate(AgendaItemIn):
    #: Where the item goes (1 = first); later items move down. Default: at the end.
    position: int | None = Field(default=None, ge=1)


class AgendaItemUpdate(InputModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    presenter: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=10_000)
    position: int | None = Field(default=None, ge=1)


class MeetingCreate(InputModel):
    title: str = Field(min_length=1, max_length=300)
    meeting_type: MeetingType
    #: The code of the series (e.g. ``ASEAN-ROK-HMM``), if the meeting belongs to one.
    series: str | None = Field(default=None, max_length=40)
    #: Its number in the series; default: the next number.
    number_in_series: int | None = Field(default=None, ge=1)
    status: MeetingStatus = "planned"
    starts_on: dt.date
    #: The last day (inclusive); default: ``starts_on``.
    ends_on: dt.date | None = None
    city: str | None = Field(default=None, max_length=120)
    country_code: str = Field(min_length=3, max_length=3, description="Where it takes place")
    theme: str | None = Field(default=None, max_length=2000)
    source_note: str | None = Field(default=None, max_length=2000)
    co_chairs: list[PartyIn] = Field(default_factory=list, max_length=10)
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=100)
    delegates: list[DelegateIn] = Field(default_factory=list, max_length=500)
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=200)


class MeetingUpdate(InputModel):
    """Fields to change; lists given replace the meeting's lists."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    meeting_type: MeetingType | None = None
    series: str | None = Field(default=None, max_length=40)
    number_in_series: int | None = Field(default=None, ge=1)
    status: MeetingStatus | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    city: str | None = Field(default=None, max_length=120)
    country_code: str | None = Field(default=None, min_length=3, max_length=3)
    theme: str | None = Field(default=None, max_length=2000)
    source_note: str | None = Field(default=None, max_length=2000)
    co_chairs: list[PartyIn] | None = Field(default=None, max_length=10)
    participants: list[ParticipantIn] | None = Field(default=None, max_length=100)
    delegates: list[DelegateIn] | None = Field(default=None, max_length=500)


class SeriesCreate(InputModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{1,39}$", description="e.g. APT-HMM")
    name: str = Field(min_length=1, max_length=300)
    meeting_type: MeetingType
    rhythm_months: int = Field(ge=1, le=120, description="Months between two meetings")
    fixed_co_chair_country: str | None = CountryCode
    rotation_rule: RotationRule | None = None
    description: str | None = Field(default=None, max_length=2000)


# --- output -------------------------------------------------------------------------------------


class PartyRead(BaseModel):
    """A country or an organisation, with its English name."""

    kind: Literal["country", "organisation"]
    code: str
    name: str


class ParticipantRead(PartyRead):
    role: str


class DelegateRead(BaseModel):
    id: int
    full_name: str
    title: str | None
    country_code: str | None
    organisation_code: str | None


class AgendaItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    position: int
    title: str
    presenter: str | None
    outcome: str | None


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    meeting_id: int | None
    kind: str
    title: str
    language: str
    filename: str
    media_type: str
    size: int
    checksum: str
    has_text: bool
    uploaded_at: dt.datetime
    uploaded_by: str
    content_url: str


class DocumentHit(DocumentRead):
    """A document found by a search: its rank (higher is better) and a snippet.

    ``snippet_html`` is HTML: the text is escaped and the matches are in ``<mark>``.
    """

    meeting_title: str | None
    rank: float | None
    snippet_html: str | None


class MeetingRead(BaseModel):
    id: int
    title: str
    meeting_type: str
    series: str | None
    number_in_series: int | None
    status: str
    starts_on: dt.date
    ends_on: dt.date
    city: str | None
    country_code: str
    country_name: str
    theme: str | None
    co_chairs: list[PartyRead]


class MeetingDetail(MeetingRead):
    source_note: str | None
    participants: list[ParticipantRead]
    delegates: list[DelegateRead]
    agenda: list[AgendaItemRead]
    documents: list[DocumentRead]
    created_at: dt.datetime
    updated_at: dt.datetime


class MeetingRef(BaseModel):
    id: int
    title: str
    starts_on: dt.date
    status: str
    number_in_series: int | None


class SeriesRead(BaseModel):
    id: int
    code: str
    name: str
    meeting_type: str
    rhythm_months: int
    fixed_co_chair_country: str | None
    rotation_rule: str | None
    description: str | None
    meetings: list[MeetingRef]


MeetingPage = Page[MeetingRead]
SeriesPage = Page[SeriesRead]
DocumentHitPage = Page[DocumentHit]
