"""IATI 2.03 activity XML: cooperation projects out of HealthBridge, and the schema they obey.

The export writes one ``iati-activity`` per project, its elements in the order the XSD sequence
requires (identifier, reporting-org, title, description, participating-org, activity-status,
activity-date, recipient-country, sector, budget, transaction, result), every narrative with its
``xml:lang``, and validates the document against the shipped ``iati-activities-schema.xsd``
before it leaves. Countries are stored alpha-3 and written alpha-2, as IATI requires.

HealthBridge's organisation codes travel in an extension attribute (``hb:organisation``, in the
namespace :data:`HB_NS`), which IATI allows on ``reporting-org`` and ``participating-org``: a file
we export imports back to exactly the same records. The reading side is in :mod:`iati_import`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources

from lxml import etree  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from healthbridge.cooperation.projects import codelists
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.projects.figures import plain_number
from healthbridge.cooperation.projects.models import Indicator, Project, Result, Transaction
from healthbridge.cooperation.projects.validation import ReferenceData
from healthbridge.errors import NotFound
from healthbridge.policy import Principal

IATI_VERSION = "2.03"
#: Namespace of HealthBridge's extension attributes in IATI files.
HB_NS = "urn:healthbridge:iati:1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HB_ORGANISATION = f"{{{HB_NS}}}organisation"
SCHEMA_DIR = "schemas/iati-2.03"
SCHEMA_FILE = "iati-activities-schema.xsd"
#: IATI DescriptionType 1: the general description.
GENERAL_DESCRIPTION = "1"
MEDIA_TYPE = "application/xml"


@dataclass(frozen=True)
class SchemaError:
    """A place where a document breaks the IATI schema."""

    line: int
    path: str
    message: str


_schema_lock = threading.Lock()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    # The schema includes iati-common.xsd and imports xml.xsd by relative location, so it is
    # parsed from its file; network access stays off.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    with resources.as_file(resources.files("healthbridge").joinpath(SCHEMA_DIR)) as directory:
        document = etree.parse(str(directory / SCHEMA_FILE), parser)
        return etree.XMLSchema(document)


def schema_errors(document: etree._ElementTree) -> list[SchemaError]:
    """Where ``document`` breaks ``iati-activities-schema.xsd`` (empty when it is valid)."""
    with _schema_lock:
        schema = _schema()
        if schema.validate(document):
            return []
        return [
            SchemaError(line=e.line, path=e.path or "", message=e.message) for e in schema.error_log
        ]


def _ordered(texts: dict[str, str], default_language: str) -> list[tuple[str, str]]:
    return sorted(texts.items(), key=lambda item: (item[0] != default_language, item[0]))


class ActivityWriter:
    """Builds the ``iati-activity`` elements of projects."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference

    def narratives(self, parent: etree._Element, texts: dict[str, str], language: str) -> None:
        for lang, text in _ordered(texts, language):
            narrative = etree.SubElement(parent, "narrative")
            narrative.set(XML_LANG, lang)
            narrative.text = text

    def text_element(
        self, parent: etree._Element, name: str, texts: dict[str, str], language: str
    ) -> etree._Element | None:
        if not texts:
            return None
        element = etree.SubElement(parent, name)
        self.narratives(element, texts, language)
        return element

    def activity(self, project: Project) -> etree._Element:
        lang = project.default_language
        activity = etree.Element("iati-activity")
        activity.set(XML_LANG, lang)
        activity.set("default-currency", project.default_currency)
        etree.SubElement(activity, "iati-identifier").text = project.iati_identifier
        reporting = etree.SubElement(activity, "reporting-org")
        reporting.set("ref", project.reporting_org_ref)
        reporting.set("type", project.reporting_org_type)
        reporting.set(HB_ORGANISATION, project.reporting_org_code)
        name = self.reference.organisation_name(project.reporting_org_code)
        self.narratives(reporting, {"en": name}, lang)
        self.text_element(activity, "title", project.texts("title"), lang)
        description = self.text_element(activity, "description", project.texts("description"), lang)
        assert description is not None  # a project always has a description
        description.set("type", GENERAL_DESCRIPTION)
        for org in project.participating_orgs:
            element = etree.SubElement(activity, "participating-org")
            _set(element, ref=org.ref, type=org.type, role=str(org.role))
            if org.organisation_code:
                element.set(HB_ORGANISATION, org.organisation_code)
            self.narratives(element, org.name, lang)
        etree.SubElement(activity, "activity-status").set("code", str(project.activity_status))
        for date in project.activity_dates:
            _set(
                etree.SubElement(activity, "activity-date"),
                type=str(date.type),
                **{"iso-date": date.iso_date.isoformat()},
            )
        for recipient in project.recipient_countries:
            element = etree.SubElement(activity, "recipient-country")
            facts = self.reference.countries[recipient.country_code]
            _set(element, code=facts.alpha2, percentage=_maybe(recipient.percentage))
        for sector in project.sectors:
            element = etree.SubElement(activity, "sector")
            _set(
                element,
                vocabulary=sector.vocabulary,
                code=sector.code,
                percentage=_maybe(sector.percentage),
            )
            self.narratives(element, {"en": codelists.purpose_name(sector.code)}, lang)
        for budget in project.budgets:
            element = etree.SubElement(activity, "budget")
            _set(element, type=str(budget.type), status=str(budget.status))
            _date(element, "period-start", budget.period_start)
            _date(element, "period-end", budget.period_end)
            _value(element, budget.value, budget.currency, budget.value_date)
        for transaction in project.transactions:
            self.transaction(activity, transaction, lang)
        for result in project.results:
            self.result(activity, result, lang)
        return activity

    def transaction(self, parent: etree._Element, t: Transaction, lang: str) -> None:
        element = etree.SubElement(parent, "transaction")
        etree.SubElement(element, "transaction-type").set("code", str(t.type))
        _date(element, "transaction-date", t.transaction_date)
        _value(element, t.value, t.currency, t.value_date)
        self.text_element(element, "description", t.description, lang)
        for side, ref, type_, name in (
            ("provider-org", t.provider_org_ref, t.provider_org_type, t.provider_org_name),
            ("receiver-org", t.receiver_org_ref, t.receiver_org_type, t.receiver_org_name),
        ):
            if ref is None and type_ is None and not name:
                continue
            org = etree.SubElement(element, side)
            _set(org, ref=ref, type=type_)
            self.narratives(org, name, lang)

    def result(self, parent: etree._Element, result: Result, lang: str) -> None:
        element = etree.SubElement(parent, "result")
        element.set("type", str(result.type))
        self.text_element(element, "title", result.title, lang)
        self.text_element(element, "description", result.description, lang)
        for indicator in result.indicators:
            self.indicator(element, indicator, lang)

    def indicator(self, parent: etree._Element, indicator: Indicator, lang: str) -> None:
        element = etree.SubElement(parent, "indicator")
        _set(element, measure=str(indicator.measure), ascending=_bool(indicator.ascending))
        self.text_element(element, "title", indicator.title, lang)
        self.text_element(element, "description", indicator.description, lang)
        if indicator.baseline_year is not None:
            baseline = etree.SubElement(element, "baseline")
            iso_date = indicator.baseline_iso_date
            _set(
                baseline,
                year=str(indicator.baseline_year),
                value=indicator.baseline_value,
                **{"iso-date": iso_date.isoformat() if iso_date else None},
            )
        for period in indicator.periods:
            element_period = etree.SubElement(element, "period")
            _date(element_period, "period-start", period.period_start)
            _date(element_period, "period-end", period.period_end)
            for name, value in (("target", period.target_value), ("actual", period.actual_value)):
                if value is not None:
                    etree.SubElement(element_period, name).set("value", value)


def _set(element: etree._Element, **attributes: str | None) -> None:
    for name, value in attributes.items():
        if value is not None:
            element.set(name, value)


def _maybe(value: Decimal | None) -> str | None:
    return None if value is None else plain_number(value)


def _bool(value: bool) -> str:
    return "1" if value else "0"


def _date(parent: etree._Element, name: str, value: dt.date) -> None:
    etree.SubElement(parent, name).set("iso-date", value.isoformat())


def _value(
    parent: etree._Element, value: Decimal, currency: str | None, value_date: dt.date
) -> None:
    element = etree.SubElement(parent, "value")
    _set(element, currency=currency, **{"value-date": value_date.isoformat()})
    element.text = plain_number(value)


def activities_document(
    projects_: Sequence[Project], *, reference: ReferenceData, generated: dt.datetime
) -> etree._ElementTree:
    """The ``iati-activities`` document of ``projects_`` (at least one)."""
    root = etree.Element("iati-activities", nsmap={"hb": HB_NS})
    root.set("version", IATI_VERSION)
    root.set("generated-datetime", generated.astimezone(dt.UTC).isoformat(timespec="seconds"))
    writer = ActivityWriter(reference)
    for project in projects_:
        root.append(writer.activity(project))
    return etree.ElementTree(root)


def serialise(document: etree._ElementTree) -> bytes:
    """The document as UTF-8 bytes with an XML declaration, indented."""
    etree.indent(document, space="  ")
    data: bytes = etree.tostring(
        document, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data


def export_activities(
    *,
    session: Session,
    actor: Principal,
    identifier: str | None = None,
    generated: dt.datetime | None = None,
) -> bytes:
    """Every project (or the one with ``identifier``) as an IATI 2.03 activity file.

    Raises :class:`NotFound` when there is nothing to export (an IATI file holds at least one
    activity), and :class:`RuntimeError` if the document would not validate: that is a bug here,
    never a file to publish.
    """
    found = projects.projects_for_export(session=session, actor=actor, identifier=identifier)
    if not found:
        raise NotFound("there are no projects to export: an IATI file holds at least one")
    reference = projects.reference_data(session=session, actor=actor)
    document = activities_document(
        found, reference=reference, generated=generated or dt.datetime.now(dt.UTC)
    )
    errors = schema_errors(document)
    if errors:
        raise RuntimeError(f"the IATI export does not validate: {_first(errors)}")
    return serialise(document)


def _first(errors: Iterable[SchemaError]) -> str:
    error = next(iter(errors))
    return f"line {error.line}: {error.message}"
