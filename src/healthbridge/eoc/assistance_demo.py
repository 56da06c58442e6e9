"""Demo assistance requests: the Philippines' measles response asks the region for vaccines and
a field team, Cambodia's H5N1 event asks Viet Nam and Laos for sequencing; offers from the
countries they are shared with, some accepted. Loaded after the demo events; idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.eoc import assistance
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.policy import Principal, Role


@dataclass(frozen=True)
class DemoOffer:
    """An offer by a country's EOC (``None``: the region) and the asking country's answer."""

    country: str | None
    description: str
    decision: str | None = None


@dataclass(frozen=True)
class DemoRequest:
    """A demo assistance request of the event titled ``event``."""

    event: str
    kind: str
    title: str
    description: str
    needed_in_days: int
    offers: tuple[DemoOffer, ...] = ()


DEMO_REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest(
        "Measles outbreak, the Philippines",
        "resources",
        "Measles-rubella vaccine for the catch-up campaign",
        "200,000 doses of MR vaccine with auto-disable syringes and safety boxes, cold chain "
        "2-8 °C, delivered to the RITM central store in Muntinlupa.",
        14,
        (
            DemoOffer("KOR", "80,000 doses from the national stockpile, shipped by air", "accept"),
            DemoOffer(None, "Safety boxes and syringes from the regional reserve"),
        ),
    ),
    DemoRequest(
        "Measles outbreak, the Philippines",
        "field_team",
        "Field epidemiologists for outbreak investigation in Mindanao",
        "Three FETP-trained field epidemiologists for 21 days, Filipino or English speaking.",
        7,
    ),
    DemoRequest(
        "Human case of avian influenza A(H5N1), Phnom Penh",
        "lab_testing",
        "Genetic sequencing of the H5N1 isolate",
        "Whole-genome sequencing of the patient's isolate and of 12 poultry samples.",
        5,
        (
            DemoOffer(
                "VNM",
                "The National Institute of Hygiene and Epidemiology sequences within 72 hours",
                "accept",
            ),
        ),
    ),
)


def _country_eoc(country: str | None) -> Principal:
    """The EOC duty officer of ``country`` (a regional one for ``None``) as the demo's actor."""
    label = (country or "region").lower()
    return Principal(
        email=f"eoc.{label}@healthbridge.demo", role=Role.EOC_OFFICER, country=country, via="cli"
    )


def load_demo(*, session: Session, actor: Principal) -> None:
    """Ask, offer and decide as the demo's countries; skips events that already asked."""
    today = assistance.today()
    for demo in DEMO_REQUESTS:
        event = session.scalar(select(Event).where(Event.title == demo.event))
        if event is None:
            continue
        asked = session.scalar(
            select(AssistanceRequest.id).where(
                AssistanceRequest.event_id == event.id, AssistanceRequest.title == demo.title
            )
        )
        if asked is not None:
            continue
        made = assistance.create_request(
            session=session,
            actor=actor,
            event_id=event.id,
            new=assistance.AssistanceInput(
                kind=demo.kind,
                title=demo.title,
                description=demo.description,
                needed_by=today + dt.timedelta(days=demo.needed_in_days),
            ),
        )
        for offer in demo.offers:
            offered = assistance.offer(
                session=session,
                actor=_country_eoc(offer.country),
                event_id=event.id,
                request_id=made.id,
                description=offer.description,
            )
            if offer.decision is not None:
                assistance.decide_offer(
                    session=session,
                    actor=actor,
                    event_id=event.id,
                    request_id=made.id,
                    offer_id=offered.id,
                    decision=offer.decision,
                )
