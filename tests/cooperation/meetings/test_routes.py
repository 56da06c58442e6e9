"""The meetings API through the HTTP client: series, meetings, agendas, documents, the .ics feed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.cooperation.meetings.builders import meeting_body

from healthbridge.accounts.models import User
from healthbridge.cooperation.meetings import demo
from healthbridge.interop import ical
from healthbridge.policy import Role
from problem_assertions import assert_problem

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


@pytest.fixture
def writer(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.SECRETARIAT, None))


@pytest.fixture
def reader(make_user: MakeUser, login: Login) -> Headers:
    return login(make_user(Role.VIEWER, "VNM"))


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


def create_meeting(client: TestClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/meetings", json=meeting_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def rok_series(client: TestClient, headers: Headers) -> None:
    body = demo.SERIES[0].model_dump()
    assert client.post("/api/v1/meeting-series", json=body, headers=headers).status_code == 201
    for number, (day, host) in enumerate((("2022-05-15", "IDN"), ("2024-08-29", "LAO")), 1):
        create_meeting(
            client,
            headers,
            title=f"{number} ASEAN–ROK HMM",
            meeting_type="asean_rok_hmm",
            series="ASEAN-ROK-HMM",
            status="held",
            starts_on=day,
            ends_on=None,
            country_code=host,
            co_chairs=[{"country_code": "KOR"}, {"country_code": host}],
        )


def upload(
    client: TestClient,
    headers: Headers,
    meeting_id: int,
    content: bytes,
    *,
    filename: str = "statement.txt",
    media_type: str = "text/plain",
    **data: str,
) -> Any:
    return client.post(
        f"/api/v1/meetings/{meeting_id}/documents",
        files={"file": (filename, content, media_type)},
        data={"kind": "joint_statement", **data},
        headers=headers,
    )


# --- series -------------------------------------------------------------------------------------


def test_series_are_created_listed_and_read(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    rok_series(client, writer)
    listed = client.get("/api/v1/meeting-series", headers=reader)
    assert listed.status_code == 200
    assert [s["code"] for s in listed.json()["items"]] == ["ASEAN-ROK-HMM"]
    one = client.get("/api/v1/meeting-series/asean-rok-hmm", headers=reader).json()
    assert one["fixed_co_chair_country"] == "KOR"
    assert one["rotation_rule"] == "asean_alphabetical"
    assert one["rhythm_months"] == 24
    assert [m["number_in_series"] for m in one["meetings"]] == [1, 2]
    assert_problem(client.get("/api/v1/meeting-series/NOPE", headers=reader), 404)


def test_series_input_is_checked(client: TestClient, writer: Headers, reader: Headers) -> None:
    body = demo.SERIES[1].model_dump()
    assert client.post("/api/v1/meeting-series", json=body, headers=writer).status_code == 201
    again = client.post("/api/v1/meeting-series", json=body, headers=writer)
    assert_problem(again, 409)
    assert fields(again) == ["code"]
    bad = client.post(
        "/api/v1/meeting-series",
        json={**body, "code": "bad code!", "rhythm_months": 0},
        headers=writer,
    )
    assert_problem(bad, 422)
    assert set(fields(bad)) == {"code", "rhythm_months"}
    assert_problem(client.post("/api/v1/meeting-series", json=body, headers=reader), 403)


def test_schedule_next_creates_once_then_returns_the_planned_meeting(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    rok_series(client, writer)
    url = "/api/v1/meeting-series/ASEAN-ROK-HMM/schedule-next"
    assert_problem(client.post(url, headers=reader), 403)
    first = client.post(url, headers=writer)
    assert first.status_code == 201, first.text
    planned = first.json()
    assert planned["status"] == "planned"
    assert planned["starts_on"] == "2026-08-29"
    assert planned["number_in_series"] == 3
    assert planned["country_code"] == "MYS"
    assert [(c["kind"], c["code"], c["name"]) for c in planned["co_chairs"]] == [
        ("country", "KOR", "Republic of Korea"),
        ("country", "MYS", "Malaysia"),
    ]
    second = client.post(url, headers=writer)
    assert second.status_code == 200
    assert second.json()["id"] == planned["id"]
    assert_problem(client.post("/api/v1/meeting-series/NOPE/schedule-next", headers=writer), 404)


# --- meetings -----------------------------------------------------------------------------------


def test_create_and_read_a_meeting(client: TestClient, writer: Headers, reader: Headers) -> None:
    created = create_meeting(client, writer)
    assert created["country_name"] == "Thailand"
    assert [(c["kind"], c["code"], c["name"]) for c in created["co_chairs"]] == [
        ("country", "THA", "Thailand"),
        ("organisation", "ASEC", "ASEC"),
    ]
    assert [(p["code"], p["role"]) for p in created["participants"]] == [
        ("THA", "member"),
        ("KOR", "member"),
        ("WHO", "observer"),
    ]
    assert created["delegates"][0]["full_name"] == "Somchai Wongsakul"
    assert [a["title"] for a in created["agenda"]] == ["Opening", "Draft joint statement"]
    assert created["documents"] == []
    read = client.get(f"/api/v1/meetings/{created['id']}", headers=reader)
    assert read.status_code == 200
    assert read.json() == created
    assert_problem(client.get("/api/v1/meetings/9999", headers=reader), 404)


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"ends_on": "2025-03-01"}, 422, "ends_on"),
        ({"country_code": "USA"}, 422, "country_code"),
        ({"meeting_type": "party"}, 422, "meeting_type"),
        ({"status": "maybe"}, 422, "status"),
        ({"co_chairs": [{}]}, 422, "co_chairs.0"),
        ({"co_chairs": [{"organisation_code": "NOPE"}]}, 422, "co_chairs[0].organisation_code"),
        ({"unexpected": 1}, 422, "unexpected"),
        ({"series": "NOPE"}, 422, "series"),
    ],
)
def test_bad_meetings_are_refused_naming_the_field(
    client: TestClient, writer: Headers, overrides: dict[str, Any], status: int, field: str
) -> None:
    response = client.post("/api/v1/meetings", json=meeting_body(**overrides), headers=writer)
    assert_problem(response, status)
    assert field in fields(response)
    assert client.get("/api/v1/meetings", headers=writer).json()["total"] == 0


def test_only_writers_create_meetings(client: TestClient, reader: Headers) -> None:
    assert_problem(client.post("/api/v1/meetings", json=meeting_body(), headers=reader), 403)
    assert_problem(client.post("/api/v1/meetings", json=meeting_body()), 401)


def test_list_meetings_filters_sorts_and_pages(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    rok_series(client, writer)
    other = create_meeting(client, writer)

    def titles(**params: Any) -> list[str]:
        response = client.get("/api/v1/meetings", params=params, headers=reader)
        assert response.status_code == 200, response.text
        return [m["title"] for m in response.json()["items"]]

    assert titles() == [other["title"], "2 ASEAN–ROK HMM", "1 ASEAN–ROK HMM"]
    assert titles(sort="starts_on") == ["1 ASEAN–ROK HMM", "2 ASEAN–ROK HMM", other["title"]]
    assert titles(series="ASEAN-ROK-HMM", year=2024) == ["2 ASEAN–ROK HMM"]
    assert titles(type="senior_officials") == [other["title"]]
    assert titles(country="LAO") == ["2 ASEAN–ROK HMM"]
    assert titles(status="held", q="rok") == ["2 ASEAN–ROK HMM", "1 ASEAN–ROK HMM"]
    page = client.get("/api/v1/meetings", params={"limit": 1, "offset": 1}, headers=reader)
    assert page.json()["total"] == 3
    assert len(page.json()["items"]) == 1
    assert 'rel="next"' in page.headers["link"] and 'rel="prev"' in page.headers["link"]
    for params, field in (
        ({"type": "party"}, "type"),
        ({"sort": "colour"}, "sort"),
        ({"year": "1066"}, "year"),
        ({"country": "XXX"}, "country"),
        ({"series": "NOPE"}, "series"),
    ):
        response = client.get("/api/v1/meetings", params=params, headers=reader)
        assert_problem(response, 422)
        assert fields(response) == [field], params


def test_patch_a_meeting(client: TestClient, writer: Headers, reader: Headers) -> None:
    meeting = create_meeting(client, writer)
    url = f"/api/v1/meetings/{meeting['id']}"
    changed = client.patch(
        url,
        json={"status": "held", "participants": [{"organisation_code": "WHO", "role": "partner"}]},
        headers=writer,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "held"
    assert [(p["code"], p["role"]) for p in changed.json()["participants"]] == [("WHO", "partner")]
    assert changed.json()["agenda"] == meeting["agenda"]
    bad = client.patch(url, json={"ends_on": "2020-01-01"}, headers=writer)
    assert_problem(bad, 422)
    assert fields(bad) == ["ends_on"]
    assert_problem(client.patch(url, json={"status": "held"}, headers=reader), 403)
    assert_problem(client.patch("/api/v1/meetings/9999", json={}, headers=writer), 404)


def test_agenda_items_are_added_and_changed(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    meeting = create_meeting(client, writer)
    url = f"/api/v1/meetings/{meeting['id']}/agenda"
    added = client.post(url, json={"title": "Any other business", "position": 1}, headers=writer)
    assert added.status_code == 201, added.text
    assert added.json()["position"] == 1
    item_id = added.json()["id"]
    moved = client.patch(
        f"{url}/{item_id}", json={"position": 3, "outcome": "None raised"}, headers=writer
    )
    assert moved.status_code == 200
    assert moved.json() == {
        "id": item_id,
        "position": 3,
        "title": "Any other business",
        "presenter": None,
        "outcome": "None raised",
    }
    agenda = client.get(f"/api/v1/meetings/{meeting['id']}", headers=reader).json()["agenda"]
    assert [a["title"] for a in agenda] == [
        "Opening",
        "Draft joint statement",
        "Any other business",
    ]
    assert_problem(client.post(url, json={"title": ""}, headers=writer), 422)
    assert_problem(client.post(url, json={"title": "x"}, headers=reader), 403)
    assert_problem(client.patch(f"{url}/99999", json={"title": "x"}, headers=writer), 404)


# --- documents ----------------------------------------------------------------------------------


def test_upload_is_idempotent_and_the_content_comes_back(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    meeting = create_meeting(client, writer)
    content = "Déclaration commune: dialogue channel".encode()
    first = upload(
        client, writer, meeting["id"], content, filename="déclaration.txt", language="fr"
    )
    assert first.status_code == 201, first.text
    document = first.json()
    assert document["checksum"] == hashlib.sha256(content).hexdigest()
    assert document["media_type"] == "text/plain"
    assert document["has_text"] is True
    assert document["language"] == "fr"
    assert document["content_url"] == f"/api/v1/documents/{document['id']}/content"
    again = upload(client, writer, meeting["id"], content, filename="other-name.txt")
    assert again.status_code == 200
    assert again.json()["id"] == document["id"]

    metadata = client.get(f"/api/v1/documents/{document['id']}", headers=reader)
    assert metadata.json() == document
    detail = client.get(f"/api/v1/meetings/{meeting['id']}", headers=reader).json()
    assert detail["documents"] == [document]

    body = client.get(document["content_url"], headers=reader)
    assert body.status_code == 200
    assert body.content == content
    assert body.headers["content-type"].startswith("text/plain")
    assert body.headers["etag"] == f'"{document["checksum"]}"'
    assert body.headers["x-content-type-options"] == "nosniff"
    disposition = body.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="d_claration.txt"')
    assert "filename*=UTF-8''d%C3%A9claration.txt" in disposition
    cached = client.get(
        document["content_url"], headers={**reader, "If-None-Match": body.headers["etag"]}
    )
    assert cached.status_code == 304
    assert cached.content == b""
    assert_problem(client.get("/api/v1/documents/9999", headers=reader), 404)
    assert_problem(client.get("/api/v1/documents/9999/content", headers=reader), 404)


def test_bad_uploads_are_refused(client: TestClient, writer: Headers, reader: Headers) -> None:
    meeting = create_meeting(client, writer)
    no_file = client.post(
        f"/api/v1/meetings/{meeting['id']}/documents", data={"kind": "minutes"}, headers=writer
    )
    assert_problem(no_file, 422)
    assert fields(no_file) == ["file"]
    bad_kind = upload(client, writer, meeting["id"], b"x", kind="poem")
    assert_problem(bad_kind, 422)
    assert fields(bad_kind) == ["kind"]
    empty = upload(client, writer, meeting["id"], b"")
    assert_problem(empty, 422)
    assert fields(empty) == ["file"]
    assert_problem(upload(client, reader, meeting["id"], b"x"), 403)
    assert_problem(upload(client, writer, 9999, b"x"), 404)


def test_search_documents_through_the_api(
    client: TestClient, writer: Headers, reader: Headers
) -> None:
    meeting = create_meeting(client, writer)
    upload(client, writer, meeting["id"], b"The global biomanufacturing workforce hub.")
    upload(
        client,
        writer,
        meeting["id"],
        b"%PDF-1.7",
        filename="slides.pdf",
        media_type="application/pdf",
        kind="presentation",
        title="Slides",
        text="Laboratory capacity",
    )
    found = client.get("/api/v1/documents", params={"q": "biomanufacturing"}, headers=reader)
    assert found.status_code == 200, found.text
    [hit] = found.json()["items"]
    assert "<mark>biomanufacturing</mark>" in hit["snippet_html"]
    assert hit["meeting_title"] == meeting["title"]
    assert hit["rank"] > 0
    lab = client.get("/api/v1/documents", params={"q": "laboratory"}, headers=reader).json()
    assert [h["title"] for h in lab["items"]] == ["Slides"]
    everything = client.get("/api/v1/documents", headers=reader).json()
    assert everything["total"] == 2
    only = client.get("/api/v1/documents", params={"kind": "presentation"}, headers=reader)
    assert [h["title"] for h in only.json()["items"]] == ["Slides"]
    bad = client.get("/api/v1/documents", params={"kind": "poem"}, headers=reader)
    assert_problem(bad, 422)
    assert fields(bad) == ["kind"]


# --- calendar -----------------------------------------------------------------------------------


def test_the_calendar_feed(client: TestClient, writer: Headers, reader: Headers) -> None:
    rok_series(client, writer)
    client.post("/api/v1/meeting-series/ASEAN-ROK-HMM/schedule-next", headers=writer)
    theme = "Health; dialogue, and a long theme " + "é" * 60
    meeting = create_meeting(client, writer, theme=theme)
    response = client.get("/api/v1/meetings/calendar.ics", headers=reader)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    lines = ical.unfold(raw.decode())
    assert lines.count("BEGIN:VEVENT") == 4
    assert "PRODID:-//HealthBridge//Meetings//EN" in lines
    assert "VERSION:2.0" in lines
    assert f"UID:meeting-{meeting['id']}@healthbridge" in lines
    assert "DTSTART;VALUE=DATE:20250310" in lines
    assert "DTEND;VALUE=DATE:20250312" in lines  # exclusive: the day after 11 March
    assert "STATUS:TENTATIVE" in lines  # planned
    assert lines.count("STATUS:CONFIRMED") == 2  # the held meetings
    assert "LOCATION:Bangkok\\, Thailand" in lines
    description = next(line for line in lines if line.startswith("DESCRIPTION:") and "é" in line)
    assert ical.unescape_text(description.removeprefix("DESCRIPTION:")).startswith(theme + "\n")
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)

    only = client.get("/api/v1/meetings/calendar.ics", params={"status": "planned"}, headers=reader)
    assert ical.unfold(only.text).count("BEGIN:VEVENT") == 2
    assert client.get("/api/v1/meetings/calendar.ics").status_code == 401
