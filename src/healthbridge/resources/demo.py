"""Demo catalogue and stock: eight items, the fourteen national stockpiles, two warehouses of
the ASEAN Regional Reserve of Medical Supplies and a partner, four deployable teams, transit
times between every pair of countries, and lots received in several countries (some
short-dated, one expired). The requests and plans demos rely on these codes. Idempotent: what
exists is left alone."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.organisations.models import Organisation
from healthbridge.policy import Principal
from healthbridge.resources import catalogue, ledger, stock
from healthbridge.resources.models import Holder, Item, Lot, Team

COUNTRIES = (
    "BRN", "CHN", "IDN", "JPN", "KHM", "KOR", "LAO",
    "MMR", "MYS", "PHL", "SGP", "THA", "TLS", "VNM",
)  # fmt: skip
#: Latitude and longitude of each capital, for transit times by distance.
CAPITALS = {
    "BRN": (4.89, 114.94),
    "CHN": (39.90, 116.40),
    "IDN": (-6.21, 106.85),
    "JPN": (35.68, 139.69),
    "KHM": (11.56, 104.92),
    "KOR": (37.57, 126.98),
    "LAO": (17.97, 102.63),
    "MMR": (19.76, 96.08),
    "MYS": (3.14, 101.69),
    "PHL": (14.60, 120.98),
    "SGP": (1.35, 103.82),
    "THA": (13.76, 100.50),
    "TLS": (-8.56, 125.57),
    "VNM": (21.03, 105.85),
}
COUNTRY_NAMES = {
    "BRN": "Brunei Darussalam",
    "CHN": "China",
    "IDN": "Indonesia",
    "JPN": "Japan",
    "KHM": "Cambodia",
    "KOR": "the Republic of Korea",
    "LAO": "Lao PDR",
    "MMR": "Myanmar",
    "MYS": "Malaysia",
    "PHL": "the Philippines",
    "SGP": "Singapore",
    "THA": "Thailand",
    "TLS": "Timor-Leste",
    "VNM": "Viet Nam",
}

ITEMS = (
    catalogue.ItemInput(
        "ors-sachet", "Oral rehydration salts, 20.5 g sachet", "medicine", "sachet",
        "A07CA", True, 1, "none", 90,
    ),
    catalogue.ItemInput(
        "mr-vaccine-10dose", "Measles-rubella vaccine, 10-dose vial", "vaccine",
        "vial of 10 doses", "J07BD53", True, 50, "2_8c", 180,
    ),
    catalogue.ItemInput(
        "n95-respirator", "N95 respirator", "ppe", "piece", None, False, 20, "none", 0
    ),
    catalogue.ItemInput(
        "rdt-dengue-ns1", "Dengue NS1 antigen rapid diagnostic test", "diagnostic", "test",
        None, False, 25, "2_8c", 120,
    ),
    catalogue.ItemInput(
        "oseltamivir-75mg", "Oseltamivir 75 mg capsule", "medicine", "capsule", "J05AH02",
        True, 10, "none", 180,
    ),
    catalogue.ItemInput(
        "iv-ringer-lactate-1l", "Ringer's lactate, 1 L infusion bag", "medicine", "bag",
        "B05BB01", True, 10, "none", 90,
    ),
    catalogue.ItemInput("body-bag", "Body bag, adult", "other", "piece", None, False, 10),
    catalogue.ItemInput(
        "oxygen-concentrator", "Oxygen concentrator, 10 L/min", "equipment", "piece"
    ),
)  # fmt: skip

REGIONAL_HOLDERS = (
    catalogue.HolderInput(
        "ARRMS-THA",
        "ASEAN Regional Reserve of Medical Supplies, Thailand warehouse",
        "regional_reserve",
        "THA",
        None,
        "Chonburi",
    ),
    catalogue.HolderInput(
        "ARRMS-LAO",
        "ASEAN Regional Reserve of Medical Supplies, Lao PDR warehouse",
        "regional_reserve",
        "LAO",
        None,
        "Vientiane",
    ),
)
PARTNER = catalogue.HolderInput(
    "PARTNER-UNICEF", "UNICEF regional supply hub", "partner", "SGP", "UNICEF", "Singapore"
)


@dataclass(frozen=True)
class DemoTeam:
    """A demo team and how long it is available (days from today; ``None``: open-ended)."""

    code: str
    name: str
    holder: str
    team_type: str
    members: int
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    available_for: int | None


TEAMS = (
    DemoTeam(
        "KOR-EMT2", "Korea Disaster Relief Team, EMT type 2", "KOR-NAT", "emt_type_2", 40,
        ("surgery", "trauma"), ("en", "ko"), 120,
    ),
    DemoTeam(
        "JPN-JDR-EMT1", "Japan Disaster Relief medical team, EMT type 1 mobile", "JPN-NAT",
        "emt_type_1_mobile", 25, ("outpatient", "trauma"), ("en", "ja"), 90,
    ),
    DemoTeam(
        "THA-FETP", "Thailand field epidemiology training programme team", "THA-NAT",
        "field_epidemiologist", 4, ("outbreak_investigation", "contact_tracing"), ("en", "th"),
        None,
    ),
    DemoTeam(
        "SGP-LAB", "Singapore laboratory scientists", "SGP-NAT", "laboratory_scientist", 3,
        ("pcr", "sequencing"), ("en", "ms", "zh"), 60,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class DemoLot:
    """A lot received at a holder, expiring ``expires_in`` days from today."""

    holder: str
    item: str
    number: str
    quantity: int
    expires_in: int


LOTS = (
    DemoLot("THA-NAT", "ors-sachet", "ORS-TH-2601", 50_000, 400),
    DemoLot("THA-NAT", "rdt-dengue-ns1", "NS1-TH-2602", 2_000, 60),
    DemoLot("THA-NAT", "iv-ringer-lactate-1l", "RL-TH-2603", 3_000, 300),
    DemoLot("KOR-NAT", "mr-vaccine-10dose", "MR-KR-2601", 8_000, 365),
    DemoLot("KOR-NAT", "oseltamivir-75mg", "OSV-KR-2602", 20_000, 500),
    DemoLot("KOR-NAT", "n95-respirator", "N95-KR-2603", 100_000, 900),
    DemoLot("JPN-NAT", "oseltamivir-75mg", "OSV-JP-2601", 50_000, 600),
    DemoLot("JPN-NAT", "oxygen-concentrator", "OXY-JP-2602", 200, 1_800),
    DemoLot("SGP-NAT", "rdt-dengue-ns1", "NS1-SG-2601", 5_000, 250),
    DemoLot("SGP-NAT", "n95-respirator", "N95-SG-2602", 40_000, 700),
    DemoLot("PHL-NAT", "ors-sachet", "ORS-PH-2601", 10_000, 45),
    DemoLot("PHL-NAT", "body-bag", "BB-PH-2602", 500, 1_500),
    DemoLot("VNM-NAT", "ors-sachet", "ORS-VN-2501", 15_000, -10),
    DemoLot("IDN-NAT", "iv-ringer-lactate-1l", "RL-ID-2601", 8_000, 200),
    DemoLot("ARRMS-THA", "ors-sachet", "ORS-AR-2601", 100_000, 540),
    DemoLot("ARRMS-THA", "n95-respirator", "N95-AR-2602", 200_000, 800),
    DemoLot("ARRMS-THA", "body-bag", "BB-AR-2603", 2_000, 2_000),
    DemoLot("ARRMS-THA", "iv-ringer-lactate-1l", "RL-AR-2604", 10_000, 150),
    DemoLot("ARRMS-LAO", "oseltamivir-75mg", "OSV-AR-2605", 30_000, 700),
    DemoLot("ARRMS-LAO", "ors-sachet", "ORS-AR-2606", 40_000, 120),
    DemoLot("PARTNER-UNICEF", "mr-vaccine-10dose", "MR-UN-2601", 50_000, 270),
    DemoLot("PARTNER-UNICEF", "ors-sachet", "ORS-UN-2602", 60_000, 450),
)


def transit_days(origin: str, destination: str) -> int:
    """Days by road, sea or air between two capitals: 0 within a country, else 1 to 7 by
    great-circle distance (a day per 800 km, at least one)."""
    if origin == destination:
        return 0
    (lat1, lon1), (lat2, lon2) = CAPITALS[origin], CAPITALS[destination]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371 * math.asin(math.sqrt(a))
    return max(1, min(7, 1 + int(km // 800)))


def _holders() -> list[catalogue.HolderInput]:
    national = [
        catalogue.HolderInput(
            f"{code}-NAT",
            f"National stockpile of {COUNTRY_NAMES[code]}",
            "national_stockpile",
            code,
        )
        for code in COUNTRIES
    ]
    return [*national, *REGIONAL_HOLDERS, PARTNER]


def load_demo(*, session: Session, actor: Principal) -> None:
    """Create what is missing of the demo catalogue, holders, teams, transit times and lots."""
    today = stock.today()
    for item in ITEMS:
        if session.get(Item, item.code) is None:
            catalogue.create_item(session=session, actor=actor, new=item)
    for holder in _holders():
        if session.get(Holder, holder.code) is not None:
            continue
        if holder.organisation and session.get(Organisation, holder.organisation) is None:
            holder = catalogue.HolderInput(**{**holder.__dict__, "organisation": None})
        catalogue.create_holder(session=session, actor=actor, new=holder)
    for team in TEAMS:
        if session.scalar(select(Team.id).where(Team.code == team.code)) is not None:
            continue
        catalogue.create_team(
            session=session,
            actor=actor,
            new=catalogue.TeamInput(
                code=team.code,
                name=team.name,
                holder=team.holder,
                team_type=team.team_type,
                members=team.members,
                available_from=today,
                available_until=None
                if team.available_for is None
                else today + dt.timedelta(days=team.available_for),
                skills=team.skills,
                languages=team.languages,
            ),
        )
    known = {
        (t.origin_code, t.destination_code)
        for t in catalogue.list_transit_times(session=session, actor=actor)
    }
    catalogue.set_transit_times(
        session=session,
        actor=actor,
        entries=[
            (o, d, transit_days(o, d)) for o in COUNTRIES for d in COUNTRIES if (o, d) not in known
        ],
    )
    for demo in LOTS:
        found = session.scalar(
            select(Lot.id).where(
                Lot.holder_code == demo.holder,
                Lot.item_code == demo.item,
                Lot.lot_number == demo.number,
            )
        )
        if found is not None:
            continue
        lot = ledger.find_or_create_lot(
            session=session,
            holder_code=demo.holder,
            item_code=demo.item,
            lot_number=demo.number,
            expires_on=today + dt.timedelta(days=demo.expires_in),
            location="Central warehouse",
        )
        ledger.record(
            session=session,
            actor=actor,
            lot_id=lot.id,
            kind="receipt",
            quantity=demo.quantity,
            reference=f"GRN-{demo.number}",
        )
