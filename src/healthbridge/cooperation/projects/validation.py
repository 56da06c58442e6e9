"""The rules of an IATI activity that a schema alone cannot check.

:func:`check_project` collects every problem of a whole project (not only the first), each named
by its path in the input (``sectors.1.code``, ``activity_dates.2.iso_date``), so that the API, the
command line and the IATI import can all say exactly which field is wrong. It also fills in what
the reference data knows (an organisation's IATI identifier, type and name).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import pycountry
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthbridge.cooperation.projects import codelists
from healthbridge.cooperation.projects.schemas import (
    BudgetIn,
    IndicatorIn,
    ParticipatingOrgIn,
    ProjectCreate,
    ResultIn,
    TransactionIn,
)
from healthbridge.errors import FieldError, Invalid
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import MAX_LIMIT, PageRequest
from healthbridge.policy import Principal

#: Characters an IATI activity identifier must not contain (IATI rules), besides whitespace.
FORBIDDEN_IN_IDENTIFIER = "/&|?"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CountryFacts:
    code: str
    alpha2: str
    name: str


@dataclass(frozen=True)
class OrganisationFacts:
    code: str
    name: str
    kind: str


@dataclass
class ReferenceData:
    """The served countries and the known organisations, read once per operation."""

    countries: dict[str, CountryFacts]
    organisations: dict[str, OrganisationFacts]
    by_alpha2: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, *, session: Session, actor: Principal) -> ReferenceData:
        everything = PageRequest(limit=MAX_LIMIT)
        countries, _ = geography.list_countries(session=session, actor=actor, page=everything)
        orgs, _ = organisations.list_organisations(session=session, actor=actor, page=everything)
        return cls(
            countries={c.code: CountryFacts(c.code, c.alpha2, c.name_en) for c in countries},
            organisations={o.code: OrganisationFacts(o.code, o.name_en, o.kind) for o in orgs},
            by_alpha2={c.alpha2: c.code for c in countries},
        )

    def organisation_name(self, code: str | None) -> str:
        if code is None:
            return ""
        found = self.organisations.get(code)
        return found.name if found else code


def invalid_input(exc: ValidationError, detail: str, prefix: str = "") -> Invalid:
    """A Pydantic error as :class:`Invalid`, each field named by its dotted path."""
    errors = [
        FieldError(prefix + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()
    ]
    return Invalid(detail, errors=errors)


def is_language(code: str) -> bool:
    """Whether ``code`` is an ISO 639-1 language code."""
    return pycountry.languages.get(alpha_2=code.lower()) is not None


def is_currency(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 currency code."""
    return pycountry.currencies.get(alpha_3=code.upper()) is not None


def decimal_of(value: str | None) -> Decimal | None:
    """``value`` as a finite number, or ``None`` when it is not one."""
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class Checker:
    """Collects the problems of one input; ``add`` names a field and says what is wrong."""

    def __init__(self, reference: ReferenceData, prefix: str = "") -> None:
        self.reference = reference
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        """Record that the field at ``path`` is wrong, and why."""
        self.errors.append(FieldError(self.prefix + path, message))

    def narratives(self, path: str, texts: dict[str, str], *, required: bool = False) -> None:
        """Languages are ISO 639-1; a ``required`` text has at least one."""
        if required and not texts:
            self.add(path, "give the text in at least one language")
        for lang in texts:
            if not is_language(lang):
                self.add(f"{path}.{lang}", f"'{lang}' is not an ISO 639-1 language code")

    def currency(self, path: str, code: str | None) -> None:
        """An ISO 4217 code, when one is given."""
        if code is not None and not is_currency(code):
            self.add(path, f"'{code}' is not an ISO 4217 currency code")

    def org_type(self, path: str, code: str | None) -> None:
        """An IATI OrganisationType code, when one is given."""
        if code is not None and code not in codelists.ORGANISATION_TYPE:
            self.add(path, f"'{code}' is not an IATI organisation type code")

    def shares(self, path: str, percentages: Sequence[Decimal | None], what: str) -> None:
        """With several items every one needs a percentage and they sum to 100."""
        if len(percentages) == 1 and percentages[0] not in (None, HUNDRED):
            self.add(f"{path}.0.percentage", f"a single {what} has 100 percent (or none)")
        if len(percentages) > 1:
            missing = [i for i, p in enumerate(percentages) if p is None]
            for i in missing:
                self.add(f"{path}.{i}.percentage", f"required when there are several {what}s")
            total = sum((p for p in percentages if p is not None), Decimal(0))
            if not missing and total != HUNDRED:
                self.add(path, f"the percentages of the {what}s sum to {total}, not 100")

    def no_duplicates(self, path: str, keys: Iterable[object], what: str) -> None:
        """Name each item whose key an earlier item has already."""
        seen: set[object] = set()
        for i, key in enumerate(keys):
            if key in seen:
                self.add(f"{path}.{i}", f"{what} {key} is given twice")
            seen.add(key)

    def participating_org(self, path: str, org: ParticipatingOrgIn) -> ParticipatingOrgIn:
        """Check one organisation; fill ref, type and name from our reference data."""
        values = org.model_dump()
        if org.organisation_code is not None:
            code = org.organisation_code
            facts = self.reference.organisations.get(code)
            if facts is None:
                self.add(f"{path}.organisation_code", f"'{code}' is not a known organisation")
            else:
                identity = codelists.iati_identity(code, facts.kind)
                values["ref"] = org.ref or identity.ref
                values["type"] = org.type or identity.type
                values["name"] = org.name or {"en": facts.name}
        if not values["ref"] and not values["name"]:
            self.add(f"{path}.name", "give the organisation's IATI identifier (ref) or its name")
        self.org_type(f"{path}.type", values["type"])
        self.narratives(f"{path}.name", values["name"])
        return ParticipatingOrgIn.model_validate(values)

    def budget(self, path: str, budget: BudgetIn) -> None:
        """A period that does not end before it starts, and a known currency."""
        if budget.period_end < budget.period_start:
            self.add(f"{path}.period_end", "the period ends before it starts")
        self.currency(f"{path}.currency", budget.currency)

    def transaction(self, path: str, transaction: TransactionIn) -> None:
        """A known currency; provider and receiver named by identifier or name."""
        self.currency(f"{path}.currency", transaction.currency)
        self.narratives(f"{path}.description", transaction.description)
        for side in ("provider_org", "receiver_org"):
            org = getattr(transaction, side)
            if org is not None:
                self.org_type(f"{path}.{side}.type", org.type)
                self.narratives(f"{path}.{side}.name", org.name)
                if not org.ref and not org.name:
                    self.add(f"{path}.{side}", "give the organisation's IATI identifier or name")

    def result(self, path: str, result: ResultIn) -> None:
        """A titled result whose indicators are each right."""
        self.narratives(f"{path}.title", result.title, required=True)
        self.narratives(f"{path}.description", result.description)
        for j, indicator in enumerate(result.indicators):
            self.indicator(f"{path}.indicators.{j}", indicator)

    def indicator(self, path: str, indicator: IndicatorIn) -> None:
        """Numbers where the measure is numeric; periods that do not end before they start."""
        self.narratives(f"{path}.title", indicator.title, required=True)
        self.narratives(f"{path}.description", indicator.description)
        numeric = indicator.measure in codelists.NUMERIC_MEASURES
        label = codelists.INDICATOR_MEASURE[indicator.measure].lower()

        def number(where: str, value: str | None) -> None:
            if numeric and value is not None and decimal_of(value) is None:
                self.add(where, f"'{value}' is not a number (the indicator's measure is {label})")

        if indicator.baseline is not None:
            number(f"{path}.baseline.value", indicator.baseline.value)
        for k, period in enumerate(indicator.periods):
            where = f"{path}.periods.{k}"
            if period.period_end < period.period_start:
                self.add(f"{where}.period_end", "the period ends before it starts")
            number(f"{where}.target_value", period.target_value)
            number(f"{where}.actual_value", period.actual_value)


def check_project(
    *, reference: ReferenceData, project_in: ProjectCreate, prefix: str = ""
) -> tuple[ProjectCreate, list[FieldError]]:
    """Every problem of a whole project, and the project with reference defaults filled in."""
    check = Checker(reference, prefix)
    values = project_in.model_dump()
    identifier = project_in.iati_identifier
    if any(c.isspace() or c in FORBIDDEN_IN_IDENTIFIER for c in identifier):
        check.add("iati_identifier", "must not contain whitespace, '/', '&', '|' or '?'")
    if not is_language(project_in.default_language):
        check.add("default_language", f"'{project_in.default_language}' is not ISO 639-1")
    check.currency("default_currency", project_in.default_currency)

    reporting = project_in.reporting_org
    code = reporting.code
    facts = reference.organisations.get(code)
    if facts is None:
        check.add("reporting_org.code", f"'{reporting.code}' is not a known organisation")
    else:
        identity = codelists.iati_identity(code, facts.kind)
        ref = reporting.ref or identity.ref
        if ref is None:
            check.add("reporting_org.ref", f"{code} has no known IATI identifier: give it")
        elif not identifier.startswith(ref + "-"):
            check.add(
                "iati_identifier",
                f"must begin with the reporting organisation's IATI identifier '{ref}-'",
            )
        values["reporting_org"] = {
            "code": code,
            "ref": ref,
            "type": reporting.type or identity.type,
        }
        check.org_type("reporting_org.type", values["reporting_org"]["type"])

    check.narratives("title", project_in.title, required=True)
    check.narratives("description", project_in.description, required=True)
    values["participating_orgs"] = [
        check.participating_org(f"participating_orgs.{i}", org).model_dump()
        for i, org in enumerate(project_in.participating_orgs)
    ]
    check_dates(check, project_in)

    countries = project_in.recipient_countries
    for i, recipient in enumerate(countries):
        if recipient.country not in reference.countries:
            check.add(
                f"recipient_countries.{i}.country",
                f"'{recipient.country}' is not one of the served countries' alpha-3 codes",
            )
    check.no_duplicates("recipient_countries", (c.country for c in countries), "country")
    check.shares("recipient_countries", [c.percentage for c in countries], "recipient country")

    known = codelists.purpose_codes()
    for i, sector in enumerate(project_in.sectors):
        if sector.code not in known:
            check.add(f"sectors.{i}.code", f"'{sector.code}' is not a known OECD DAC purpose code")
    check.no_duplicates("sectors", (s.code for s in project_in.sectors), "sector")
    check.shares("sectors", [s.percentage for s in project_in.sectors], "sector")

    for i, budget in enumerate(project_in.budgets):
        check.budget(f"budgets.{i}", budget)
    for i, transaction in enumerate(project_in.transactions):
        check.transaction(f"transactions.{i}", transaction)
    for i, result in enumerate(project_in.results):
        check.result(f"results.{i}", result)
    if check.errors:
        return project_in, check.errors
    return ProjectCreate.model_validate(values), []


def check_dates(check: Checker, project_in: ProjectCreate) -> None:
    """One date of each type, and no end before its start."""
    dates = project_in.activity_dates
    check.no_duplicates("activity_dates", (d.type for d in dates), "activity date type")
    by_type = {d.type: (i, d.iso_date) for i, d in enumerate(dates)}
    for end_type, start_type in codelists.END_OF_START.items():
        if end_type in by_type and start_type in by_type:
            i, end = by_type[end_type]
            start = by_type[start_type][1]
            if end < start:
                end_label = codelists.ACTIVITY_DATE_TYPE[end_type].lower()
                start_label = codelists.ACTIVITY_DATE_TYPE[start_type].lower()
                check.add(
                    f"activity_dates.{i}.iso_date",
                    f"the {end_label} date {end} is before the {start_label} date {start}",
                )


def check_result(*, reference: ReferenceData, result_in: ResultIn) -> None:
    """Raise :class:`Invalid` naming every problem of one result."""
    check = Checker(reference)
    check.result("", result_in)
    _raise(check, "invalid result")


def check_transaction(*, reference: ReferenceData, transaction_in: TransactionIn) -> None:
    """Raise :class:`Invalid` naming every problem of one transaction."""
    check = Checker(reference)
    check.transaction("", transaction_in)
    _raise(check, "invalid transaction")


def _raise(check: Checker, detail: str) -> None:
    if check.errors:
        errors = [FieldError(e.field.lstrip("."), e.message, e.row) for e in check.errors]
        raise Invalid(f"{detail}: {errors[0].field}: {errors[0].message}", errors=errors)
