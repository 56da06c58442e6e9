"""Importing UHC values from a WHO Global Health Observatory CSV export.

An import is atomic and idempotent: every row is read and checked, and every country it touches
authorised, before anything is written, and the border commits once; the same file imported
twice stores its values once (the second time they are all ``unchanged``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.cooperation.uhc.models import UhcIndicator, UhcObservation
from healthbridge.db import utcnow
from healthbridge.errors import FieldError, Forbidden, Invalid
from healthbridge.geography import service as geography
from healthbridge.interop import gho
from healthbridge.policy import Action, Principal, authorize

#: The source recorded with values imported from the GHO when the importer names none.
GHO_SOURCE = "WHO Global Health Observatory"
MAX_SOURCE_LENGTH = 300
MAX_FILENAME_LENGTH = 200

#: ``progress(stage, done, total)``: stage ``"check"`` while rows are read, then ``"store"``.
ImportProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ImportReport:
    """What an import did with each row of the file."""

    filename: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    countries: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return sum(self.skipped_by_reason.values())


def _clean_filename(filename: str | None) -> str:
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:MAX_FILENAME_LENGTH] or "upload.csv"


def _clean_source(source: str | None) -> str:
    text = (source or "").strip() or GHO_SOURCE
    if len(text) > MAX_SOURCE_LENGTH:
        raise Invalid(
            "the source is too long",
            errors=[FieldError("source", f"at most {MAX_SOURCE_LENGTH} characters")],
        )
    if not text.isprintable():
        raise Invalid(
            "the source contains a control character",
            errors=[FieldError("source", "contains a control character")],
        )
    return text


def _authorize_rows(actor: Principal, facts: list[gho.GhoFact], filename: str) -> None:
    """Every row's country must be within the actor's scope, or nothing is imported."""
    for fact in facts:
        try:
            authorize(
                actor,
                Action.UHC_WRITE,
                country=fact.country_code,
                object_type="uhc_import",
                object_id=filename,
            )
        except Forbidden as refused:
            raise Forbidden(
                f"{filename} row {fact.row}: {refused.detail}; nothing was imported",
                errors=[
                    FieldError(
                        "SpatialDimValueCode",
                        f"{fact.country_code} is outside your scope ({actor.country or 'region'})",
                        row=fact.row,
                    )
                ],
                context=refused.context,
            ) from None


def import_gho_csv(
    *,
    session: Session,
    actor: Principal,
    data: bytes,
    filename: str | None,
    source: str | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Store the values of a GHO CSV export: one observation per country, indicator and year.

    Rows of untracked indicators, unserved countries, disaggregations and censored values are
    skipped and counted. A bad row (year, value, range, missing column) is :class:`Invalid`
    naming the file, the row and the column; a row of a country outside the actor's scope is
    :class:`Forbidden` naming the row. Either way nothing is written. ``source`` (default: the
    WHO GHO) is recorded with every value; a value whose number, bounds and source are already
    stored is left ``unchanged``.
    """
    authorize(actor, Action.UHC_WRITE)
    name = _clean_filename(filename)
    source_text = _clean_source(source)
    ranges = {
        i.code: gho.ValueRange(i.min_value, i.max_value)
        for i in session.scalars(select(UhcIndicator))
    }
    parsed = gho.read_gho_csv(
        data,
        filename=name,
        indicators=ranges,
        countries=geography.country_codes(session=session),
        progress=(lambda done, total: progress("check", done, total)) if progress else None,
    )
    _authorize_rows(actor, parsed.facts, name)
    existing = _stored(session, parsed.facts)
    now = utcnow()
    created = updated = unchanged = 0
    total = len(parsed.facts)
    for done, fact in enumerate(parsed.facts, start=1):
        key = (fact.country_code, fact.indicator_code, fact.year)
        observation = existing.get(key)
        values = (fact.value, fact.low, fact.high, source_text)
        if observation is None:
            session.add(
                UhcObservation(
                    country_code=fact.country_code,
                    indicator_code=fact.indicator_code,
                    year=fact.year,
                    value=fact.value,
                    low=fact.low,
                    high=fact.high,
                    source=source_text,
                    imported_at=now,
                )
            )
            created += 1
        elif (observation.value, observation.low, observation.high, observation.source) == values:
            unchanged += 1
        else:
            observation.value, observation.low, observation.high = fact.value, fact.low, fact.high
            observation.source = source_text
            observation.imported_at = now
            updated += 1
        if progress is not None and (done % 500 == 0 or done == total):
            progress("store", done, total)
    session.flush()
    report = ImportReport(
        filename=name,
        rows=parsed.rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        skipped_by_reason=dict(sorted(parsed.skipped.items())),
        countries=sorted({f.country_code for f in parsed.facts}),
        indicators=sorted({f.indicator_code for f in parsed.facts}),
    )
    audit.record(
        session=session,
        actor=actor,
        action="uhc.import",
        object_type="uhc_import",
        object_id=name,
        country=report.countries[0] if len(report.countries) == 1 else None,
        detail={
            "sha256": hashlib.sha256(data).hexdigest(),
            "source": source_text,
            "rows": report.rows,
            "created": created,
            "updated": updated,
            "unchanged": unchanged,
            "skipped": report.skipped_by_reason,
            "countries": report.countries,
            "indicators": report.indicators,
        },
    )
    return report


def _stored(
    session: Session, facts: list[gho.GhoFact]
) -> dict[tuple[str, str, int], UhcObservation]:
    """The stored observations of the countries and indicators that ``facts`` touch."""
    if not facts:
        return {}
    countries = sorted({f.country_code for f in facts})
    indicators = sorted({f.indicator_code for f in facts})
    rows = session.scalars(
        select(UhcObservation).where(
            UhcObservation.country_code.in_(countries),
            UhcObservation.indicator_code.in_(indicators),
        )
    )
    return {(o.country_code, o.indicator_code, o.year): o for o in rows}
