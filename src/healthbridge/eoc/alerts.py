"""An event as a CAP 1.2 alert: what ``healthbridge export cap EVENT`` prints and
``GET /api/v1/events/{id}/cap`` answers.

One alert is a snapshot of the event as it stands: its identifier carries the event and the
number of steps on its timeline, so that every change gives a new identifier and the same
state always the same one. The ratings (urgency, severity, certainty) come from the event's
risk level and status (:func:`healthbridge.interop.cap_ratings.cap_assessment`). An event shared
with the region is ``Public``; one shared with named countries only, or with nobody, is
``Restricted`` to them. Case-level detail is never in an alert: only the event's record.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.orm import Session

from healthbridge.eoc.models import Event
from healthbridge.geography.models import Country, Subdivision
from healthbridge.interop import cap
from healthbridge.interop.cap_ratings import EventStatus, RiskLevel, cap_assessment
from healthbridge.surveillance.models import Disease

#: The ``sender`` of every alert: CAP asks for a unique, space-free name of the originator.
SENDER = "healthbridge@asean-rok.health"


def event_alert(session: Session, event: Event) -> cap.Alert:
    """The CAP alert of ``event`` as it stands (the caller has checked the actor sees it)."""
    country = session.get(Country, event.country_code)
    country_name = country.name_en if country else event.country_code
    disease = session.get(Disease, event.disease_code) if event.disease_code else None
    what = disease.name_en if disease else (event.hazard or "Public health event")
    ratings = cap_assessment(
        risk_level=cast(RiskLevel | None, event.risk_level),
        status=cast(EventStatus, event.status),
    )
    shared = sorted(share.country_code for share in event.shares)
    restriction = None
    if not event.shared_with_region:
        readers = ", ".join([event.country_code, *shared])
        restriction = f"IHR-style sharing: for the EOCs of {readers} only"
    parameters = [
        cap.ValuePair("healthbridge:status", event.status),
        *([cap.ValuePair("healthbridge:risk", event.risk_level)] if event.risk_level else []),
        *(
            [cap.ValuePair("healthbridge:activation", event.activation_level)]
            if event.activation_level
            else []
        ),
    ]
    info = cap.Info(
        event=what,
        urgency=ratings.urgency,
        severity=ratings.severity,
        certainty=ratings.certainty,
        response_types=("Monitor",) if event.status in ("signal", "monitoring") else (),
        sender_name=f"HealthBridge — EOC of {country_name}",
        headline=event.title[:160],
        description=event.summary or None,
        event_codes=(
            (cap.ValuePair("healthbridge:disease", event.disease_code),)
            if event.disease_code
            else ()
        ),
        parameters=tuple(parameters),
        areas=_areas(session, event, country_name),
    )
    return cap.Alert(
        identifier=f"healthbridge.event.{event.id}.{len(event.transitions)}",
        sender=SENDER,
        sent=event.updated_at,
        status="Actual",
        msg_type="Alert",
        scope="Public" if event.shared_with_region else "Restricted",
        restriction=restriction,
        infos=(info,),
    )


def event_cap(session: Session, event: Event) -> bytes:
    """The event's CAP 1.2 XML, validated against the schema."""
    return cap.write_cap(event_alert(session, event))


def _areas(session: Session, event: Event, country_name: str) -> tuple[cap.Area, ...]:
    if not event.areas:
        return (
            cap.Area(
                area_desc=country_name,
                geocodes=(cap.ValuePair("ISO3166-1", event.country_code),),
            ),
        )
    areas = []
    for area in event.areas:
        subdivision = session.get(Subdivision, area.area_code)
        name = subdivision.name if subdivision else area.area_code
        areas.append(
            cap.Area(
                area_desc=f"{name}, {country_name}",
                geocodes=(cap.ValuePair("ISO3166-2", area.area_code),),
            )
        )
    return tuple(areas)
