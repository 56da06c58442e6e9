"""Reading UHC indicators and observations, and keeping the indicator definitions current.

Values enter through :mod:`healthbridge.cooperation.uhc.importing` (the GHO CSV import); the
regional comparison and each country's trends are in
:mod:`healthbridge.cooperation.uhc.comparison`.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.cooperation.uhc.models import UhcIndicator, UhcObservation
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.geography import service as geography
from healthbridge.paging import PageRequest, paginate
from healthbridge.policy import Action, Principal, authorize

#: The columns of an indicator definition, as in ``data/indicators.json``.
INDICATOR_FIELDS = (
    "name",
    "short_name",
    "sdg_target",
    "sdg_indicator",
    "unit",
    "min_value",
    "max_value",
    "higher_is_better",
    "description",
    "position",
)


def indicator_records() -> list[dict[str, Any]]:
    """The indicator definitions shipped in ``cooperation/uhc/data/indicators.json``."""
    text = (
        resources.files("healthbridge.cooperation.uhc")
        .joinpath("data", "indicators.json")
        .read_text("utf-8")
    )
    records: list[dict[str, Any]] = json.loads(text)
    return records


def load_indicators(*, session: Session, actor: Principal) -> int:
    """Insert or update the indicator definitions from the shipped file. Idempotent.

    The migration inserts them too; this keeps a database current when the file changes.
    Returns how many definitions were created or changed (and audits them when any were).
    """
    authorize(actor, Action.UHC_WRITE)
    changed: list[str] = []
    for record in indicator_records():
        indicator = session.get(UhcIndicator, record["code"])
        if indicator is None:
            indicator = UhcIndicator(code=record["code"])
            session.add(indicator)
        elif all(getattr(indicator, f) == record[f] for f in INDICATOR_FIELDS):
            continue
        for name in INDICATOR_FIELDS:
            setattr(indicator, name, record[name])
        changed.append(record["code"])
    session.flush()
    if changed:
        audit.record(
            session=session,
            actor=actor,
            action="uhc.indicators.load",
            object_type="uhc_indicator",
            detail={"codes": changed},
        )
    return len(changed)


def list_indicators(
    *, session: Session, actor: Principal, page: PageRequest
) -> tuple[list[UhcIndicator], int]:
    """The tracked indicators, in their display order by default."""
    authorize(actor, Action.COOPERATION_READ)
    return paginate(
        session,
        select(UhcIndicator),
        page,
        sortable={
            "position": UhcIndicator.position,
            "code": UhcIndicator.code,
            "name": UhcIndicator.name,
        },
        default_sort="position",
    )


def all_indicators(*, session: Session, actor: Principal) -> list[UhcIndicator]:
    """Every tracked indicator, in display order."""
    authorize(actor, Action.COOPERATION_READ)
    return list(session.scalars(select(UhcIndicator).order_by(UhcIndicator.position)))


def get_indicator(*, session: Session, actor: Principal, code: str) -> UhcIndicator:
    """One indicator by its GHO code (case-insensitive); :class:`NotFound` if not tracked."""
    authorize(actor, Action.COOPERATION_READ)
    indicator = session.get(UhcIndicator, code.strip().upper())
    if indicator is None:
        raise NotFound(
            f"no UHC indicator with code '{code}' (use a WHO GHO code, e.g. UHC_INDEX_REPORTED)"
        )
    return indicator


def _indicator_filter(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    normalised = code.strip().upper()
    if session.get(UhcIndicator, normalised) is None:
        raise Invalid(
            f"unknown UHC indicator '{code}'",
            errors=[FieldError("indicator", f"'{code}' is not a tracked indicator's GHO code")],
        )
    return normalised


def list_observations(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    indicator: str | None = None,
    country: str | None = None,
    year: int | None = None,
    from_year: int | None = None,
    to_year: int | None = None,
) -> tuple[list[UhcObservation], int]:
    """Observations, filtered by indicator, country, year or a range of years.

    Unknown codes and a range that ends before it starts are :class:`Invalid`, naming the field.
    """
    authorize(actor, Action.COOPERATION_READ)
    if from_year is not None and to_year is not None and from_year > to_year:
        raise Invalid(
            "the range of years ends before it starts",
            errors=[FieldError("to_year", f"must not be before from_year ({from_year})")],
        )
    query = select(UhcObservation)
    indicator_code = _indicator_filter(session, indicator)
    if indicator_code is not None:
        query = query.where(UhcObservation.indicator_code == indicator_code)
    country_code = geography.require_country(session=session, code=country)
    if country_code is not None:
        query = query.where(UhcObservation.country_code == country_code)
    if year is not None:
        query = query.where(UhcObservation.year == year)
    if from_year is not None:
        query = query.where(UhcObservation.year >= from_year)
    if to_year is not None:
        query = query.where(UhcObservation.year <= to_year)
    rows, total = paginate(
        session,
        query,
        page,
        sortable={
            "year": UhcObservation.year,
            "country": UhcObservation.country_code,
            "indicator": UhcObservation.indicator_code,
            "value": UhcObservation.value,
            "id": UhcObservation.id,
        },
        default_sort="id",
    )
    return rows, total
