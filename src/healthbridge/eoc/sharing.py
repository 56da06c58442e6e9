"""Who sees which event, and sharing it (IHR-style) with the region or with named countries.

An event is its country's alone until shared. It is visible to:

- the users of its own country;
- every user of every country, and the regional users, once shared with the region;
- the users of a country it was shared with by name.

A regional user (no country) sees only the events shared with the region; the deployment's
operator (the command line, which holds the database anyway) sees every event. To everybody else
an event is not there: they get :class:`~healthbridge.errors.NotFound` (404), never
:class:`~healthbridge.errors.Forbidden`, so that not even its existence leaks. Managing an event
(``EVENT_MANAGE``) is for its own country's responders and the regional ones, on events they
see. Case-level links are never shown beyond the event's own country (see
:func:`visible_links`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc.models import Event, EventLink, EventShare
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize, is_allowed

#: Link kinds that describe people: only the event's own country sees them.
PERSONAL_LINK_KINDS = frozenset({"case", "lab_result"})

#: How many of its latest links an event's read and page carry (``GET /events/{id}/links``
#: pages through them all).
LINKS_SHOWN = 100


def is_operator(actor: Principal) -> bool:
    """Whether ``actor`` is the deployment's operator: a regional principal of the CLI."""
    return actor.is_regional and actor.via == "cli"


def can_see(actor: Principal, event: Event) -> bool:
    """Whether ``actor`` may know that ``event`` exists."""
    if not is_allowed(actor, Action.EVENT_READ):
        return False
    if event.shared_with_region or is_operator(actor):
        return True
    if actor.country is None:
        return False
    return actor.country == event.country_code or any(
        share.country_code == actor.country for share in event.shares
    )


def visible_clause(actor: Principal) -> ColumnElement[bool]:
    """The SQL condition of the events ``actor`` sees (as :func:`can_see`)."""
    if not is_allowed(actor, Action.EVENT_READ):
        return false()
    if is_operator(actor):
        return true()
    if actor.country is None:
        return Event.shared_with_region.is_(True)
    shared_by_name = exists(
        select(EventShare.id).where(
            EventShare.event_id == Event.id, EventShare.country_code == actor.country
        )
    )
    return or_(
        Event.country_code == actor.country, Event.shared_with_region.is_(True), shared_by_name
    )


def visible_event(*, session: Session, actor: Principal, event_id: int) -> Event:
    """The event, if ``actor`` sees it; :class:`NotFound` alike when it does not exist and when
    it is not shared with them."""
    authorize(actor, Action.EVENT_READ)
    event = session.get(Event, event_id)
    if event is None or not can_see(actor, event):
        raise NotFound(f"no event with id {event_id}")
    return event


def managed_event(*, session: Session, actor: Principal, event_id: int) -> Event:
    """The event, if ``actor`` sees it and may manage it (its country's responders, regional
    ones); :class:`NotFound` if unseen, :class:`~healthbridge.errors.Forbidden` if only seen."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    authorize(
        actor,
        Action.EVENT_MANAGE,
        country=event.country_code,
        object_type="event",
        object_id=str(event.id),
    )
    return event


def can_manage(actor: Principal, event: Event) -> bool:
    """Whether ``actor`` may change ``event`` (for pages: which forms to show)."""
    return can_see(actor, event) and is_allowed(
        actor, Action.EVENT_MANAGE, country=event.country_code
    )


def sees_case_links(actor: Principal, event: Event) -> bool:
    """Case-level links are for the event's own country's case readers only."""
    return actor.country == event.country_code and is_allowed(
        actor, Action.CASE_READ, country=event.country_code
    )


def visible_links(actor: Principal, event: Event) -> list[EventLink]:
    """The event's links ``actor`` may see: case-level ones only for its own country. All of
    them: for pages and answers, :func:`latest_links` and :func:`link_page` read only a page."""
    personal = sees_case_links(actor, event)
    return [link for link in event.links if personal or link.kind not in PERSONAL_LINK_KINDS]


def _visible_links_query(actor: Principal, event: Event) -> Select[Any]:
    query = select(EventLink).where(EventLink.event_id == event.id)
    if not sees_case_links(actor, event):
        query = query.where(EventLink.kind.not_in(PERSONAL_LINK_KINDS))
    return query


def latest_links(
    *, session: Session, actor: Principal, event: Event, limit: int = LINKS_SHOWN
) -> tuple[list[EventLink], int]:
    """The event's latest ``limit`` links ``actor`` may see, oldest first, and how many it may
    see in all. A long-running event gathers thousands of notes: its read carries only these."""
    query = _visible_links_query(actor, event)
    latest: list[EventLink] = list(
        session.scalars(query.order_by(EventLink.id.desc()).limit(limit))
    )
    latest.reverse()
    if len(latest) < limit:
        return latest, len(latest)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    return latest, int(total or 0)


def link_page(
    *, session: Session, actor: Principal, event_id: int, page: PageRequest
) -> tuple[list[EventLink], int]:
    """One page of the links of an event ``actor`` sees (:class:`NotFound` otherwise)."""
    event = visible_event(session=session, actor=actor, event_id=event_id)
    return paginate(
        session,
        _visible_links_query(actor, event),
        page,
        sortable={"id": EventLink.id, "created_at": EventLink.created_at, "kind": EventLink.kind},
        default_sort="-id",
    )


def share_event(
    *,
    session: Session,
    actor: Principal,
    event_id: int,
    region: bool = False,
    countries: list[str] | None = None,
) -> Event:
    """Share the event with the whole region (``region``) and/or with named countries (ISO
    alpha-3). Sharing again what is shared changes nothing. Audited."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    wanted = [c.strip().upper() for c in countries or []]
    errors: list[FieldError] = []
    if not region and not wanted:
        errors.append(FieldError("countries", "name a country, or share with the region"))
    known = set(geography.country_codes(session=session))
    for code in dict.fromkeys(wanted):
        if code not in known:
            errors.append(FieldError("countries", f"unknown country '{code}'"))
        elif code == event.country_code:
            errors.append(FieldError("countries", f"the event is {code}'s own"))
    if errors:
        raise Invalid("invalid share", errors=errors)
    added: list[str] = []
    already = {share.country_code for share in event.shares}
    now = utcnow()
    for code in dict.fromkeys(wanted):
        if code not in already:
            event.shares.append(
                EventShare(country_code=code, shared_at=now, shared_by=actor.actor_label)
            )
            added.append(code)
    newly_regional = region and not event.shared_with_region
    if region:
        event.shared_with_region = True
    if added or newly_regional:
        event.updated_at = now
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="event.share",
            object_type="event",
            object_id=event.id,
            country=event.country_code,
            detail={"region": newly_regional, "countries": added},
        )
    return event


def unshare_event(
    *, session: Session, actor: Principal, event_id: int, country: str | None = None
) -> Event:
    """Stop sharing the event with ``country``, or with the region when ``country`` is None.
    :class:`NotFound` when it was not shared so. Audited."""
    event = managed_event(session=session, actor=actor, event_id=event_id)
    if country is None:
        if not event.shared_with_region:
            raise NotFound(f"event {event.id} is not shared with the region")
        event.shared_with_region = False
    else:
        code = country.strip().upper()
        share = next((s for s in event.shares if s.country_code == code), None)
        if share is None:
            raise NotFound(f"event {event.id} is not shared with {code}")
        event.shares.remove(share)
    event.updated_at = utcnow()
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="event.unshare",
        object_type="event",
        object_id=event.id,
        country=event.country_code,
        detail={"region": country is None, "country": None if country is None else code},
    )
    return event
