"""What the catalogue and the stock look like at the API: items, holders, transit times,
teams, the stock picture, lots with their ledgers, and the inputs that change them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from healthbridge.inputs import InputModel
from healthbridge.paging import Page

ItemKind = Literal["medicine", "vaccine", "diagnostic", "ppe", "equipment", "other"]
ColdChain = Literal["none", "2_8c", "minus_20c", "minus_70c"]
HolderKind = Literal["national_stockpile", "regional_reserve", "partner"]
TeamType = Literal[
    "emt_type_1_mobile",
    "emt_type_1_fixed",
    "emt_type_2",
    "emt_type_3",
    "emt_specialised_care_cell",
    "field_epidemiologist",
    "laboratory_scientist",
]
MAX_QUANTITY = 10**9


class ItemRead(BaseModel):
    """A catalogue item."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: ItemKind
    atc_code: str | None
    who_eml: bool
    unit_of_issue: str
    pack_size: int
    cold_chain: ColdChain
    min_shelf_life_days: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


ItemPage = Page[ItemRead]


class ItemCreate(InputModel):
    """A new catalogue item."""

    code: str = Field(max_length=60, description="Lower-case code, e.g. ors-sachet")
    name: str = Field(max_length=200)
    kind: ItemKind
    atc_code: str | None = Field(default=None, max_length=7, description="WHO ATC code")
    who_eml: bool = Field(default=False, description="On the WHO Essential Medicines List")
    unit_of_issue: str = Field(max_length=40, description="e.g. sachet, vial of 10 doses")
    pack_size: int = Field(default=1, ge=1, le=1_000_000)
    cold_chain: ColdChain = "none"
    min_shelf_life_days: int = Field(default=0, ge=0, le=3650)


class ItemUpdate(InputModel):
    """Changes to an item (the code never changes); ``active: false`` deactivates it."""

    name: str | None = Field(default=None, max_length=200)
    kind: ItemKind | None = None
    atc_code: str | None = Field(default=None, max_length=7)
    who_eml: bool | None = None
    unit_of_issue: str | None = Field(default=None, max_length=40)
    pack_size: int | None = Field(default=None, ge=1, le=1_000_000)
    cold_chain: ColdChain | None = None
    min_shelf_life_days: int | None = Field(default=None, ge=0, le=3650)
    active: bool | None = None


class HolderRead(BaseModel):
    """A holder of stock and teams."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: HolderKind
    country_code: str
    organisation_code: str | None
    location: str | None
    created_at: dt.datetime


HolderPage = Page[HolderRead]


class HolderCreate(InputModel):
    """A new holder: a national stockpile, a reserve warehouse or a partner."""

    code: str = Field(max_length=40, description="Upper-case code, e.g. THA-NAT")
    name: str = Field(max_length=200)
    kind: HolderKind
    country: str = Field(max_length=3, description="Where the stock sits (ISO alpha-3)")
    organisation: str | None = Field(default=None, max_length=40)
    location: str | None = Field(default=None, max_length=200)


class TransitTimeRead(BaseModel):
    """Days to move goods from one country to another."""

    model_config = ConfigDict(from_attributes=True)

    origin_code: str
    destination_code: str
    days: int


class TransitTimeEntry(InputModel):
    """The days from ``origin`` to ``destination``."""

    origin: str = Field(max_length=3)
    destination: str = Field(max_length=3)
    days: int = Field(ge=0, le=365)


class TransitTimesSet(InputModel):
    """Transit times to set; pairs not given are kept."""

    entries: list[TransitTimeEntry] = Field(max_length=1000)


class TransitTimesResult(BaseModel):
    """What setting transit times did."""

    created: int
    updated: int


class TeamRead(BaseModel):
    """A deployable team."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    holder_code: str
    team_type: TeamType
    members: int
    skills: list[str]
    languages: list[str]
    available_from: dt.date
    available_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime


TeamPage = Page[TeamRead]


class TeamCreate(InputModel):
    """A new team of a holder."""

    code: str = Field(max_length=60, description="e.g. KOR-EMT2")
    name: str = Field(max_length=200)
    holder: str = Field(max_length=40)
    team_type: TeamType
    members: int = Field(ge=1, le=10_000)
    skills: list[str] = Field(default_factory=list, max_length=30)
    languages: list[str] = Field(default_factory=list, max_length=30, description="ISO 639-1")
    available_from: dt.date
    available_until: dt.date | None = None


class TeamUpdate(InputModel):
    """Changes to a team."""

    name: str | None = Field(default=None, max_length=200)
    team_type: TeamType | None = None
    members: int | None = Field(default=None, ge=1, le=10_000)
    skills: list[str] | None = Field(default=None, max_length=30)
    languages: list[str] | None = Field(default=None, max_length=30)
    available_from: dt.date | None = None
    available_until: dt.date | None = None


class LotRead(BaseModel):
    """A lot with its balance (the sum of its ledger) and its flags."""

    id: int
    item_code: str
    holder_code: str
    country_code: str
    lot_number: str
    expires_on: dt.date
    location: str | None
    balance: int
    expired: bool
    short_dated: bool
    days_left: int


LotPage = Page[LotRead]


class MovementRead(BaseModel):
    """One line of a lot's ledger."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lot_id: int
    kind: str
    quantity: int
    reason: str | None
    reference: str | None
    shipment_id: int | None
    at: dt.datetime
    recorded_by: str


class LotDetail(LotRead):
    """A lot with its ledger, oldest movement first."""

    movements: list[MovementRead]


class StockLineRead(BaseModel):
    """The stock of one item at one holder."""

    item_code: str
    item_name: str
    unit_of_issue: str
    holder_code: str
    holder_name: str
    country_code: str
    balance: int
    lots: int
    expired_quantity: int
    short_dated_quantity: int
    earliest_expiry: dt.date | None


class StockPicture(BaseModel):
    """The regional stock picture as of ``on``."""

    on: dt.date
    within: int = Field(description="Days ahead within which a lot counts as short-dated")
    lines: list[StockLineRead]


class ReceiptCreate(InputModel):
    """Goods received into a new or an existing lot."""

    holder: str = Field(max_length=40)
    item: str = Field(max_length=60)
    lot_number: str = Field(max_length=60)
    expires_on: dt.date
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    location: str | None = Field(default=None, max_length=200)
    reference: str | None = Field(default=None, max_length=120, description="Delivery note")


class MovementCreate(InputModel):
    """A movement of a lot: the units that leave (issue, write_off of an expired lot,
    transfer to ``to_holder``) or a signed adjustment with its reason."""

    kind: Literal["issue", "adjustment", "write_off", "transfer"]
    quantity: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    reason: str | None = Field(default=None, max_length=2000)
    reference: str | None = Field(default=None, max_length=120)
    to_holder: str | None = Field(default=None, max_length=40)


class MovementsMade(BaseModel):
    """The movements recorded, and the lot's balance after them."""

    movements: list[MovementRead]
    balance: int
