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

import datetime as dt
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc import sharing, subscriptions
from healthbridge.eoc.models import Event, PublishedAlert
from healthbridge.errors import Conflict, NotFound
from healthbridge.geography.models import Country, Subdivision
from healthbridge.interop import atom, cap
from healthbridge.interop.cap_ratings import EventStatus, RiskLevel, cap_assessment
from healthbridge.policy import Principal
from healthbridge.surveillance.models import Disease

#: The ``sender`` of every alert: CAP asks for a unique, space-free name of the originator.
SENDER = "healthbridge@asean-rok.health"
#: The tagging authority of the feed's ``tag:`` URIs (RFC 4151).
FEED_AUTHORITY = "asean-rok.health"
#: Links in e-mails when the caller gives no address (the ``public_url`` setting's default).
DEFAULT_BASE_URL = "http://localhost:8000"
#: Alerts in the feed: the latest ones.
FEED_SIZE = 50


def event_alert(
    session: Session,
    event: Event,
    *,
    msg_type: cap.MsgType = "Alert",
    references: tuple[cap.Reference, ...] = (),
) -> cap.Alert:
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
        msg_type=msg_type,
        scope="Public" if event.shared_with_region else "Restricted",
        restriction=restriction,
        references=references,
        infos=(info,),
    )


def event_cap(session: Session, event: Event) -> bytes:
    """The event's CAP 1.2 XML, validated against the schema."""
    return cap.write_cap(event_alert(session, event))


def publish_alert(
    *, session: Session, actor: Principal, event_id: int, base_url: str = DEFAULT_BASE_URL
) -> PublishedAlert:
    """Publish the event's alert as it stands: stored as sent, listed in the public feed.

    Only an event shared with the region is published (its alert is ``Public``): anything else
    is :class:`Conflict`. The first alert of an event is an ``Alert``; later ones are
    ``Update`` alerts referring to the one before. Publishing an event unchanged since its
    last alert is :class:`Conflict` too (the feed never repeats itself). The users subscribed to
    the event's country or disease get an e-mail (queued in the outbox) linking to the alert
    under ``base_url``.
    """
    event = sharing.managed_event(session=session, actor=actor, event_id=event_id)
    if not event.shared_with_region:
        raise Conflict(
            "only an event shared with the region is published: share it with the region first"
        )
    previous = session.scalars(
        select(PublishedAlert)
        .where(PublishedAlert.event_id == event.id)
        .order_by(PublishedAlert.id.desc())
        .limit(1)
    ).first()
    references: tuple[cap.Reference, ...] = ()
    if previous is not None:
        references = (cap.Reference(SENDER, previous.identifier, previous.sent),)
    alert = event_alert(
        session,
        event,
        msg_type="Update" if previous is not None else "Alert",
        references=references,
    )
    if previous is not None and previous.identifier == alert.identifier:
        raise Conflict(
            f"the event has not changed since its alert {previous.identifier} was published"
        )
    info = alert.infos[0]
    record = PublishedAlert(
        event_id=event.id,
        identifier=alert.identifier,
        msg_type=alert.msg_type,
        title=event.title,
        summary=f"{info.event}, {info.areas[0].area_desc}: severity {info.severity}, "
        f"urgency {info.urgency}, certainty {info.certainty}.",
        sent=alert.sent,
        published_at=utcnow(),
        published_by=actor.actor_label,
        xml=cap.write_cap(alert).decode(),
    )
    session.add(record)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.alert.publish",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"identifier": alert.identifier, "msg_type": alert.msg_type},
    )
    subscriptions.notify_subscribers(
        session=session, actor=actor, event=event, alert=record, base_url=base_url
    )
    return record


def published_alerts(
    *, session: Session, event_id: int | None = None, limit: int = FEED_SIZE
) -> list[PublishedAlert]:
    """Published alerts, newest first: public records (no actor needed)."""
    query = select(PublishedAlert).order_by(PublishedAlert.published_at.desc()).limit(limit)
    if event_id is not None:
        query = query.where(PublishedAlert.event_id == event_id)
    return list(session.scalars(query))


def published_alert(*, session: Session, identifier: str) -> PublishedAlert:
    """One published alert by its CAP identifier; :class:`NotFound` for anything else."""
    found = session.scalars(
        select(PublishedAlert).where(PublishedAlert.identifier == identifier)
    ).first()
    if found is None:
        raise NotFound(f"no published alert '{identifier}'")
    return found


def atom_feed(
    alerts: list[PublishedAlert], *, base_url: str, now: dt.datetime | None = None
) -> bytes:
    """The Atom feed of ``alerts`` (newest first), linking each to its CAP document."""
    base = base_url.rstrip("/")
    entries = [
        atom.FeedEntry(
            id=atom.tag_uri(FEED_AUTHORITY, a.published_at.date(), f"alert/{a.identifier}"),
            title=a.title,
            updated=a.published_at,
            published=a.published_at,
            summary=a.summary,
            page_url=f"{base}/alerts/{a.identifier}",
            cap_url=f"{base}/alerts/{a.identifier}.xml",
        )
        for a in alerts
    ]
    updated = max([a.published_at for a in alerts], default=now or utcnow())
    return atom.write_atom_feed(
        atom.tag_uri(FEED_AUTHORITY, dt.date(2026, 11, 26), "alerts"),
        "HealthBridge: public health alerts of the ASEAN–Republic of Korea cooperation",
        updated,
        entries,
        f"{base}/alerts/feed.atom",
    )


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
