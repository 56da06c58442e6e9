"""Atom (RFC 4287) feed of alerts: well-formed, the required elements of the RFC, newest first,
and any text either carried exactly or refused cleanly. There is no official Atom XSD, so the
RFC's rules are checked here by hand (:func:`assert_rfc4287`)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from healthbridge.errors import Invalid
from healthbridge.interop import atom

A = "{http://www.w3.org/2005/Atom}"
NS = {"a": atom.ATOM_NS}
UPDATED = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
SELF = "https://healthbridge.example/alerts/feed.atom"
FEED_ID = "tag:healthbridge.example,2026:alerts"
#: RFC 3339 date-time as RFC 4287 section 3.3 requires it (upper-case T and Z).
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def entry(n: int, **overrides: Any) -> atom.FeedEntry:
    values: dict[str, Any] = {
        "id": atom.tag_uri("healthbridge.example", dt.date(2026, 11, n), f"alert/EV-{n}"),
        "title": f"Dengue in Bangkok ({n}) <update> & more",
        "updated": UPDATED - dt.timedelta(days=30 - n),
        "published": UPDATED - dt.timedelta(days=31 - n),
        "summary": "Cases rose 40% in two weeks.\nSee the alert.",
        "page_url": f"https://healthbridge.example/alerts/EV-{n}",
        "cap_url": f"https://healthbridge.example/alerts/EV-{n}.cap?x=1&y=2",
    }
    values.update(overrides)
    return atom.FeedEntry(**values)


def feed(entries: list[atom.FeedEntry], **overrides: Any) -> bytes:
    values: dict[str, Any] = {
        "feed_id": FEED_ID,
        "title": "HealthBridge public alerts",
        "updated": UPDATED,
        "entries": entries,
        "self_url": SELF,
    }
    values.update(overrides)
    return atom.write_atom_feed(**values)


def one(element: Any, name: str) -> Any:
    found = element.findall(f"a:{name}", NS)
    assert len(found) == 1, f"{element.tag} must contain exactly one atom:{name}"
    return found[0]


def assert_date(element: Any) -> None:
    assert RFC3339.fullmatch(element.text), element.text
    assert dt.datetime.fromisoformat(element.text).utcoffset() is not None


def assert_text_construct(element: Any) -> None:
    assert element.get("type", "text") in ("text", "html", "xhtml")


def assert_links(element: Any) -> list[Any]:
    links = element.findall("a:link", NS)
    for link in links:
        assert link.get("href"), "atom:link must have an href (section 4.2.7.1)"
    alternates = [
        (ln.get("type"), ln.get("hreflang")) for ln in links if ln.get("rel") in (None, "alternate")
    ]
    assert not [k for k, n in Counter(alternates).items() if n > 1], (
        "no two alternate links with the same type and hreflang (section 4.1.1, 4.1.2)"
    )
    return links


def assert_rfc4287(data: bytes) -> Any:
    """The rules of RFC 4287 section 4.1 that an alert feed must meet; returns the root."""
    root = etree.fromstring(data)  # well-formed, or this raises
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        one(root, name)
    assert_date(one(root, "updated"))
    assert_text_construct(one(root, "title"))
    entries = root.findall("a:entry", NS)
    authors = root.findall("a:author", NS)
    assert authors or all(e.findall("a:author", NS) for e in entries)
    for author in authors:
        assert one(author, "name").text
    links = assert_links(root)
    assert len([ln for ln in links if ln.get("rel") == "self"]) == 1
    ids = [one(root, "id").text]
    for element in entries:
        for name in ("id", "title", "updated"):
            one(element, name)
        assert len(element.findall("a:published", NS)) <= 1
        assert_date(one(element, "updated"))
        for published in element.findall("a:published", NS):
            assert_date(published)
        assert_text_construct(one(element, "title"))
        if element.find("a:content", NS) is None:
            links = assert_links(element)
            assert any(ln.get("rel") in (None, "alternate") for ln in links)
        ids.append(one(element, "id").text)
    for identifier in ids:
        assert identifier.startswith(("tag:", "urn:uuid:")), identifier
    assert len(set(ids)) == len(ids)
    return root


def texts(root: Any, path: str) -> list[str]:
    return [e.text for e in root.iterfind(path, NS)]


def test_a_feed_of_alerts() -> None:
    data = feed([entry(3), entry(5)], alternate_url="https://healthbridge.example/alerts")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = assert_rfc4287(data)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert texts(root, "a:id") == [FEED_ID]
    assert texts(root, "a:updated") == ["2026-11-26T10:00:00Z"]
    assert texts(root, "a:author/a:name") == ["HealthBridge"]
    assert [
        (ln.get("rel"), ln.get("type"), ln.get("href")) for ln in root.findall("a:link", NS)
    ] == [
        ("self", "application/atom+xml", SELF),
        ("alternate", "text/html", "https://healthbridge.example/alerts"),
    ]
    first = root.find("a:entry", NS)
    assert texts(first, "a:id") == ["tag:healthbridge.example,2026-11-05:alert/EV-5"]
    assert texts(first, "a:title") == ["Dengue in Bangkok (5) <update> & more"]
    assert b"&lt;update&gt; &amp; more" in data
    assert texts(first, "a:updated") == ["2026-11-01T10:00:00Z"]
    assert texts(first, "a:published") == ["2026-10-31T10:00:00Z"]
    assert texts(first, "a:summary") == ["Cases rose 40% in two weeks.\nSee the alert."]
    assert [
        (ln.get("rel"), ln.get("type"), ln.get("href")) for ln in first.findall("a:link", NS)
    ] == [
        ("alternate", "text/html", "https://healthbridge.example/alerts/EV-5"),
        (
            "alternate",
            "application/cap+xml",
            "https://healthbridge.example/alerts/EV-5.cap?x=1&y=2",
        ),
    ]


def test_an_empty_feed_is_still_a_feed() -> None:
    root = assert_rfc4287(feed([]))
    assert root.find("a:entry", NS) is None


def test_entries_come_newest_first() -> None:
    later_update = entry(2, updated=UPDATED)  # published early, updated last
    tie_a = entry(
        7, updated=UPDATED - dt.timedelta(hours=1), published=UPDATED - dt.timedelta(days=2)
    )
    tie_b = entry(
        8, updated=UPDATED - dt.timedelta(hours=1), published=UPDATED - dt.timedelta(days=1)
    )
    root = assert_rfc4287(feed([entry(4), tie_a, later_update, tie_b, entry(9)]))
    assert texts(root, "a:entry/a:id") == [
        entry(2).id, entry(8).id, entry(7).id, entry(9).id, entry(4).id,
    ]  # fmt: skip
    stamps = [dt.datetime.fromisoformat(t) for t in texts(root, "a:entry/a:updated")]
    assert stamps == sorted(stamps, reverse=True)


def test_times_are_written_in_utc_with_whole_seconds() -> None:
    bangkok = dt.timezone(dt.timedelta(hours=7))
    moment = dt.datetime(2026, 11, 26, 16, 30, 15, 999_999, tzinfo=bangkok)
    root = assert_rfc4287(feed([entry(1, updated=moment, published=moment)], updated=moment))
    assert texts(root, "a:updated") == ["2026-11-26T09:30:15Z"]
    assert texts(root, "a:entry/a:published") == ["2026-11-26T09:30:15Z"]


def test_ids_may_be_uuid_urns() -> None:
    value = uuid.UUID("8c2f6a8e-4d1b-4a55-9f3e-0a1b2c3d4e5f")
    assert atom.uuid_urn(value) == "urn:uuid:8c2f6a8e-4d1b-4a55-9f3e-0a1b2c3d4e5f"
    root = assert_rfc4287(
        feed([entry(1, id=atom.uuid_urn(value))], feed_id=atom.uuid_urn(uuid.uuid4()))
    )
    assert texts(root, "a:entry/a:id") == [atom.uuid_urn(value)]


def error_fields(exc: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


@pytest.mark.parametrize(
    ("entries", "overrides", "fields"),
    [
        ([], {"updated": dt.datetime(2026, 11, 26, 10, 0)}, {"updated"}),
        ([entry(1, published=dt.datetime(2026, 11, 1))], {}, {"entries[0].published"}),
        ([entry(1, updated=UPDATED + dt.timedelta(seconds=1))], {}, {"entries[0].updated"}),
        (
            [entry(1, published=UPDATED, updated=UPDATED - dt.timedelta(days=1))],
            {},
            {"entries[0].published"},
        ),
        ([entry(1), entry(1)], {}, {"entries[1].id"}),
        ([], {"feed_id": "https://healthbridge.example/feed"}, {"id"}),
        ([], {"feed_id": "urn:uuid:8C2F6A8E-4D1B-4A55-9F3E-0A1B2C3D4E5F"}, {"id"}),
        ([], {"feed_id": "urn:uuid:not-a-uuid"}, {"id"}),
        ([], {"feed_id": "tag:healthbridge.example:alerts"}, {"id"}),
        ([entry(1, id="tag:healthbridge.example,2026:a b")], {}, {"entries[0].id"}),
        ([], {"self_url": "/alerts/feed.atom"}, {"self_url"}),
        ([], {"alternate_url": "javascript:alert(1)"}, {"alternate_url"}),
        ([entry(1, page_url="https://exa mple.org/")], {}, {"entries[0].page_url"}),
        ([entry(1, cap_url="ftp://example.org/a.cap")], {}, {"entries[0].cap_url"}),
        ([], {"title": "  "}, {"title"}),
        ([entry(1, title="")], {}, {"entries[0].title"}),
        ([], {"author": ""}, {"author"}),
        ([], {"language": "en_GB"}, {"language"}),
    ],
)
def test_what_cannot_be_written_is_refused_by_field(
    entries: list[atom.FeedEntry], overrides: dict[str, Any], fields: set[str]
) -> None:
    with pytest.raises(Invalid) as caught:
        feed(entries, **overrides)
    assert error_fields(caught) == fields


def test_a_refused_text_names_the_character_and_its_position() -> None:
    with pytest.raises(Invalid) as caught:
        feed([entry(1, summary="ok\x0bnot")])
    (error,) = caught.value.errors
    assert error.field == "entries[0].summary"
    assert "U+000B at position 2" in error.message


def test_tag_uris() -> None:
    assert (
        atom.tag_uri("healthbridge.example", dt.date(2026, 11, 26), "alert/EV-7")
        == "tag:healthbridge.example,2026-11-26:alert/EV-7"
    )
    assert_rfc4287(feed([entry(1, id="tag:eoc@healthbridge.example,2026-11:EV-7")]))


def xml_char(character: str) -> bool:
    """XML 1.0's ``Char`` production, written out independently of the module's pattern."""
    code = ord(character)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


NOT_XML = ["\x00", "\x08", "\x1f", "\ufffe", "\uffff", "\ud800"]
clean_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]).filter(xml_char),
        st.sampled_from(["<", "&", ">", "]", '"', "\r", "\n", "\t", "\x85", "😷"]),
    ),
    max_size=40,
)
any_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from([*NOT_XML, "<", "&", "\r"])),
    max_size=20,
)


def check_texts(feed_title: str, titles: list[str], summaries: list[str]) -> None:
    entries = [
        entry(i + 1, title=title, summary=summary)
        for i, (title, summary) in enumerate(zip(titles, summaries, strict=False))
    ]
    expected = set()
    if not all(map(xml_char, feed_title)) or not feed_title.strip():
        expected.add("title")
    for i, item in enumerate(entries):
        if not all(map(xml_char, item.title)) or not item.title.strip():
            expected.add(f"entries[{i}].title")
        if not all(map(xml_char, item.summary)):
            expected.add(f"entries[{i}].summary")
    try:
        data = feed(entries, title=feed_title)
    except Invalid as exc:
        assert error_fields_of(exc) == expected
        return
    assert not expected
    root = assert_rfc4287(data)
    assert texts(root, "a:title") == [feed_title]
    # Entries are written newest first: entry n+1 is newer than entry n.
    assert texts(root, "a:entry/a:title") == [e.title for e in reversed(entries)]
    assert [t or "" for t in texts(root, "a:entry/a:summary")] == [
        e.summary for e in reversed(entries)
    ]


def error_fields_of(exc: Invalid) -> set[str]:
    return {e.field for e in exc.errors}


@settings(max_examples=150, deadline=None)
@given(
    feed_title=clean_text,
    titles=st.lists(clean_text, max_size=4),
    summaries=st.lists(clean_text, min_size=4, max_size=4),
)
def test_any_text_xml_can_carry_is_carried_exactly(
    feed_title: str, titles: list[str], summaries: list[str]
) -> None:
    check_texts(feed_title, titles, summaries)


@settings(max_examples=150, deadline=None)
@given(
    feed_title=any_text,
    titles=st.lists(any_text, max_size=4),
    summaries=st.lists(any_text, min_size=4, max_size=4),
)
def test_any_text_is_carried_exactly_or_refused_by_field(
    feed_title: str, titles: list[str], summaries: list[str]
) -> None:
    check_texts(feed_title, titles, summaries)


offsets = st.builds(
    dt.timezone,
    st.timedeltas(
        min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)
    ),
)


@settings(max_examples=100, deadline=None)
@given(
    moments=st.lists(
        st.datetimes(
            min_value=dt.datetime(1900, 1, 2),
            max_value=dt.datetime(9998, 12, 30),
            timezones=offsets,
        ),
        max_size=6,
    )
)
def test_any_aware_times_come_out_newest_first_in_utc(moments: list[dt.datetime]) -> None:
    entries = [entry(1, id=atom.uuid_urn(uuid.uuid4()), updated=m, published=m) for m in moments]
    newest = max(moments, default=UPDATED)
    root = assert_rfc4287(feed(entries, updated=newest))
    written = texts(root, "a:entry/a:updated")
    assert all(t.endswith("Z") and "." not in t for t in written)
    stamps = [dt.datetime.fromisoformat(t) for t in written]
    assert stamps == sorted(stamps, reverse=True)
    expected = sorted((m.astimezone(dt.UTC).replace(microsecond=0) for m in moments), reverse=True)
    assert stamps == expected
