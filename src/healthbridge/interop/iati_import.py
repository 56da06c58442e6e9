"""Reading IATI 2.03 activity files into cooperation projects: safe, atomic and idempotent.

1. The bytes are parsed by lxml with entity resolution, network access and DTD loading off and
   the huge-tree safeguards on; a document with a DOCTYPE is refused outright.
2. The document is validated against ``iati-activities-schema.xsd``; each error names its line.
3. Each ``iati-activity`` becomes a :class:`ProjectCreate` and is checked like any other input;
   every problem names the activity (its ``iati-identifier``), the element or attribute, and
   the line.
4. Only when the whole file is right is anything written: each activity is created, replaced,
   or left alone when it is stored exactly so already (so the same file twice stores it once).
   The caller owns the transaction, so the file lands whole or not at all.

What HealthBridge does not keep (recipient regions, locations, policy markers, other description
types ...) is read past, not refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy.orm import Session

from healthbridge.audit import service as audit
from healthbridge.cooperation.projects import codelists
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.projects.schemas import ImportReport, ProjectCreate
from healthbridge.cooperation.projects.validation import ReferenceData, check_project
from healthbridge.errors import FieldError, Invalid
from healthbridge.interop.iati import (
    GENERAL_DESCRIPTION,
    HB_NS,
    HB_ORGANISATION,
    XML_LANG,
    schema_errors,
)
from healthbridge.policy import Action, Principal, authorize

#: How many problems an error lists before it says how many more there are.
MAX_REPORTED = 25


@dataclass(frozen=True)
class Place:
    """Where a value came from: an element or attribute path inside its activity, and a line."""

    path: str
    line: int | None


def parse(data: bytes) -> etree._ElementTree:
    """Parse an IATI file without resolving entities, reading DTDs or touching the network."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if _has_doctype(data):
            # libxml2 gives up on an entity bomb with its own words; say what is refused.
            raise _doctype_refused() from None
        line = exc.lineno or None
        raise Invalid(
            f"the file is not well-formed XML (line {line}): {exc.msg}",
            errors=[FieldError("file", f"not well-formed XML: {exc.msg}", row=line)],
        ) from None
    if root is None:
        raise Invalid("the file is empty", errors=[FieldError("file", "empty")])
    document = root.getroottree()
    if document.docinfo.doctype:
        raise _doctype_refused()
    return document


#: ``<!DOCTYPE`` as the bytes of the encodings an XML file can be in without a declaration.
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be"))


def _has_doctype(data: bytes) -> bool:
    """Whether ``data`` holds a DOCTYPE declaration (or the text of one)."""
    return any(marker in data for marker in _DOCTYPE_MARKERS)


def _doctype_refused() -> Invalid:
    return Invalid(
        "the file has a DOCTYPE declaration, which IATI files do not use: refused",
        errors=[FieldError("file", "DOCTYPE declarations are not accepted", row=1)],
    )


def read_activities(
    document: etree._ElementTree, *, reference: ReferenceData
) -> list[ProjectCreate]:
    """The checked projects of a schema-valid document; :class:`Invalid` naming every problem
    (activity, element or attribute, line) when any activity is wrong."""
    errors: list[FieldError] = []
    found: list[ProjectCreate] = []
    seen: dict[str, int] = {}
    ours = HB_NS in document.getroot().nsmap.values()
    for index, element in enumerate(document.getroot().iterfind("iati-activity"), start=1):
        reader = ActivityReader(element, index=index, reference=reference, ours=ours)
        payload = reader.payload()
        identifier = reader.identifier
        if identifier in seen:
            reader.fail("iati_identifier", f"is also the identifier of activity {seen[identifier]}")
        seen.setdefault(identifier, index)
        if not reader.errors:
            try:
                project_in = ProjectCreate.model_validate(payload)
            except ValidationError as exc:
                for e in exc.errors():
                    reader.fail(".".join(str(p) for p in e["loc"]), e["msg"])
            else:
                checked, problems = check_project(reference=reference, project_in=project_in)
                for problem in problems:
                    reader.fail(problem.field, problem.message)
                found.append(checked)
        errors.extend(reader.errors)
    if errors:
        raise _rejected(errors)
    return found


def import_activities(*, session: Session, actor: Principal, data: bytes) -> ImportReport:
    """Import an IATI activity file (upsert by ``iati-identifier``); writes nothing unless the
    whole file is right. The caller commits once."""
    authorize(actor, Action.PROJECT_WRITE, object_type="project")
    document = parse(data)
    problems = schema_errors(document)
    if problems:
        located = _activities_by_line(document)
        raise _rejected(
            [
                FieldError(
                    _schema_field(located, p.line, p.path), p.message.strip(), row=p.line or None
                )
                for p in problems
            ]
        )
    reference = projects.reference_data(session=session, actor=actor)
    checked = read_activities(document, reference=reference)
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    for project_in in checked:
        outcomes[projects.save_checked(session=session, actor=actor, project_in=project_in)] += 1
    report = ImportReport(**outcomes, identifiers=[p.iati_identifier for p in checked])
    audit.record(
        session=session,
        actor=actor,
        action="project.import",
        object_type="project",
        detail={"format": "IATI 2.03", **outcomes, "activities": len(checked)},
    )
    return report


def _rejected(errors: list[FieldError]) -> Invalid:
    first = errors[0]
    where = f"{first.field}" + (f" (line {first.row})" if first.row else "")
    others = len(errors) - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    shown = errors[:MAX_REPORTED]
    if len(errors) > MAX_REPORTED:
        shown.append(FieldError("file", f"{len(errors) - MAX_REPORTED} more problem(s)"))
    return Invalid(
        f"the IATI file was not imported, nothing was changed: {where}: {first.message}{more}",
        errors=shown,
    )


def _activities_by_line(document: etree._ElementTree) -> list[tuple[int, str]]:
    out = []
    for index, element in enumerate(document.getroot().iterfind("iati-activity"), start=1):
        identifier = (element.findtext("iati-identifier") or "").strip() or f"#{index}"
        out.append((element.sourceline or 0, identifier))
    return out


_IN_ACTIVITY = re.compile(r"^/iati-activities/iati-activity(?:\[(\d+)\])?(?:/(.*))?$")


def _schema_field(located: list[tuple[int, str]], line: int, path: str) -> str:
    """``iati-activity[<identifier>]/<element path>`` for a schema error, or its whole path
    when it is outside every activity."""
    match = _IN_ACTIVITY.match(path)
    if match is not None:
        index = int(match.group(1) or 1)
        identifier = located[index - 1][1] if index <= len(located) else f"#{index}"
        inner = match.group(2)
        return f"iati-activity[{identifier}]" + (f"/{inner}" if inner else "")
    before = [name for start, name in located if 0 < start <= line]
    if before and not path:
        return f"iati-activity[{before[-1]}]"
    return path or "file"


# --- one activity ---------------------------------------------------------------------------

#: How input field names are written in IATI XML, for naming a field inside an element.
_XML_NAMES = {
    "iso_date": "@iso-date",
    "percentage": "@percentage",
    "code": "@code",
    "country": "@code",
    "role": "@role",
    "type": "@type",
    "ref": "@ref",
    "status": "@status",
    "measure": "@measure",
    "year": "@year",
    "value_date": "value/@value-date",
    "currency": "value/@currency",
    "target_value": "target/@value",
    "actual_value": "actual/@value",
    "period_start": "period-start/@iso-date",
    "period_end": "period-end/@iso-date",
    "transaction_date": "transaction-date/@iso-date",
    "name": "narrative",
    "iati_identifier": "iati-identifier",
    "default_language": "@xml:lang",
    "default_currency": "@default-currency",
    "reporting_org": "reporting-org",
    "activity_status": "activity-status/@code",
    "participating_orgs": "participating-org",
    "activity_dates": "activity-date",
    "recipient_countries": "recipient-country",
    "sectors": "sector",
    "budgets": "budget",
    "transactions": "transaction",
    "results": "result",
    "indicators": "indicator",
    "periods": "period",
}


def _bool(value: str | None) -> bool | str:
    if value is None:
        return True
    return {"true": True, "1": True, "false": False, "0": False}.get(value.strip(), value)


class ActivityReader:
    """Turns one ``iati-activity`` element into the input of a project, remembering where each
    value came from so that problems can be named by element and line."""

    def __init__(
        self, element: etree._Element, *, index: int, reference: ReferenceData, ours: bool
    ) -> None:
        self.element = element
        self.reference = reference
        #: Our own exports carry our organisation codes; others' files are matched by ref/name.
        self.ours = ours
        self.identifier = (element.findtext("iati-identifier") or "").strip() or f"#{index}"
        self.language = (element.get(XML_LANG) or "en").lower()
        self.places: dict[str, Place] = {"": Place("", element.sourceline)}
        self.errors: list[FieldError] = []

    def at(self, key: str, path: str, element: etree._Element) -> None:
        self.places[key] = Place(path, element.sourceline)

    def fail(self, field: str, message: str) -> None:
        parts = field.split(".") if field else []
        for cut in range(len(parts), -1, -1):
            place = self.places.get(".".join(parts[:cut]))
            if place is not None:
                rest = [_XML_NAMES.get(p, p.replace("_", "-")) for p in parts[cut:]]
                path = "/".join(x for x in [place.path, *rest] if x) or "iati-activity"
                self.errors.append(
                    FieldError(f"iati-activity[{self.identifier}]/{path}", message, place.line)
                )
                return

    def narratives(self, key: str, element: etree._Element | None) -> dict[str, str]:
        texts: dict[str, str] = {}
        if element is None:
            return texts
        for narrative in element.iterfind("narrative"):
            lang = (narrative.get(XML_LANG) or self.language).lower()
            if lang in texts:
                self.fail(key, f"two narratives in the language '{lang}'")
            texts[lang] = narrative.text or ""
        return texts

    def payload(self) -> dict[str, Any]:
        """The activity as the input of :class:`ProjectCreate`."""
        a = self.element
        self.at("iati_identifier", "iati-identifier", a.find("iati-identifier"))
        currency = a.get("default-currency")
        if currency is None:
            self.fail("default_currency", "HealthBridge needs the activity's default-currency")
        title = a.find("title")
        self.at("title", "title", title)
        return {
            "iati_identifier": self.identifier,
            "default_language": self.language,
            "default_currency": currency or "",
            "reporting_org": self.reporting_org(),
            "title": self.narratives("title", title),
            "description": self.description(),
            "activity_status": a.find("activity-status").get("code"),
            "participating_orgs": list(self.participating_orgs()),
            "activity_dates": list(self.activity_dates()),
            "recipient_countries": list(self.recipient_countries()),
            "sectors": list(self.sectors()),
            "budgets": [self.budget(i, e) for i, e in enumerate(a.iterfind("budget"))],
            "transactions": [
                self.transaction(i, e) for i, e in enumerate(a.iterfind("transaction"))
            ],
            "results": [self.result(i, e) for i, e in enumerate(a.iterfind("result"))],
        }

    def child(self, key: str, name: str, i: int, element: etree._Element) -> None:
        self.at(key, f"{name}[{i + 1}]", element)
        if i == 0:  # problems of the whole list (shares not summing to 100) point at its first
            self.at(key.rsplit(".", 1)[0], name, element)

    def organisation_code(self, element: etree._Element, ref: str | None) -> str | None:
        code = element.get(HB_ORGANISATION)
        if code is not None or self.ours:
            return code
        if ref and (known := codelists.organisation_of_ref(ref)):
            return known
        names = set(self.narratives("", element).values())
        for facts in self.reference.organisations.values():
            if facts.name in names:
                return facts.code
        return None

    def reporting_org(self) -> dict[str, Any]:
        element = self.element.find("reporting-org")
        self.at("reporting_org", "reporting-org", element)
        ref = element.get("ref")
        code = self.organisation_code(element, ref)
        if code is None:
            names = ", ".join(self.narratives("reporting_org", element).values())
            self.fail(
                "reporting_org",
                f"the reporting organisation {ref} ({names}) is not one of HealthBridge's "
                "organisations (give its code in the hb:organisation attribute)",
            )
        return {"code": code or "", "ref": ref, "type": element.get("type")}

    def description(self) -> dict[str, str]:
        descriptions = list(self.element.iterfind("description"))
        general = [d for d in descriptions if d.get("type", GENERAL_DESCRIPTION) == "1"]
        chosen = (general or descriptions)[0]
        self.at("description", f"description[{descriptions.index(chosen) + 1}]", chosen)
        return self.narratives("description", chosen)

    def activity_dates(self) -> Iterator[dict[str, Any]]:
        for i, e in enumerate(self.element.iterfind("activity-date")):
            self.child(f"activity_dates.{i}", "activity-date", i, e)
            yield {"type": e.get("type"), "iso_date": e.get("iso-date")}

    def participating_orgs(self) -> Iterator[dict[str, Any]]:
        for i, e in enumerate(self.element.iterfind("participating-org")):
            key = f"participating_orgs.{i}"
            self.child(key, "participating-org", i, e)
            ref = e.get("ref")
            yield {
                "role": e.get("role"),
                "ref": ref,
                "type": e.get("type"),
                "name": self.narratives(f"{key}.name", e),
                "organisation_code": self.organisation_code(e, ref),
            }

    def recipient_countries(self) -> Iterator[dict[str, Any]]:
        for i, e in enumerate(self.element.iterfind("recipient-country")):
            key = f"recipient_countries.{i}"
            self.child(key, "recipient-country", i, e)
            alpha2 = (e.get("code") or "").upper()
            country = self.reference.by_alpha2.get(alpha2)
            if country is None:
                self.fail(f"{key}.country", f"'{alpha2}' is not one of the served countries")
            yield {"country": country or alpha2, "percentage": e.get("percentage")}

    def sectors(self) -> Iterator[dict[str, Any]]:
        for i, e in enumerate(self.element.iterfind("sector")):
            key = f"sectors.{i}"
            self.child(key, "sector", i, e)
            vocabulary = e.get("vocabulary", codelists.DAC_VOCABULARY)
            if vocabulary != codelists.DAC_VOCABULARY:
                self.fail(
                    f"{key}.vocabulary",
                    f"sector vocabulary '{vocabulary}' is not kept: use 1 (OECD DAC 5-digit)",
                )
            yield {"code": e.get("code"), "percentage": e.get("percentage")}

    def value(self, element: etree._Element) -> dict[str, Any]:
        value = element.find("value")
        return {
            "value": (value.text or "").strip(),
            "currency": value.get("currency"),
            "value_date": value.get("value-date"),
        }

    def budget(self, i: int, e: etree._Element) -> dict[str, Any]:
        self.child(f"budgets.{i}", "budget", i, e)
        return {
            "type": e.get("type", "1"),
            "status": e.get("status", "1"),
            "period_start": e.find("period-start").get("iso-date"),
            "period_end": e.find("period-end").get("iso-date"),
            **self.value(e),
        }

    def transaction(self, i: int, e: etree._Element) -> dict[str, Any]:
        key = f"transactions.{i}"
        self.child(key, "transaction", i, e)
        out = {
            "type": e.find("transaction-type").get("code"),
            "transaction_date": e.find("transaction-date").get("iso-date"),
            **self.value(e),
            "description": self.narratives(f"{key}.description", e.find("description")),
        }
        for side in ("provider_org", "receiver_org"):
            org = e.find(side.replace("_", "-"))
            out[side] = (
                None
                if org is None
                else {
                    "ref": org.get("ref"),
                    "type": org.get("type"),
                    "name": self.narratives(f"{key}.{side}.name", org),
                }
            )
        return out

    def result(self, i: int, e: etree._Element) -> dict[str, Any]:
        key = f"results.{i}"
        self.child(key, "result", i, e)
        indicators = []
        for j, indicator in enumerate(e.iterfind("indicator")):
            indicators.append(self.indicator(f"{key}.indicators.{j}", j, indicator))
        return {
            "type": e.get("type"),
            "title": self.narratives(f"{key}.title", e.find("title")),
            "description": self.narratives(f"{key}.description", e.find("description")),
            "indicators": indicators,
        }

    def indicator(self, key: str, j: int, e: etree._Element) -> dict[str, Any]:
        parent = self.places[key.rsplit(".indicators", 1)[0]].path
        self.at(key, f"{parent}/indicator[{j + 1}]", e)
        baselines = e.findall("baseline")
        if len(baselines) > 1:
            self.fail(f"{key}.baseline", "HealthBridge keeps one baseline per indicator")
        baseline = None
        if baselines:
            b = baselines[0]
            self.at(f"{key}.baseline", f"{self.places[key].path}/baseline", b)
            baseline = {
                "year": b.get("year"),
                "iso_date": b.get("iso-date"),
                "value": b.get("value"),
            }
        periods = []
        for k, p in enumerate(e.iterfind("period")):
            self.at(f"{key}.periods.{k}", f"{self.places[key].path}/period[{k + 1}]", p)
            values = {}
            for name in ("target", "actual"):
                found = p.findall(name)
                if len(found) > 1:
                    self.fail(f"{key}.periods.{k}.{name}_value", f"more than one {name}")
                values[f"{name}_value"] = found[0].get("value") if found else None
            periods.append(
                {
                    "period_start": p.find("period-start").get("iso-date"),
                    "period_end": p.find("period-end").get("iso-date"),
                    **values,
                }
            )
        return {
            "measure": e.get("measure"),
            "ascending": _bool(e.get("ascending")),
            "title": self.narratives(f"{key}.title", e.find("title")),
            "description": self.narratives(f"{key}.description", e.find("description")),
            "baseline": baseline,
            "periods": periods,
        }
