"""Reading and loading countries, memberships and subdivisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pycountry
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.geography.models import Country, Membership, Subdivision
from healthbridge.language import localized
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize


def list_countries(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    q: str | None = None,
    group: str | None = None,
) -> tuple[list[Country], int]:
    """Countries, optionally those whose name or code matches ``q`` or in a ``group``."""
    authorize(actor, Action.REFERENCE_READ)
    query = select(Country).options(selectinload(Country.memberships))
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Country.name_en.ilike(pattern, escape="\\"),
                Country.code.ilike(pattern, escape="\\"),
                Country.official_name_en.ilike(pattern, escape="\\"),
            )
        )
    if group:
        query = query.where(Country.memberships.any(Membership.group_code == group.upper()))
    return paginate(
        session,
        query,
        page,
        sortable={"code": Country.code, "name": Country.name_en},
        default_sort="name",
    )


def country_names(*, session: Session, actor: Principal) -> dict[str, str]:
    """Each country's name in the current language by its code, in name order (for labels on
    pages)."""
    authorize(actor, Action.REFERENCE_READ)
    rows = session.execute(select(Country.code, Country.name_en, Country.names))
    named = sorted((localized(names, english), code) for code, english, names in rows)
    return {code: name for name, code in named}


def get_country(*, session: Session, actor: Principal, code: str) -> Country:
    """One country by alpha-3 code (case-insensitive); :class:`NotFound` if it is not served."""
    authorize(actor, Action.REFERENCE_READ)
    country = session.get(Country, code.upper(), options=[selectinload(Country.memberships)])
    if country is None:
        raise NotFound(f"no country with code '{code}' (use ISO 3166-1 alpha-3, e.g. THA)")
    return country


def require_country(*, session: Session, code: str | None, field: str = "country") -> str | None:
    """Validate a country code given as input; returns it normalised, or raises :class:`Invalid`."""
    if code is None:
        return None
    normalised = code.strip().upper()
    if session.get(Country, normalised) is None:
        raise Invalid(
            f"unknown country code '{code}'",
            errors=[
                FieldError(field, f"'{code}' is not one of the served countries' alpha-3 codes")
            ],
        )
    return normalised


def country_codes(*, session: Session) -> list[str]:
    """Alpha-3 codes of every served country, sorted."""
    return list(session.scalars(select(Country.code).order_by(Country.code)))


def list_subdivisions(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    country: str | None = None,
    q: str | None = None,
) -> tuple[list[Subdivision], int]:
    """First-level subdivisions, of one country or all, optionally matching ``q``."""
    authorize(actor, Action.REFERENCE_READ)
    query = select(Subdivision)
    if country:
        query = query.where(
            Subdivision.country_code == get_country(session=session, actor=actor, code=country).code
        )
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Subdivision.name.ilike(pattern, escape="\\"),
                Subdivision.code.ilike(pattern, escape="\\"),
            )
        )
    return paginate(
        session,
        query,
        page,
        sortable={"code": Subdivision.code, "name": Subdivision.name},
        default_sort="code",
    )


def get_subdivision(*, session: Session, actor: Principal, code: str) -> Subdivision:
    """One subdivision by ISO 3166-2 code."""
    authorize(actor, Action.REFERENCE_READ)
    subdivision = session.get(Subdivision, code.upper())
    if subdivision is None:
        raise NotFound(f"no subdivision with code '{code}' (use ISO 3166-2, e.g. TH-10)")
    return subdivision


def load_countries(*, session: Session, records: Sequence[dict[str, Any]]) -> int:
    """Insert or update countries and their memberships from reference records. Idempotent."""
    for record in records:
        country = session.get(Country, record["code"]) or Country(code=record["code"])
        for field in (
            "alpha2",
            "numeric",
            "name_en",
            "official_name_en",
            "names",
            "local_names",
            "capital",
            "timezone",
            "uses_mmwr_weeks",
        ):
            setattr(country, field, record[field])
        session.add(country)
        session.flush()
        existing = {
            m.group_code: m
            for m in session.scalars(
                select(Membership).where(Membership.country_code == country.code)
            )
        }
        for item in record["memberships"]:
            membership = existing.pop(item["group"], None) or Membership(
                country_code=country.code, group_code=item["group"]
            )
            membership.role = item["role"]
            membership.since = dt.date.fromisoformat(item["since"])
            membership.until = dt.date.fromisoformat(item["until"]) if item.get("until") else None
            session.add(membership)
        for stale in existing.values():
            session.delete(stale)
    session.flush()
    return len(records)


#: ISO 3166-2 entries that group administrative areas without being one (Indonesia's seven
#: "geographical units"): their children are the first administrative level.
NON_ADMINISTRATIVE_TYPES = frozenset({"Geographical unit"})


def first_level_subdivisions(alpha2: str) -> Iterable[tuple[str, str, str]]:
    """``(code, name, type)`` of a country's first administrative level in ISO 3166-2.

    That is the entries without a parent, except where ISO groups the administrative areas in
    units that are not administrations (Indonesia): there, the units' children.
    """
    items = list(pycountry.subdivisions.get(country_code=alpha2) or [])
    grouping = {
        i.code for i in items if i.parent_code is None and i.type in NON_ADMINISTRATIVE_TYPES
    }
    for item in items:
        parent = getattr(item, "parent_code", None)
        if (parent is None and item.code not in grouping) or (parent in grouping):
            yield item.code, item.name, item.type


def load_subdivisions(*, session: Session) -> int:
    """Insert or update the first-level subdivisions of every served country. Idempotent."""
    count = 0
    for country in session.scalars(select(Country)):
        for code, name, kind in first_level_subdivisions(country.alpha2):
            subdivision = session.get(Subdivision, code) or Subdivision(code=code)
            subdivision.country_code = country.code
            subdivision.name = name
            subdivision.type = kind
            session.add(subdivision)
            count += 1
    session.flush()
    return count
