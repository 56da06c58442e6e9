"""CAP 1.2 alerts: a plain model of an alert, its XML, and the schema it obeys.

The Common Alerting Protocol (OASIS Standard CAP-V1.2, 1 July 2010) is how HealthBridge hands an
alert to other warning systems. This module is pure: no database, no web. An :class:`Alert` holds
what an alert says in CAP's own words (``msg_type`` for ``msgType``, ``area_desc`` for
``areaDesc``); :func:`write_cap` checks it against the rules of the specification, writes the XML
(UTF-8, namespace :data:`CAP_NS`, elements in the order of the XSD sequence) and validates the
result against the shipped ``schemas/cap-1.2/cap12.xsd`` before returning it. :func:`validate_cap`
checks any document against that schema.

What the writer checks beyond the XSD (section numbers of the specification):

- ``identifier`` and ``sender`` are not empty and hold no whitespace, comma, ``<`` or ``&``
  (3.2.1), and neither do the parts of each reference;
- date-times are aware and written ``2026-11-26T10:00:00+07:00``: whole seconds, the value's own
  offset (``+00:00`` for UTC, never ``Z`` or ``-00:00``; 3.3.2). An offset CAP cannot carry (one
  with seconds, or beyond ±14:00) is written as the same instant in UTC;
- a ``Restricted`` alert has a ``restriction``, a ``Private`` one ``addresses`` (3.2.1);
- ``Update``, ``Cancel``, ``Ack`` and ``Error`` messages have ``references`` (3.2.1, msgType);
- ``language`` is an RFC 3066 tag, ``web`` an absolute http(s) URL, polygons have at least four
  WGS 84 points with the first and last equal, circles a radius in kilometres (3.2.2, 3.2.4);
- every text holds only characters XML 1.0 can carry (section 2.2 of XML 1.0): a text with any
  other character (NUL, most C0 controls, lone surrogates, U+FFFE, U+FFFF) is refused with
  :class:`Invalid` naming the field, never stripped: what an alert says is not changed silently.
  Markup characters are escaped by the serialiser. Optional texts that are empty are left out.

:func:`healthbridge.interop.cap_ratings.cap_assessment` maps our risk vocabulary to CAP's
``severity``, ``urgency`` and ``certainty``; the mapping and its sources are in its docstring.

How to wire (events helper / lead): build an :class:`Alert` from a published event (one
:class:`Info` per language, the event's areas as :class:`Area` with :meth:`ValuePair.iso3166_2`
geocodes), call :func:`write_cap` and serve the bytes as :data:`MEDIA_TYPE`
(``healthbridge export cap EVENT`` prints them; the alert page links them). An update or
cancellation carries ``references=(Reference.of(previous_alert),)``. :class:`Invalid` from
:func:`write_cap` names the field at fault (``info[0].headline``) and is a client error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal, TypeGuard, get_args
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]

from healthbridge.errors import FieldError, Invalid

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
MEDIA_TYPE = "application/cap+xml"
SCHEMA_DIR = "schemas/cap-1.2"
SCHEMA_FILE = "cap12.xsd"
#: ``valueName`` of a geocode holding an ISO 3166-2 code (``TH-10``).
ISO3166_2 = "ISO3166-2"

Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
MsgType = Literal["Alert", "Update", "Cancel", "Ack", "Error"]
Scope = Literal["Public", "Restricted", "Private"]
Category = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
ResponseType = Literal[
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None"
]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]

STATUSES: tuple[Status, ...] = get_args(Status)
MSG_TYPES: tuple[MsgType, ...] = get_args(MsgType)
SCOPES: tuple[Scope, ...] = get_args(Scope)
CATEGORIES: tuple[Category, ...] = get_args(Category)
RESPONSE_TYPES: tuple[ResponseType, ...] = get_args(ResponseType)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
CERTAINTIES: tuple[Certainty, ...] = get_args(Certainty)

#: Characters outside XML 1.0's ``Char`` production (lone surrogates included).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Not allowed in identifier and sender (CAP 1.2 section 3.2.1), nor in reference parts.
_NOT_IN_IDENTIFIER = re.compile(r"[\s,<&]")
#: ``xs:language`` (RFC 3066), the type of ``language``.
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_ISO3166_2 = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
_MAX_OFFSET = dt.timedelta(hours=14)


@dataclass(frozen=True)
class ValuePair:
    """A ``valueName``/``value`` pair: a ``parameter``, ``eventCode`` or area ``geocode``."""

    value_name: str
    value: str

    @classmethod
    def iso3166_2(cls, code: str) -> ValuePair:
        """The geocode of a subdivision by its ISO 3166-2 code (``TH-10``)."""
        if _ISO3166_2.fullmatch(code) is None:
            raise Invalid(
                f"'{code}' is not an ISO 3166-2 code (e.g. TH-10)",
                errors=[FieldError("geocode", "not an ISO 3166-2 code (e.g. TH-10)")],
            )
        return cls(ISO3166_2, code)


@dataclass(frozen=True)
class Circle:
    """A circle: centre in WGS 84 degrees, radius in kilometres (CAP 1.2 section 3.2.4)."""

    latitude: float
    longitude: float
    radius_km: float


#: A WGS 84 point as CAP writes it: (latitude, longitude) in degrees.
Point = tuple[float, float]


@dataclass(frozen=True)
class Area:
    """An ``area``: a description, and optionally its shapes and geocodes."""

    area_desc: str
    polygons: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[ValuePair, ...] = ()


@dataclass(frozen=True)
class Info:
    """An ``info`` block: the alert in one language."""

    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    language: str = "en"
    categories: tuple[Category, ...] = ("Health",)
    response_types: tuple[ResponseType, ...] = ()
    audience: str | None = None
    event_codes: tuple[ValuePair, ...] = ()
    effective: dt.datetime | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[ValuePair, ...] = ()
    areas: tuple[Area, ...] = ()


@dataclass(frozen=True)
class Reference:
    """An earlier message, as ``references`` names it: ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: dt.datetime

    @classmethod
    def of(cls, alert: Alert) -> Reference:
        """The reference to ``alert``, for an update, cancellation or acknowledgement of it."""
        return cls(alert.sender, alert.identifier, alert.sent)

    def text(self) -> str:
        """``sender,identifier,sent``, the sent time written exactly as in the original alert."""
        return f"{self.sender},{self.identifier},{cap_datetime(self.sent)}"


@dataclass(frozen=True)
class Alert:
    """A CAP 1.2 ``alert`` message."""

    identifier: str
    sender: str
    sent: dt.datetime
    status: Status
    msg_type: MsgType
    scope: Scope
    source: str | None = None
    restriction: str | None = None
    #: Each address whole; those with spaces are written in double quotes.
    addresses: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    #: Incident identifiers; those with spaces are written in double quotes.
    incidents: tuple[str, ...] = ()
    infos: tuple[Info, ...] = ()


# --- checking ---------------------------------------------------------------------------------


def cap_datetime(value: dt.datetime) -> str:
    """``value`` as CAP writes date-times: ``2026-11-26T10:00:00+00:00``, whole seconds.

    The value keeps its own offset when CAP can carry it (whole minutes, at most ±14:00);
    otherwise the same instant is written in UTC. Raises :class:`ValueError` for a naive value.
    """
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a CAP date-time needs a UTC offset (an aware datetime)")
    if offset % dt.timedelta(minutes=1) or abs(offset) > _MAX_OFFSET:
        value = value.astimezone(dt.UTC)
    return value.replace(microsecond=0).isoformat()


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(self, field: str, value: object, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.fail(field, "is required")
            return
        if not isinstance(value, str):
            self.fail(field, "must be a text")
            return
        bad = _NOT_XML.search(value)
        if bad is not None:
            self.fail(
                field,
                f"holds U+{ord(bad.group()):04X} at position {bad.start()}, "
                "a character XML cannot carry",
            )
        elif required and not value.strip():
            self.fail(field, "must not be blank")

    def token(self, field: str, value: object) -> None:
        """An identifier or sender: no whitespace, comma, '<' or '&' (CAP 1.2 section 3.2.1)."""
        self.text(field, value, required=True)
        if isinstance(value, str) and _NOT_IN_IDENTIFIER.search(value):
            self.fail(field, "must not hold spaces, commas, '<' or '&'")

    def quoted_list(self, field: str, values: tuple[str, ...]) -> None:
        for i, value in enumerate(values):
            self.text(f"{field}[{i}]", value, required=True)
            if isinstance(value, str) and '"' in value:
                self.fail(f"{field}[{i}]", "must not hold a double quote")

    def choice(self, field: str, value: object, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            self.fail(field, f"'{value}' is not one of {', '.join(allowed)}")

    def moment(self, field: str, value: object, *, required: bool = False) -> None:
        if value is None:
            if required:
                self.fail(field, "is required")
            return
        if not isinstance(value, dt.datetime):
            self.fail(field, "must be a date-time")
        elif value.utcoffset() is None:
            self.fail(field, "must be an aware date-time (with a UTC offset)")
        else:
            try:
                cap_datetime(value)
            except OverflowError:
                self.fail(field, "is out of range once written in UTC")

    def number(self, field: str, value: object, low: float, high: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, "must be a number")
        elif not (math.isfinite(value) and low <= value <= high):
            self.fail(field, f"must be between {low:g} and {high:g}")

    def pairs(self, field: str, pairs: tuple[ValuePair, ...]) -> None:
        for i, pair in enumerate(pairs):
            self.text(f"{field}[{i}].valueName", pair.value_name, required=True)
            self.text(f"{field}[{i}].value", pair.value, required=True)

    def alert(self, alert: Alert) -> None:
        self.token("identifier", alert.identifier)
        self.token("sender", alert.sender)
        self.moment("sent", alert.sent, required=True)
        self.choice("status", alert.status, STATUSES)
        self.choice("msgType", alert.msg_type, MSG_TYPES)
        self.choice("scope", alert.scope, SCOPES)
        for name, value in (
            ("source", alert.source),
            ("restriction", alert.restriction),
            ("note", alert.note),
        ):
            self.text(name, value)
        if alert.scope == "Restricted" and not alert.restriction:
            self.fail("restriction", "is required when scope is Restricted")
        if alert.scope == "Private" and not alert.addresses:
            self.fail("addresses", "are required when scope is Private")
        self.quoted_list("addresses", alert.addresses)
        self.quoted_list("incidents", alert.incidents)
        for i, code in enumerate(alert.codes):
            self.text(f"code[{i}]", code, required=True)
        if alert.msg_type in ("Update", "Cancel", "Ack", "Error") and not alert.references:
            self.fail("references", f"are required for a {alert.msg_type} message")
        for i, reference in enumerate(alert.references):
            self.token(f"references[{i}].sender", reference.sender)
            self.token(f"references[{i}].identifier", reference.identifier)
            self.moment(f"references[{i}].sent", reference.sent, required=True)
        for i, info in enumerate(alert.infos):
            self.info(f"info[{i}]", info)

    def info(self, at: str, info: Info) -> None:
        if not isinstance(info.language, str) or _LANGUAGE.fullmatch(info.language) is None:
            self.fail(f"{at}.language", "must be a language tag (RFC 3066), e.g. en or th-TH")
        if not info.categories:
            self.fail(f"{at}.category", "at least one is required")
        for category in info.categories:
            self.choice(f"{at}.category", category, CATEGORIES)
        self.text(f"{at}.event", info.event, required=True)
        for response_type in info.response_types:
            self.choice(f"{at}.responseType", response_type, RESPONSE_TYPES)
        self.choice(f"{at}.urgency", info.urgency, URGENCIES)
        self.choice(f"{at}.severity", info.severity, SEVERITIES)
        self.choice(f"{at}.certainty", info.certainty, CERTAINTIES)
        self.pairs(f"{at}.eventCode", info.event_codes)
        for name in ("effective", "onset", "expires"):
            self.moment(f"{at}.{name}", getattr(info, name))
        start, end = info.effective, info.expires
        if _aware(start) and _aware(end) and end <= start:
            self.fail(f"{at}.expires", "must be later than effective")
        for name, field in (
            ("audience", info.audience),
            ("senderName", info.sender_name),
            ("headline", info.headline),
            ("description", info.description),
            ("instruction", info.instruction),
            ("contact", info.contact),
        ):
            self.text(f"{at}.{name}", field)
        if info.web:
            self.text(f"{at}.web", info.web)
            if not _absolute_url(info.web):
                self.fail(f"{at}.web", "must be an absolute http(s) URL without spaces")
        self.pairs(f"{at}.parameter", info.parameters)
        for i, area in enumerate(info.areas):
            self.area(f"{at}.area[{i}]", area)

    def area(self, at: str, area: Area) -> None:
        self.text(f"{at}.areaDesc", area.area_desc, required=True)
        for i, polygon in enumerate(area.polygons):
            field = f"{at}.polygon[{i}]"
            if len(polygon) < 4:
                self.fail(field, "needs at least four points")
            elif polygon[0] != polygon[-1]:
                self.fail(field, "must end at its first point (a closed ring)")
            for latitude, longitude in polygon:
                self.number(f"{field}.latitude", latitude, -90, 90)
                self.number(f"{field}.longitude", longitude, -180, 180)
        for i, circle in enumerate(area.circles):
            field = f"{at}.circle[{i}]"
            self.number(f"{field}.latitude", circle.latitude, -90, 90)
            self.number(f"{field}.longitude", circle.longitude, -180, 180)
            self.number(f"{field}.radius", circle.radius_km, 0, 20037.5)
        self.pairs(f"{at}.geocode", area.geocodes)


def _aware(value: dt.datetime | None) -> TypeGuard[dt.datetime]:
    return isinstance(value, dt.datetime) and value.utcoffset() is not None


def _absolute_url(value: str) -> bool:
    if re.search(r"\s", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def alert_problems(alert: Alert) -> list[FieldError]:
    """What in ``alert`` breaks CAP 1.2 (empty when it can be written)."""
    checker = _Checker()
    checker.alert(alert)
    return checker.errors


# --- writing ----------------------------------------------------------------------------------


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _quoted(values: tuple[str, ...]) -> str:
    return " ".join(f'"{v}"' if re.search(r"\s", v) else v for v in values)


class _Writer:
    def __init__(self) -> None:
        self.root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})

    @staticmethod
    def add(parent: etree._Element, name: str, text: str | None) -> None:
        if text is None or text == "":
            return
        etree.SubElement(parent, f"{{{CAP_NS}}}{name}").text = text

    def pairs(self, parent: etree._Element, name: str, pairs: tuple[ValuePair, ...]) -> None:
        for pair in pairs:
            element = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
            self.add(element, "valueName", pair.value_name)
            self.add(element, "value", pair.value)

    def alert(self, alert: Alert) -> etree._Element:
        root = self.root
        self.add(root, "identifier", alert.identifier)
        self.add(root, "sender", alert.sender)
        self.add(root, "sent", cap_datetime(alert.sent))
        self.add(root, "status", alert.status)
        self.add(root, "msgType", alert.msg_type)
        self.add(root, "source", alert.source)
        self.add(root, "scope", alert.scope)
        self.add(root, "restriction", alert.restriction)
        self.add(root, "addresses", _quoted(alert.addresses))
        for code in alert.codes:
            self.add(root, "code", code)
        self.add(root, "note", alert.note)
        self.add(root, "references", " ".join(r.text() for r in alert.references))
        self.add(root, "incidents", _quoted(alert.incidents))
        for info in alert.infos:
            self.info(info)
        return root

    def info(self, info: Info) -> None:
        element = etree.SubElement(self.root, f"{{{CAP_NS}}}info")
        self.add(element, "language", info.language)
        for category in info.categories:
            self.add(element, "category", category)
        self.add(element, "event", info.event)
        for response_type in info.response_types:
            self.add(element, "responseType", response_type)
        self.add(element, "urgency", info.urgency)
        self.add(element, "severity", info.severity)
        self.add(element, "certainty", info.certainty)
        self.add(element, "audience", info.audience)
        self.pairs(element, "eventCode", info.event_codes)
        for name in ("effective", "onset", "expires"):
            moment = getattr(info, name)
            if moment is not None:
                self.add(element, name, cap_datetime(moment))
        self.add(element, "senderName", info.sender_name)
        self.add(element, "headline", info.headline)
        self.add(element, "description", info.description)
        self.add(element, "instruction", info.instruction)
        self.add(element, "web", info.web)
        self.add(element, "contact", info.contact)
        self.pairs(element, "parameter", info.parameters)
        for area in info.areas:
            self.area(element, area)

    def area(self, parent: etree._Element, area: Area) -> None:
        element = etree.SubElement(parent, f"{{{CAP_NS}}}area")
        self.add(element, "areaDesc", area.area_desc)
        for polygon in area.polygons:
            points = " ".join(f"{_number(lat)},{_number(lon)}" for lat, lon in polygon)
            self.add(element, "polygon", points)
        for c in area.circles:
            centre = f"{_number(c.latitude)},{_number(c.longitude)}"
            self.add(element, "circle", f"{centre} {_number(c.radius_km)}")
        self.pairs(element, "geocode", area.geocodes)


def write_cap(alert: Alert) -> bytes:
    """``alert`` as a CAP 1.2 XML document (UTF-8, with an XML declaration, indented).

    Raises :class:`Invalid` naming every field that breaks CAP 1.2 (nothing is written), and
    :class:`RuntimeError` if the document would not validate against ``cap12.xsd``: that is a bug
    here, never an alert to publish.
    """
    problems = alert_problems(alert)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(
            f"the CAP alert cannot be written: {first.field}: {first.message}{more}",
            errors=problems,
        )
    document = etree.ElementTree(_Writer().alert(alert))
    errors = _schema_errors(document)
    if errors:
        raise RuntimeError(f"the CAP alert does not validate against cap12.xsd: {errors[0]}")
    etree.indent(document, space="  ")
    data: bytes = etree.tostring(
        document, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data


# --- validating -------------------------------------------------------------------------------

_schema_lock = threading.Lock()


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    with resources.as_file(resources.files("healthbridge").joinpath(SCHEMA_DIR)) as directory:
        return etree.XMLSchema(etree.parse(str(directory / SCHEMA_FILE), parser))


#: Elements that may repeat: their field names carry an index, as the writer's do (``info[0]``).
_REPEATED = {
    "code", "info", "category", "responseType", "eventCode", "parameter", "resource", "area",
    "polygon", "circle", "geocode",
}  # fmt: skip


def _field(document: etree._ElementTree, path: str | None) -> str:
    """The field an XSD error path (``/*/*[4]``) points at, named as the writer names them."""
    try:
        found = document.xpath(path) if path else []
    except etree.XPathError:
        found = []
    if not found or not isinstance(found[0], etree._Element):
        return "alert"
    names: list[str] = []
    element = found[0]
    while element.getparent() is not None:
        name = etree.QName(element).localname
        if name in _REPEATED:
            same = [e for e in element.getparent() if e.tag == element.tag]
            name = f"{name}[{same.index(element)}]"
        names.append(name)
        element = element.getparent()
    return ".".join(reversed(names)) or "alert"


def _schema_errors(document: etree._ElementTree) -> list[FieldError]:
    with _schema_lock:
        schema = _schema()
        if schema.validate(document):
            return []
        log = list(schema.error_log)
    return [FieldError(_field(document, e.path), e.message, row=e.line) for e in log]


#: ``<!DOCTYPE`` as the bytes of the encodings an XML file can be in without a declaration.
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(e) for e in ("utf-8", "utf-16-le", "utf-16-be"))


def validate_cap(xml: bytes) -> None:
    """Check that ``xml`` is a CAP 1.2 alert valid against ``cap12.xsd``.

    Raises :class:`Invalid` when it is not well-formed (or declares a DOCTYPE, which is
    refused: no entity is ever expanded) or breaks the schema; its errors carry the XSD's
    messages, the element path as ``field`` and the line as ``row``.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    doctype_refused = Invalid(
        "the CAP alert has a DOCTYPE declaration: refused",
        errors=[FieldError("alert", "DOCTYPE declarations are not accepted", row=1)],
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        if any(marker in xml for marker in _DOCTYPE_MARKERS):
            # libxml2 gives up on an entity bomb with its own words; say what is refused.
            raise doctype_refused from None
        line = exc.lineno or None
        raise Invalid(
            f"the CAP alert is not well-formed XML (line {line}): {exc.msg}",
            errors=[FieldError("alert", f"not well-formed XML: {exc.msg}", row=line)],
        ) from None
    if root is None:
        raise Invalid("the CAP alert is empty", errors=[FieldError("alert", "empty")])
    document = root.getroottree()
    if document.docinfo.doctype:
        raise doctype_refused
    errors = _schema_errors(document)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise Invalid(
            f"the CAP alert does not validate against cap12.xsd: line {first.row}: "
            f"{first.message}{more}",
            errors=errors,
        )
