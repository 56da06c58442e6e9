"""Atom (RFC 4287) feed of public alerts: a pure function from plain records to feed XML.

Only what an alert feed needs, written with lxml so that every text is escaped:

- the feed has exactly one ``id``, ``title``, ``updated``, an ``author`` (so entries need none,
  section 4.1.1), a ``link rel="self"`` to its own URL, and optionally a ``link rel="alternate"``
  to the HTML list of alerts;
- each entry has exactly one ``id``, ``title``, ``updated``, a ``published`` and a ``summary``
  (plain text), a ``link rel="alternate" type="text/html"`` to the public alert page and a
  ``link rel="alternate" type="application/cap+xml"`` to the CAP document (two alternates are
  allowed because their types differ, section 4.2.7.2);
- entries are written newest first (by ``updated``, then ``published``, then ``id``);
- ids are ``tag:`` URIs (RFC 4151; :func:`tag_uri`) or ``urn:uuid:`` URNs (RFC 4122;
  :func:`uuid_urn`), which never change when an alert is updated (section 4.2.6);
- date-times are RFC 3339 in UTC with whole seconds (``2026-11-26T10:00:00Z``, section 3.3);
  naive values are refused;
- a text holding a character XML 1.0 cannot carry is refused with :class:`Invalid` naming the
  field, never stripped.

How to wire (events helper / lead): the ``/alerts/feed.atom`` route is ``Public()`` and passes
only published, public alerts (``scope`` Public, not drafts) as :class:`FeedEntry`; ``updated`` is
the time of the newest change among them (or of the last withdrawal), ``self_url`` the absolute
URL of the feed. Serve the bytes as :data:`MEDIA_TYPE`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree  # type: ignore[import-untyped]

from healthbridge.errors import FieldError, Invalid

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"
CAP_MEDIA_TYPE = "application/cap+xml"
#: Characters outside XML 1.0's ``Char`` production (lone surrogates included).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: RFC 4151: ``tag:`` authority (DNS name or e-mail address) ``,`` date ``:`` specific part.
_TAG = re.compile(
    r"tag:(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[^\s@,:]+@[A-Za-z0-9.-]+)"
    r",\d{4}(?:-\d{2}(?:-\d{2})?)?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*"
)


@dataclass(frozen=True)
class FeedEntry:
    """One alert in the feed."""

    id: str
    title: str
    updated: dt.datetime
    published: dt.datetime
    summary: str
    #: The public alert page (HTML).
    page_url: str
    #: The alert's CAP 1.2 document.
    cap_url: str


def tag_uri(authority: str, date: dt.date, specific: str) -> str:
    """A ``tag:`` URI (RFC 4151), e.g. ``tag:healthbridge.example,2026-11-26:alert/EV-7``."""
    return f"tag:{authority},{date.isoformat()}:{specific}"


def uuid_urn(value: uuid.UUID) -> str:
    """A ``urn:uuid:`` URN (RFC 4122), lower case."""
    return value.urn


def atom_datetime(value: dt.datetime) -> str:
    """``value`` as an RFC 3339 date-time in UTC with whole seconds (``...T10:00:00Z``)."""
    if value.utcoffset() is None:
        raise ValueError("an Atom date-time needs a UTC offset (an aware datetime)")
    return value.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _is_id(value: str) -> bool:
    if value.startswith("urn:uuid:"):
        try:
            return uuid.UUID(value[9:]).urn == value
        except ValueError:
            return False
    return _TAG.fullmatch(value) is not None


def _is_url(value: str) -> bool:
    if re.search(r"[\s\x00-\x1f\x7f]", value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def text(self, field: str, value: object, *, required: bool = True) -> None:
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

    def id(self, field: str, value: object) -> None:
        if not isinstance(value, str) or not _is_id(value):
            self.fail(field, "must be a tag: URI (RFC 4151) or a urn:uuid: URN (lower case)")

    def url(self, field: str, value: object) -> None:
        if not isinstance(value, str) or not _is_url(value):
            self.fail(field, "must be an absolute http(s) URL without spaces")

    def moment(self, field: str, value: object) -> bool:
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            self.fail(field, "must be an aware date-time (with a UTC offset)")
            return False
        try:
            atom_datetime(value)
        except OverflowError:
            self.fail(field, "is out of range once written in UTC")
            return False
        return True


def _check(
    feed_id: str,
    title: str,
    updated: dt.datetime,
    entries: list[FeedEntry],
    self_url: str,
    author: str,
    alternate_url: str | None,
    language: str,
) -> list[FieldError]:
    check = _Checker()
    check.id("id", feed_id)
    check.text("title", title)
    feed_updated_ok = check.moment("updated", updated)
    check.url("self_url", self_url)
    check.text("author", author)
    if alternate_url is not None:
        check.url("alternate_url", alternate_url)
    if not isinstance(language, str) or not re.fullmatch(
        r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*", language
    ):
        check.fail("language", "must be a language tag, e.g. en")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        at = f"entries[{i}]"
        check.id(f"{at}.id", entry.id)
        if entry.id in seen:
            check.fail(f"{at}.id", "is the id of another entry (ids are unique in a feed)")
        seen.add(entry.id)
        check.text(f"{at}.title", entry.title)
        check.text(f"{at}.summary", entry.summary, required=False)
        check.url(f"{at}.page_url", entry.page_url)
        check.url(f"{at}.cap_url", entry.cap_url)
        updated_ok = check.moment(f"{at}.updated", entry.updated)
        published_ok = check.moment(f"{at}.published", entry.published)
        if updated_ok and published_ok and entry.published > entry.updated:
            check.fail(f"{at}.published", "must not be later than updated")
        if updated_ok and feed_updated_ok and entry.updated > updated:
            check.fail(f"{at}.updated", "is later than the feed's updated")
    return check.errors


def _newest_first(entry: FeedEntry) -> tuple[dt.datetime, dt.datetime, str]:
    return (entry.updated, entry.published, entry.id)


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _link(parent: etree._Element, rel: str, href: str, type_: str) -> None:
    link = _add(parent, "link")
    link.set("rel", rel)
    link.set("type", type_)
    link.set("href", href)


def write_atom_feed(
    feed_id: str,
    title: str,
    updated: dt.datetime,
    entries: Iterable[FeedEntry],
    self_url: str,
    *,
    author: str = "HealthBridge",
    alternate_url: str | None = None,
    language: str = "en",
) -> bytes:
    """The Atom feed of ``entries`` (newest first) as UTF-8 XML with an XML declaration.

    ``updated`` must not be earlier than any entry's ``updated``. Raises :class:`Invalid` naming
    every field at fault (ids, URLs, naive date-times, texts XML cannot carry); nothing is written.
    """
    items = list(entries)
    problems = _check(feed_id, title, updated, items, self_url, author, alternate_url, language)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise Invalid(
            f"the Atom feed cannot be written: {first.field}: {first.message}{more}",
            errors=problems,
        )
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    feed.set(XML_LANG, language)
    _add(feed, "id", feed_id)
    _add(feed, "title", title).set("type", "text")
    _add(feed, "updated", atom_datetime(updated))
    _add(_add(feed, "author"), "name", author)
    _link(feed, "self", self_url, MEDIA_TYPE)
    if alternate_url is not None:
        _link(feed, "alternate", alternate_url, "text/html")
    for entry in sorted(items, key=_newest_first, reverse=True):
        element = _add(feed, "entry")
        _add(element, "id", entry.id)
        _add(element, "title", entry.title).set("type", "text")
        _add(element, "updated", atom_datetime(entry.updated))
        _add(element, "published", atom_datetime(entry.published))
        _add(element, "summary", entry.summary).set("type", "text")
        _link(element, "alternate", entry.page_url, "text/html")
        _link(element, "alternate", entry.cap_url, CAP_MEDIA_TYPE)
    document = etree.ElementTree(feed)
    etree.indent(document, space="  ")
    data: bytes = etree.tostring(
        document, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data
