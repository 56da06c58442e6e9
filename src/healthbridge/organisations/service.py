"""Reading and loading organisations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.organisations.models import Organisation
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import Action, Principal, authorize

FIELDS = ("acronym", "name_en", "kind", "country_code", "parent_code", "website")


def list_organisations(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    q: str | None = None,
    kind: str | None = None,
    country: str | None = None,
) -> tuple[list[Organisation], int]:
    """Organisations, filtered by text, kind or seat country."""
    authorize(actor, Action.REFERENCE_READ)
    query = select(Organisation)
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Organisation.name_en.ilike(pattern, escape="\\"),
                Organisation.acronym.ilike(pattern, escape="\\"),
                Organisation.code.ilike(pattern, escape="\\"),
            )
        )
    if kind:
        query = query.where(Organisation.kind == kind)
    if country:
        query = query.where(Organisation.country_code == country.upper())
    return paginate(
        session,
        query,
        page,
        sortable={
            "code": Organisation.code,
            "name": Organisation.name_en,
            "kind": Organisation.kind,
        },
        default_sort="name",
    )


def get_organisation(*, session: Session, actor: Principal, code: str) -> Organisation:
    """One organisation by code."""
    authorize(actor, Action.REFERENCE_READ)
    organisation = session.get(Organisation, code.upper())
    if organisation is None:
        raise NotFound(f"no organisation with code '{code}'")
    return organisation


def load_organisations(*, session: Session, records: Sequence[dict[str, Any]]) -> int:
    """Insert or update organisations (parents first). Idempotent."""
    by_code = {r["code"]: r for r in records}
    done: set[str] = set()

    def load(code: str) -> None:
        if code in done:
            return
        record = by_code[code]
        if record.get("parent") and record["parent"] in by_code:
            load(record["parent"])
        organisation = session.get(Organisation, code) or Organisation(code=code)
        values = {
            **record,
            "country_code": record.get("country"),
            "parent_code": record.get("parent"),
        }
        for field in FIELDS:
            setattr(organisation, field, values.get(field))
        session.add(organisation)
        session.flush()
        done.add(code)

    for code in by_code:
        load(code)
    return len(records)


def require_organisation(
    *, session: Session, code: str | None, field: str = "organisation"
) -> str | None:
    """Validate an organisation code given as input; returns it normalised."""
    if code is None:
        return None
    if session.get(Organisation, code.strip().upper()) is None:
        raise Invalid(
            f"unknown organisation '{code}'",
            errors=[FieldError(field, f"'{code}' is not a known organisation code")],
        )
    return code.strip().upper()
