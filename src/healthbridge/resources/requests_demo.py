"""Demo resource requests and pledges: the Philippines asks for measles-rubella vaccine (for its
measles event's assistance request) and for field epidemiologists, Cambodia for oseltamivir
(its H5N1 event), Laos for oral rehydration salts and Myanmar for N95 respirators; most are
endorsed and approved, Myanmar's is rejected. Korea and Japan pledge lots of their national
stockpiles. Loaded after the catalogue's demo (which makes the items, holders and lots) and the
assistance demo; idempotent (requests are known by country, item or team type and delivery
point; pledges by holder, lot and request)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.policy import Principal, Role
from healthbridge.resources import ledger, pledges, requests
from healthbridge.resources.models import Item, Lot, Pledge, ResourceRequest


@dataclass(frozen=True)
class DemoRequest:
    """A demo request of ``country``, and the steps taken on it (with a note for a rejection)."""

    country: str
    priority: str
    quantity: int
    needed_in_days: int
    delivery_point: str
    item: str | None = None
    team_type: str | None = None
    event: str | None = None
    assistance: str | None = None
    steps: tuple[str, ...] = ()
    note: str | None = None
    needed_for_days: int | None = None
    skills: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoPledge:
    """A pledge of a holder's lot of ``item`` (its fullest), for the request of ``for_country``
    for that item when given, and the region's decision."""

    holder: str
    item: str
    quantity: int
    pledger: Principal
    for_country: str | None = None
    conditions: str | None = None
    decision: str | None = None


MEASLES = "Measles outbreak, the Philippines"
H5N1 = "Human case of avian influenza A(H5N1), Phnom Penh"
DENGUE_MANILA = "Dengue cluster in Metro Manila"

DEMO_REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest(
        "PHL",
        "critical",
        20_000,
        10,
        "RITM central vaccine store, Muntinlupa",
        item="mr-vaccine-10dose",
        event=MEASLES,
        assistance="Measles-rubella vaccine for the catch-up campaign",
        steps=("endorse", "approve"),
        note="Vials of 10 doses for the catch-up campaign in Mindanao; cold chain 2-8 °C.",
    ),
    # Two countries want more Ringer's lactate than the reserve holds (10,000 bags): Myanmar
    # asked first (medium), the Philippines later (critical, for severe dengue). First come,
    # first served would leave most of the critical need unmet; the optimal plan does not.
    DemoRequest(
        "MMR",
        "medium",
        8_000,
        14,
        "Central Medical Store Depot, Yangon",
        item="iv-ringer-lactate-1l",
        steps=("endorse", "approve"),
        note="Rehydration in the flood-affected townships of Bago Region.",
    ),
    DemoRequest(
        "PHL",
        "critical",
        6_000,
        5,
        "Philippine General Hospital, Manila",
        item="iv-ringer-lactate-1l",
        event=DENGUE_MANILA,
        steps=("endorse", "approve"),
        note="Fluid management of severe dengue cases in Metro Manila hospitals.",
    ),
    DemoRequest(
        "KHM",
        "high",
        15_000,
        7,
        "Central Medical Store, Phnom Penh",
        item="oseltamivir-75mg",
        event=H5N1,
        steps=("endorse", "approve"),
        note="Post-exposure prophylaxis of contacts and treatment of suspected cases.",
    ),
    DemoRequest(
        "LAO",
        "medium",
        30_000,
        21,
        "Medical Products Supply Center, Vientiane",
        item="ors-sachet",
        steps=("endorse",),
    ),
    DemoRequest(
        "MMR",
        "low",
        50_000,
        30,
        "Central Medical Store Depot, Yangon",
        item="n95-respirator",
        steps=("reject",),
        note="Respirators for the health workers of the tuberculosis programme.",
    ),
    DemoRequest(
        "PHL",
        "high",
        1,
        7,
        "Center for Health Development, Davao City",
        team_type="field_epidemiologist",
        event=MEASLES,
        assistance="Field epidemiologists for outbreak investigation in Mindanao",
        steps=("endorse", "approve"),
        needed_for_days=21,
        languages=("en", "tl"),
    ),
)

REJECTION_NOTE = "Covered from the national stockpile: no regional request needed."


def _principal(role: Role, country: str) -> Principal:
    """A demo official of ``country`` in ``role``, acting through the command line."""
    prefix = {Role.EOC_OFFICER: "eoc", Role.FOCAL_POINT: "focal"}.get(role, "logistics")
    return Principal(
        email=f"{prefix}.{country.lower()}@healthbridge.demo", role=role, country=country, via="cli"
    )


DEMO_PLEDGES: tuple[DemoPledge, ...] = (
    DemoPledge(
        "KOR-NAT",
        "mr-vaccine-10dose",
        8_000,
        _principal(Role.LOGISTICS_OFFICER, "KOR"),
        for_country="PHL",
        conditions="Shipped by air within 5 days; Korea pays the freight.",
        decision="accept",
    ),
    DemoPledge(
        "KOR-NAT",
        "oseltamivir-75mg",
        5_000,
        _principal(Role.LOGISTICS_OFFICER, "KOR"),
        conditions="For any request of the region until the end of the season.",
    ),
    DemoPledge(
        "JPN-NAT",
        "oseltamivir-75mg",
        20_000,
        _principal(Role.FOCAL_POINT, "JPN"),
        for_country="KHM",
        conditions="Through the Japan Disaster Relief logistics hub.",
        decision="accept",
    ),
)


def _event_and_assistance(session: Session, demo: DemoRequest) -> tuple[int | None, int | None]:
    if demo.event is None:
        return None, None
    event = session.scalar(select(Event).where(Event.title == demo.event))
    if event is None:
        return None, None
    assistance = None
    if demo.assistance is not None:
        assistance = session.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.event_id == event.id,
                AssistanceRequest.title == demo.assistance,
                AssistanceRequest.kind.in_(
                    requests.LINKABLE_ASSISTANCE["team" if demo.team_type else "item"]
                ),
            )
        )
    return event.id, assistance


def _existing(session: Session, demo: DemoRequest) -> ResourceRequest | None:
    query = select(ResourceRequest).where(
        ResourceRequest.country_code == demo.country,
        ResourceRequest.delivery_point == demo.delivery_point,
    )
    if demo.item is not None:
        query = query.where(ResourceRequest.item_code == demo.item)
    else:
        query = query.where(ResourceRequest.team_type == demo.team_type)
    return session.scalars(query.order_by(ResourceRequest.id)).first()


def _ask(session: Session, actor: Principal, demo: DemoRequest) -> ResourceRequest | None:
    found = _existing(session, demo)
    if found is not None:
        return found
    if demo.item is not None and session.get(Item, demo.item) is None:
        return None  # the catalogue's demo did not run
    event_id, assistance_id = _event_and_assistance(session, demo)
    today = requests.today()
    needed_by = today + dt.timedelta(days=demo.needed_in_days)
    made = requests.create_request(
        session=session,
        actor=_principal(Role.EOC_OFFICER, demo.country),
        new=requests.RequestInput(
            kind="item" if demo.item is not None else "team",
            item=demo.item,
            team_type=demo.team_type,
            quantity=demo.quantity,
            priority=demo.priority,
            needed_by=needed_by,
            needed_until=needed_by + dt.timedelta(days=demo.needed_for_days)
            if demo.needed_for_days
            else None,
            skills=demo.skills,
            languages=demo.languages,
            delivery_point=demo.delivery_point,
            note=demo.note,
            event_id=event_id,
            assistance_request_id=assistance_id,
        ),
    )
    focal = _principal(Role.FOCAL_POINT, demo.country)
    for step in demo.steps:
        requests.take_step(
            session=session,
            actor=actor if step == "approve" else focal,
            request_id=made.id,
            step=step,
            note=REJECTION_NOTE if step == "reject" else None,
        )
    return made


def _pledge(session: Session, actor: Principal, demo: DemoPledge) -> None:
    lots = session.scalars(
        select(Lot).where(Lot.holder_code == demo.holder, Lot.item_code == demo.item)
    ).all()
    if not lots:
        return
    held = ledger.balances(session, [lot.id for lot in lots])
    lot = max(lots, key=lambda candidate: (held[candidate.id], -candidate.id))
    request_id = None
    if demo.for_country is not None:
        wanted = session.scalars(
            select(ResourceRequest.id)
            .where(
                ResourceRequest.country_code == demo.for_country,
                ResourceRequest.item_code == demo.item,
                ResourceRequest.status.in_(requests.OPEN_STATUSES),
            )
            .order_by(ResourceRequest.id)
        ).first()
        if wanted is None:
            return
        request_id = wanted
    already = session.scalar(
        select(Pledge.id).where(
            Pledge.holder_code == demo.holder,
            Pledge.lot_id.in_([candidate.id for candidate in lots]),
            Pledge.request_id.is_(None) if request_id is None else Pledge.request_id == request_id,
        )
    )
    quantity = min(demo.quantity, held[lot.id])
    if already is not None or quantity < 1:
        return
    made = pledges.pledge(
        session=session,
        actor=demo.pledger,
        new=pledges.PledgeInput(
            lot_id=lot.id, quantity=quantity, request_id=request_id, conditions=demo.conditions
        ),
    )
    if demo.decision is not None:
        pledges.decide(session=session, actor=actor, pledge_id=made.id, decision=demo.decision)


def load_demo(*, session: Session, actor: Principal) -> None:
    """Ask, step and pledge as the demo's countries; the region (``actor``) approves and
    accepts. Skips what exists, and what the catalogue's demo did not make."""
    for demo in DEMO_REQUESTS:
        _ask(session, actor, demo)
    for pledge in DEMO_PLEDGES:
        _pledge(session, actor, pledge)
