"""CAP 1.2: every alert written validates against cap12.xsd, the specification's own rules are
enforced, any text either travels unchanged or is refused cleanly, and the risk mapping holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from healthbridge.errors import Invalid
from healthbridge.interop import cap, cap_ratings

NS = {"cap": cap.CAP_NS}
SENT = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
BANGKOK = dt.timezone(dt.timedelta(hours=7))
XSD = resources.files("healthbridge").joinpath("schemas/cap-1.2/cap12.xsd")
XS = "{http://www.w3.org/2001/XMLSchema}"
#: Characters XML 1.0 cannot carry, mixed into generated texts.
NOT_XML = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]


def info(**overrides: Any) -> cap.Info:
    values: dict[str, Any] = {
        "language": "en",
        "categories": ("Health",),
        "event": "Dengue outbreak",
        "response_types": ("Prepare", "Monitor"),
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Observed",
        "audience": "Health workers & the public",
        "event_codes": (cap.ValuePair("ICD-10", "A90"),),
        "effective": SENT,
        "onset": dt.datetime(2026, 11, 20, 0, 0, tzinfo=BANGKOK),
        "expires": SENT + dt.timedelta(days=14),
        "sender_name": "Thailand EOC",
        "headline": "Dengue: <rising> cases in Bangkok & nearby provinces",
        "description": "Cases rose 40% in two weeks.\nLab-confirmed: 312.",
        "instruction": "Remove standing water; see a doctor if fever lasts > 2 days.",
        "web": "https://healthbridge.example/alerts/EV-2026-7?lang=en&v=2",
        "contact": "eoc@ddc.example.th",
        "parameters": (cap.ValuePair("HealthBridgeEvent", "EV-2026-7"),),
        "areas": (
            cap.Area(
                "Bangkok",
                polygons=(((13.5, 100.3), (13.9, 100.3), (13.9, 100.9), (13.5, 100.3)),),
                circles=(cap.Circle(13.75, 100.5, 25.0),),
                geocodes=(cap.ValuePair.iso3166_2("TH-10"),),
            ),
            cap.Area("Nonthaburi", geocodes=(cap.ValuePair.iso3166_2("TH-12"),)),
        ),
    }
    values.update(overrides)
    return cap.Info(**values)


def alert(**overrides: Any) -> cap.Alert:
    values: dict[str, Any] = {
        "identifier": "healthbridge-EV-2026-7-1",
        "sender": "eoc@healthbridge.example",
        "sent": SENT,
        "status": "Actual",
        "msg_type": "Alert",
        "scope": "Public",
        "source": "Thailand DDC",
        "note": "First alert of the event.",
        "incidents": ("EV-2026-7",),
        "codes": ("healthbridge:1",),
        "infos": (info(), info(language="th-TH", event="ไข้เลือดออก", headline="ไข้เลือดออก")),
    }
    values.update(overrides)
    return cap.Alert(**values)


def parsed(data: bytes) -> Any:
    return etree.fromstring(data)


def texts(root: Any, path: str) -> list[str]:
    return [e.text for e in root.iterfind(path, NS)]


def error_fields(exc: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return {e.field for e in exc.value.errors}


# --- the schema ---------------------------------------------------------------------------------


def test_the_schema_is_the_shared_copy_and_its_readme_names_its_digest() -> None:
    digest = hashlib.sha256(XSD.read_bytes()).hexdigest()
    assert digest == "f6c6ed7537a463968b7b36110f7e8bba1f86ad2257a8b84619d7dce530e57401"
    readme = resources.files("healthbridge").joinpath("schemas/cap-1.2/README.md").read_text()
    assert digest in readme


def xsd_enumeration(name: str) -> list[str]:
    schema = etree.fromstring(XSD.read_bytes())
    (element,) = schema.iterfind(f".//{XS}element[@name='{name}']")
    return [e.get("value") for e in element.iter(f"{XS}enumeration")]


@pytest.mark.parametrize(
    ("element", "ours"),
    [
        ("status", cap.STATUSES),
        ("msgType", cap.MSG_TYPES),
        ("scope", cap.SCOPES),
        ("category", cap.CATEGORIES),
        ("responseType", cap.RESPONSE_TYPES),
        ("urgency", cap.URGENCIES),
        ("severity", cap.SEVERITIES),
        ("certainty", cap.CERTAINTIES),
    ],
)
def test_our_vocabularies_are_exactly_the_schemas(element: str, ours: tuple[str, ...]) -> None:
    assert list(ours) == xsd_enumeration(element)


# --- a full alert -------------------------------------------------------------------------------


def test_a_full_alert_validates_and_says_what_it_was_given() -> None:
    data = cap.write_cap(alert())
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    cap.validate_cap(data)
    root = parsed(data)
    assert root.tag == f"{{{cap.CAP_NS}}}alert"
    assert [child.tag.split("}")[1] for child in root] == [
        "identifier", "sender", "sent", "status", "msgType", "source", "scope", "code", "note",
        "incidents", "info", "info",
    ]  # fmt: skip
    assert texts(root, "cap:sent") == ["2026-11-26T10:00:00+00:00"]
    assert texts(root, "cap:incidents") == ["EV-2026-7"]
    first = root.find("cap:info", NS)
    assert [child.tag.split("}")[1] for child in first] == [
        "language", "category", "event", "responseType", "responseType", "urgency", "severity",
        "certainty", "audience", "eventCode", "effective", "onset", "expires", "senderName",
        "headline", "description", "instruction", "web", "contact", "parameter", "area", "area",
    ]  # fmt: skip
    assert texts(first, "cap:onset") == ["2026-11-20T00:00:00+07:00"]
    assert texts(first, "cap:expires") == ["2026-12-10T10:00:00+00:00"]
    assert texts(first, "cap:headline") == ["Dengue: <rising> cases in Bangkok & nearby provinces"]
    assert b"&lt;rising&gt; cases in Bangkok &amp; nearby" in data
    assert texts(first, "cap:description") == ["Cases rose 40% in two weeks.\nLab-confirmed: 312."]
    assert texts(first, "cap:web") == ["https://healthbridge.example/alerts/EV-2026-7?lang=en&v=2"]
    area = first.find("cap:area", NS)
    assert texts(area, "cap:areaDesc") == ["Bangkok"]
    assert texts(area, "cap:polygon") == ["13.5,100.3 13.9,100.3 13.9,100.9 13.5,100.3"]
    assert texts(area, "cap:circle") == ["13.75,100.5 25"]
    assert texts(area, "cap:geocode/cap:valueName") == ["ISO3166-2"]
    assert texts(area, "cap:geocode/cap:value") == ["TH-10"]
    thai = root.findall("cap:info", NS)[1]
    assert texts(thai, "cap:language") == ["th-TH"]
    assert texts(thai, "cap:event") == ["ไข้เลือดออก"]


def test_a_minimal_alert_has_only_the_required_elements() -> None:
    data = cap.write_cap(
        cap.Alert("a1", "eoc@hb.example", SENT, "Test", "Alert", "Public", infos=())
    )
    cap.validate_cap(data)
    assert [child.tag.split("}")[1] for child in parsed(data)] == [
        "identifier", "sender", "sent", "status", "msgType", "scope",
    ]  # fmt: skip


def test_empty_optional_texts_are_left_out() -> None:
    data = cap.write_cap(alert(note="", source=None, infos=(info(headline="", web=""),)))
    root = parsed(data)
    assert root.find("cap:note", NS) is None and root.find("cap:source", NS) is None
    assert root.find("cap:info/cap:headline", NS) is None
    assert root.find("cap:info/cap:web", NS) is None


# --- every enumerated value ---------------------------------------------------------------------


@pytest.mark.parametrize("status", cap.STATUSES)
def test_every_status(status: str) -> None:
    data = cap.write_cap(alert(status=status))
    cap.validate_cap(data)
    assert texts(parsed(data), "cap:status") == [status]


@pytest.mark.parametrize("msg_type", cap.MSG_TYPES)
def test_every_message_type(msg_type: str) -> None:
    earlier = alert()
    references = () if msg_type == "Alert" else (cap.Reference.of(earlier),)
    data = cap.write_cap(
        alert(identifier="healthbridge-EV-2026-7-2", msg_type=msg_type, references=references)
    )
    cap.validate_cap(data)
    assert texts(parsed(data), "cap:msgType") == [msg_type]


@pytest.mark.parametrize("scope", cap.SCOPES)
def test_every_scope(scope: str) -> None:
    extra: dict[str, Any] = {}
    if scope == "Restricted":
        extra["restriction"] = "EOC officers of ASEAN Plus Three only"
    if scope == "Private":
        extra["addresses"] = ("eoc@moh.gov.example", "Thailand DDC EOC")
    data = cap.write_cap(alert(scope=scope, **extra))
    cap.validate_cap(data)
    root = parsed(data)
    assert texts(root, "cap:scope") == [scope]
    if scope == "Private":
        assert texts(root, "cap:addresses") == ['eoc@moh.gov.example "Thailand DDC EOC"']


@pytest.mark.parametrize("category", cap.CATEGORIES)
def test_every_category(category: str) -> None:
    cap.validate_cap(cap.write_cap(alert(infos=(info(categories=(category,)),))))


def test_several_categories_and_every_response_type_at_once() -> None:
    data = cap.write_cap(
        alert(infos=(info(categories=("Health", "CBRNE"), response_types=cap.RESPONSE_TYPES),))
    )
    cap.validate_cap(data)
    root = parsed(data)
    assert texts(root, "cap:info/cap:category") == ["Health", "CBRNE"]
    assert texts(root, "cap:info/cap:responseType") == list(cap.RESPONSE_TYPES)


@pytest.mark.parametrize("urgency", cap.URGENCIES)
@pytest.mark.parametrize("severity", cap.SEVERITIES)
@pytest.mark.parametrize("certainty", cap.CERTAINTIES)
def test_every_rating(urgency: str, severity: str, certainty: str) -> None:
    data = cap.write_cap(
        alert(infos=(info(urgency=urgency, severity=severity, certainty=certainty),))
    )
    cap.validate_cap(data)
    first = parsed(data).find("cap:info", NS)
    assert texts(first, "cap:urgency") == [urgency]
    assert texts(first, "cap:severity") == [severity]
    assert texts(first, "cap:certainty") == [certainty]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"status": "Real"}, "status"),
        ({"msg_type": "Notice"}, "msgType"),
        ({"scope": "public"}, "scope"),
        ({"infos": (info(categories=("Medical",)),)}, "info[0].category"),
        ({"infos": (info(categories=()),)}, "info[0].category"),
        ({"infos": (info(response_types=("Run",)),)}, "info[0].responseType"),
        ({"infos": (info(urgency="Now"),)}, "info[0].urgency"),
        ({"infos": (info(severity="High"),)}, "info[0].severity"),
        ({"infos": (info(certainty="Sure"),)}, "info[0].certainty"),
    ],
)
def test_values_outside_the_vocabulary_are_refused(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(**overrides))
    assert error_fields(caught) == {field}
    assert field in caught.value.detail


# --- updates and cancellations ------------------------------------------------------------------


def test_an_update_and_a_cancellation_reference_the_alerts_they_replace() -> None:
    first = alert(sent=dt.datetime(2026, 11, 26, 17, 0, 0, 999_999, tzinfo=BANGKOK))
    first_xml = parsed(cap.write_cap(first))
    update = alert(
        identifier="healthbridge-EV-2026-7-2",
        sent=SENT + dt.timedelta(days=1),
        msg_type="Update",
        references=(cap.Reference.of(first),),
    )
    update_xml = cap.write_cap(update)
    cap.validate_cap(update_xml)
    sent_of_first = texts(first_xml, "cap:sent")[0]
    assert sent_of_first == "2026-11-26T17:00:00+07:00"
    assert texts(parsed(update_xml), "cap:references") == [
        f"eoc@healthbridge.example,healthbridge-EV-2026-7-1,{sent_of_first}"
    ]
    cancel = alert(
        identifier="healthbridge-EV-2026-7-3",
        sent=SENT + dt.timedelta(days=2),
        msg_type="Cancel",
        note="Discarded: laboratory results negative.",
        references=(cap.Reference.of(first), cap.Reference.of(update)),
        infos=(info(urgency="Past", certainty="Unlikely", response_types=("AllClear",)),),
    )
    cancel_xml = cap.write_cap(cancel)
    cap.validate_cap(cancel_xml)
    references = texts(parsed(cancel_xml), "cap:references")[0].split(" ")
    assert references == [
        "eoc@healthbridge.example,healthbridge-EV-2026-7-1,2026-11-26T17:00:00+07:00",
        "eoc@healthbridge.example,healthbridge-EV-2026-7-2,2026-11-27T10:00:00+00:00",
    ]


@pytest.mark.parametrize("msg_type", ["Update", "Cancel", "Ack", "Error"])
def test_messages_about_earlier_ones_need_references(msg_type: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(msg_type=msg_type))
    assert error_fields(caught) == {"references"}


@pytest.mark.parametrize("identifier", ["", "EV 7", "EV,7", "EV<7", "EV&7", "EV\t7", "EV\u00857"])
def test_identifiers_senders_and_references_refuse_separators(identifier: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(identifier=identifier))
    assert error_fields(caught) == {"identifier"}
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(sender=identifier))
    assert error_fields(caught) == {"sender"}
    reference = cap.Reference("eoc@hb.example", identifier, SENT)
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(msg_type="Update", references=(reference,)))
    assert error_fields(caught) == {"references[0].identifier"}


def test_scope_rules() -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(scope="Restricted"))
    assert error_fields(caught) == {"restriction"}
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(scope="Private"))
    assert error_fields(caught) == {"addresses"}
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(scope="Private", addresses=('say "hi"', " ")))
    assert error_fields(caught) == {"addresses[0]", "addresses[1]"}


# --- date-times ---------------------------------------------------------------------------------


def test_naive_date_times_are_refused_everywhere() -> None:
    naive = dt.datetime(2026, 11, 26, 10, 0)
    with pytest.raises(Invalid) as caught:
        cap.write_cap(
            alert(
                sent=naive,
                msg_type="Update",
                references=(cap.Reference("s", "i", naive),),
                infos=(info(effective=naive, onset=naive, expires=naive),),
            )
        )
    assert error_fields(caught) == {
        "sent",
        "references[0].sent",
        "info[0].effective",
        "info[0].onset",
        "info[0].expires",
    }
    assert all("aware" in e.message for e in caught.value.errors)
    with pytest.raises(ValueError, match="aware"):
        cap.cap_datetime(naive)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (dt.datetime(2026, 11, 26, 10, 0, 0, 500_000, tzinfo=dt.UTC), "2026-11-26T10:00:00+00:00"),
        (dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.timezone(-dt.timedelta(hours=7))),
         "2026-11-26T03:00:00-07:00"),
        (dt.datetime(2026, 11, 26, 17, 0, tzinfo=BANGKOK), "2026-11-26T17:00:00+07:00"),
        (dt.datetime(2026, 11, 26, 15, 45, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=45))),
         "2026-11-26T15:45:00+05:45"),
        # Offsets CAP cannot carry: the same instant in UTC.
        (dt.datetime(2026, 11, 26, 10, 0, 30, tzinfo=dt.timezone(dt.timedelta(seconds=30))),
         "2026-11-26T10:00:00+00:00"),
        (dt.datetime(2026, 11, 26, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=20))),
         "2026-11-26T00:00:00+00:00"),
    ],
)  # fmt: skip
def test_date_times_are_written_as_cap_wants(value: dt.datetime, written: str) -> None:
    assert cap.cap_datetime(value) == written
    data = cap.write_cap(alert(sent=value, infos=()))
    cap.validate_cap(data)
    assert texts(parsed(data), "cap:sent") == [written]


offsets = st.builds(
    dt.timezone,
    st.timedeltas(
        min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(9998, 12, 30), timezones=offsets
    )
)
def test_any_aware_date_time_validates_and_keeps_its_instant(moment: dt.datetime) -> None:
    data = cap.write_cap(alert(sent=moment, infos=(info(effective=moment, expires=None),)))
    cap.validate_cap(data)
    (sent,) = texts(parsed(data), "cap:sent")
    assert dt.timedelta(0) <= moment - dt.datetime.fromisoformat(sent) < dt.timedelta(seconds=1)
    assert "." not in sent and not sent.endswith(("Z", "-00:00"))


def test_expires_must_follow_effective() -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(infos=(info(effective=SENT, expires=SENT),)))
    assert error_fields(caught) == {"info[0].expires"}


# --- areas, language, web -----------------------------------------------------------------------


AREA = "info[0].area[0]"


@pytest.mark.parametrize(
    ("area", "field"),
    [
        (cap.Area(" "), f"{AREA}.areaDesc"),
        (cap.Area("x", polygons=(((1.0, 1.0), (2.0, 2.0), (1.0, 1.0)),)), f"{AREA}.polygon[0]"),
        (cap.Area("x", polygons=(((1.0, 1.0), (2.0, 2.0), (3.0, 1.0), (1.0, 2.0)),)),
         f"{AREA}.polygon[0]"),
        (cap.Area("x", polygons=(((91.0, 1.0), (2.0, 2.0), (3.0, 1.0), (91.0, 1.0)),)),
         f"{AREA}.polygon[0].latitude"),
        (cap.Area("x", circles=(cap.Circle(13.0, 181.0, 5.0),)), f"{AREA}.circle[0].longitude"),
        (cap.Area("x", circles=(cap.Circle(13.0, 100.0, -1.0),)), f"{AREA}.circle[0].radius"),
        (cap.Area("x", circles=(cap.Circle(float("nan"), 100.0, 1.0),)),
         f"{AREA}.circle[0].latitude"),
        (cap.Area("x", geocodes=(cap.ValuePair("", "TH-10"),)), f"{AREA}.geocode[0].valueName"),
    ],
)  # fmt: skip
def test_bad_areas_are_refused(area: cap.Area, field: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(infos=(info(areas=(area,)),)))
    assert error_fields(caught) == {field}


def test_coordinates_are_written_without_exponents() -> None:
    ring = ((1e-7, -0.0000001), (-45.1234567, 179.9999999), (0.5, 2e-5), (1e-7, -0.0000001))
    data = cap.write_cap(alert(infos=(info(areas=(cap.Area("x", polygons=(ring,)),)),)))
    cap.validate_cap(data)
    (polygon,) = texts(parsed(data), "cap:info/cap:area/cap:polygon")
    assert polygon == "0,0 -45.123457,180 0.5,0.00002 0,0"


def test_geocodes_take_iso_3166_2_codes_only() -> None:
    assert cap.ValuePair.iso3166_2("VN-HN") == cap.ValuePair("ISO3166-2", "VN-HN")
    for wrong in ("TH", "th-10", "THA-10", "TH-1000", "TH-10\n"):
        with pytest.raises(Invalid):
            cap.ValuePair.iso3166_2(wrong)


@pytest.mark.parametrize("language", ["", "englishlanguage", "en_US", "en-", "é"])
def test_languages_must_be_language_tags(language: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(infos=(info(language=language),)))
    assert error_fields(caught) == {"info[0].language"}


@pytest.mark.parametrize(
    "web", ["/alerts/7", "ftp://example.org/a", "https://", "https://exa mple.org", "javascript:x"]
)
def test_web_must_be_an_absolute_http_url(web: str) -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(infos=(info(web=web),)))
    assert error_fields(caught) == {"info[0].web"}


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(identifier="a b", status="Real", infos=(info(event=""),)))
    assert error_fields(caught) == {"identifier", "status", "info[0].event"}
    assert "(and 2 more)" in caught.value.detail


# --- validate_cap -------------------------------------------------------------------------------


def test_validate_cap_reports_the_schemas_messages() -> None:
    data = cap.write_cap(alert()).replace(b"<status>Actual</status>", b"<status>Real</status>")
    with pytest.raises(Invalid) as caught:
        cap.validate_cap(data)
    (error,) = caught.value.errors
    assert error.field == "status"
    assert "'Real'" in error.message and "enumeration" in error.message
    assert error.row == 6
    assert "cap12.xsd" in caught.value.detail


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<alert",
        b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'/>",
        cap.write_cap(alert()).replace(b"+00:00</sent>", b"Z</sent>"),
        cap.write_cap(alert()).replace(b"<sender>", b"<source>x</source><sender>"),
    ],
)
def test_validate_cap_refuses_what_is_not_a_cap_1_2_alert(data: bytes) -> None:
    with pytest.raises(Invalid) as caught:
        cap.validate_cap(data)
    assert caught.value.errors


def test_validate_cap_names_nested_fields_as_the_writer_does() -> None:
    data = cap.write_cap(alert()).replace(b"</geocode>", b"</geocode><altitude>high</altitude>", 1)
    with pytest.raises(Invalid) as caught:
        cap.validate_cap(data)
    assert [e.field for e in caught.value.errors] == ["info[0].area[0].altitude"]
    data = cap.write_cap(alert()).replace(b"<language>th-TH", b"<language>th TH", 1)
    with pytest.raises(Invalid) as caught:
        cap.validate_cap(data)
    assert [e.field for e in caught.value.errors] == ["info[1].language"]


def test_validate_cap_never_expands_entities() -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x "expanded">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    )
    with pytest.raises(Invalid, match="DOCTYPE"):
        cap.validate_cap(data)


# --- arbitrary texts ----------------------------------------------------------------------------


def xml_char(character: str) -> bool:
    """XML 1.0's ``Char`` production, written out independently of the module's pattern."""
    code = ord(character)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from([*NOT_XML, "<", "&", "\r"]))
any_text = st.text(alphabet=characters, max_size=30)
#: Texts XML can carry, markup characters, line breaks and astral characters included.
clean_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]).filter(xml_char),
        st.sampled_from(["<", "&", ">", "]", '"', "'", "\r", "\n", "\t", "\x7f", "\x85", "😷"]),
    ),
    min_size=1,
    max_size=40,
)
#: Free-text fields: (alert or info or area attribute, CAP field name, required).
FREE_TEXT = {
    "source": ("alert", "source", False),
    "restriction": ("alert", "restriction", False),
    "note": ("alert", "note", False),
    "code": ("code", "code[0]", True),
    "event": ("info", "info[0].event", True),
    "audience": ("info", "info[0].audience", False),
    "sender_name": ("info", "info[0].senderName", False),
    "headline": ("info", "info[0].headline", False),
    "description": ("info", "info[0].description", False),
    "instruction": ("info", "info[0].instruction", False),
    "contact": ("info", "info[0].contact", False),
    "parameter": ("parameter", "info[0].parameter[0].value", True),
    "event_code": ("event_code", "info[0].eventCode[0].value", True),
    "area_desc": ("area", "info[0].area[0].areaDesc", True),
    "geocode": ("geocode", "info[0].area[0].geocode[0].value", True),
}
XPATHS = {
    "source": "cap:source",
    "restriction": "cap:restriction",
    "note": "cap:note",
    "code": "cap:code",
    "event": "cap:info/cap:event",
    "audience": "cap:info/cap:audience",
    "sender_name": "cap:info/cap:senderName",
    "headline": "cap:info/cap:headline",
    "description": "cap:info/cap:description",
    "instruction": "cap:info/cap:instruction",
    "contact": "cap:info/cap:contact",
    "parameter": "cap:info/cap:parameter/cap:value",
    "event_code": "cap:info/cap:eventCode/cap:value",
    "area_desc": "cap:info/cap:area/cap:areaDesc",
    "geocode": "cap:info/cap:area/cap:geocode/cap:value",
}


def alert_with(values: dict[str, str]) -> cap.Alert:
    area = cap.Area(values["area_desc"], geocodes=(cap.ValuePair("local", values["geocode"]),))
    block = info(
        **{key: values[key] for key, (kind, _, _) in FREE_TEXT.items() if kind == "info"},
        parameters=(cap.ValuePair("p", values["parameter"]),),
        event_codes=(cap.ValuePair("e", values["event_code"]),),
        areas=(area,),
    )
    return alert(
        **{key: values[key] for key, (kind, _, _) in FREE_TEXT.items() if kind == "alert"},
        codes=(values["code"],),
        scope="Restricted",
        infos=(block,),
    )


@settings(max_examples=150, deadline=None)
@given(values=st.fixed_dictionaries({key: clean_text for key in FREE_TEXT}))
def test_any_text_xml_can_carry_is_carried_exactly(values: dict[str, str]) -> None:
    blank = {
        field
        for key, (_, field, required) in FREE_TEXT.items()
        if required and not values[key].strip()
    }
    try:
        data = cap.write_cap(alert_with(values))
    except Invalid as exc:
        assert blank and {e.field for e in exc.errors} == blank
        return
    cap.validate_cap(data)
    root = parsed(data)
    for key, path in XPATHS.items():
        assert texts(root, path) == [values[key]], key


@settings(max_examples=300, deadline=None)
@given(values=st.fixed_dictionaries({key: any_text for key in FREE_TEXT}))
def test_any_text_in_any_free_text_field_is_carried_exactly_or_refused_cleanly(
    values: dict[str, str],
) -> None:
    expected_errors = set()
    for key, (_, field, required) in FREE_TEXT.items():
        text = values[key]
        if not all(xml_char(c) for c in text) or (required and not text.strip()):
            expected_errors.add(field)
    if not values["restriction"]:
        expected_errors.add("restriction")  # the alert is Restricted
    try:
        data = cap.write_cap(alert_with(values))
    except Invalid as exc:
        assert {e.field for e in exc.errors} == expected_errors
        return
    assert not expected_errors
    cap.validate_cap(data)
    root = parsed(data)
    for key, path in XPATHS.items():
        assert texts(root, path) == ([values[key]] if values[key] else []), key


def test_a_refused_text_names_the_character_and_its_position() -> None:
    with pytest.raises(Invalid) as caught:
        cap.write_cap(alert(infos=(info(headline="Alert\x00now"),)))
    (error,) = caught.value.errors
    assert error.field == "info[0].headline"
    assert "U+0000 at position 5" in error.message


# --- our vocabulary to CAP ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "severity", "urgency"),
    [
        ("very_low", "Minor", "Future"),
        ("low", "Minor", "Future"),
        ("moderate", "Moderate", "Future"),
        ("high", "Severe", "Expected"),
        ("very_high", "Extreme", "Immediate"),
        (None, "Unknown", "Unknown"),
    ],
)
def test_risk_levels_map_to_severity_and_urgency(
    risk: cap_ratings.RiskLevel | None, severity: str, urgency: str
) -> None:
    rating = cap_ratings.cap_assessment(risk_level=risk, status="responding")
    assert (rating.severity, rating.urgency, rating.certainty) == (severity, urgency, "Observed")
    for ended in ("closed", "discarded"):
        over = cap_ratings.cap_assessment(risk_level=risk, status=ended)  # type: ignore[arg-type]
        assert (over.severity, over.urgency) == (severity, "Past")


@pytest.mark.parametrize(
    ("status", "certainty"),
    [
        ("signal", "Possible"),
        ("monitoring", "Possible"),
        ("verifying", "Possible"),
        ("verified", "Observed"),
        ("risk_assessed", "Observed"),
        ("responding", "Observed"),
        ("closed", "Observed"),
        ("discarded", "Unlikely"),
    ],
)
def test_event_statuses_map_to_certainty(status: cap_ratings.EventStatus, certainty: str) -> None:
    assert cap_ratings.cap_assessment(risk_level="high", status=status).certainty == certainty


def test_the_mapping_covers_the_whole_vocabulary_and_yields_valid_alerts() -> None:
    for risk in (*cap_ratings.RISK_LEVELS, None):
        for status in cap_ratings.EVENT_STATUSES:
            rating = cap_ratings.cap_assessment(risk_level=risk, status=status)
            cap.validate_cap(cap.write_cap(alert(infos=(info(**rating._asdict()),))))
    with pytest.raises(Invalid) as caught:
        cap_ratings.cap_assessment(risk_level="extreme", status="responding")  # type: ignore[arg-type]
    assert error_fields(caught) == {"risk_level"}
    with pytest.raises(Invalid) as caught:
        cap_ratings.cap_assessment(risk_level="low", status="open")  # type: ignore[arg-type]
    assert error_fields(caught) == {"status"}


def test_the_vocabularies_are_the_eoc_packages() -> None:
    models = pytest.importorskip("healthbridge.eoc.models")
    assert tuple(models.RISK_LEVELS) == cap_ratings.RISK_LEVELS
    assert tuple(models.EVENT_STATUSES) == cap_ratings.EVENT_STATUSES


def test_alerts_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        alert().identifier = "other"  # type: ignore[misc]
