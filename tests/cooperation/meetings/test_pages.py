"""The meetings pages through the HTTP client: the calendar, a meeting, the forms, the search."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_PASSWORD

from healthbridge.accounts.models import User
from healthbridge.cooperation.meetings.models import Document, Meeting
from healthbridge.policy import Role

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
MakeMeeting = Callable[..., int]
HTML = {"accept": "text/html"}


@pytest.fixture
def writer(make_user: MakeUser, login: Login) -> Headers:
    return {**login(make_user(Role.SECRETARIAT, None)), **HTML}


@pytest.fixture
def reader(make_user: MakeUser, login: Login) -> Headers:
    return {**login(make_user(Role.VIEWER, "THA")), **HTML}


def sign_in(client: TestClient, user: User) -> None:
    """Sign in through the login form, as a browser does (the session cookie stays in client)."""
    form = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert nonce is not None
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def new_meeting_form(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Working group on laboratory networks",
        "meeting_type": "working_group",
        "series": "",
        "status": "planned",
        "starts_on": "2026-12-08",
        "ends_on": "2026-12-09",
        "city": "Jakarta",
        "country_code": "IDN",
        "theme": "Laboratory capacity",
        "co_chairs": ["IDN", "KOR"],
        "agenda": "Opening\n\nReview of the laboratory network\n",
        **overrides,
    }


# --- the calendar and the lists -----------------------------------------------------------------


def test_the_month_calendar_shows_meetings_and_marks_planned_ones(
    client: TestClient, reader: Headers, make_meeting: MakeMeeting
) -> None:
    held = make_meeting(title="Held in August", status="held", starts_on="2024-08-29", ends_on=None)
    planned = make_meeting(title="Planned in August", starts_on="2024-08-30", ends_on="2024-08-31")
    response = client.get("/meetings", params={"month": "2024-08"}, headers=reader)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Meetings</h1>" in html
    assert '<h2 id="month-heading">August 2024</h2>' in html
    assert 'href="/meetings?month=2024-07"' in html
    assert 'href="/meetings?month=2024-09"' in html
    assert 'href="/api/v1/meetings/calendar.ics"' in html
    grid = html[html.index('class="month-grid"') : html.index("</table>")]
    assert f'href="/meetings/{held}">Held in August</a>' in grid
    chip = re.search(rf'href="/meetings/{planned}">Planned in August <span[^>]*>\(planned\)', grid)
    assert chip is not None
    assert grid.count(f'href="/meetings/{planned}"') == 2  # it runs over two days
    assert 'class="meeting-chip meeting-status-planned"' in grid
    # The viewer writes nothing: no link to the form.
    assert 'href="/meetings/new"' not in html


def test_the_month_wraps_at_the_year_and_defaults_to_this_month(
    client: TestClient, reader: Headers
) -> None:
    html = client.get("/meetings", params={"month": "2025-01"}, headers=reader).text
    assert 'href="/meetings?month=2024-12"' in html
    assert 'href="/meetings?month=2025-02"' in html
    default = client.get("/meetings", headers=reader)
    assert default.status_code == 200
    assert 'aria-current="date"' in default.text
    bad = client.get("/meetings", params={"month": "2025-13"}, headers=reader)
    assert bad.status_code == 422
    assert "is not a month" in bad.text


def test_upcoming_and_past_lists(
    client: TestClient, writer: Headers, make_meeting: MakeMeeting
) -> None:
    make_meeting(title="Long ago", status="held", starts_on="2001-01-01", ends_on=None)
    make_meeting(title="Far ahead", starts_on="2999-01-01", ends_on=None)
    html = client.get("/meetings", headers=writer).text
    upcoming = html[html.index('id="upcoming-heading"') : html.index('id="past-heading"')]
    past = html[html.index('id="past-heading"') :]
    assert "Far ahead" in upcoming and "Long ago" not in upcoming
    assert "Long ago" in past and "Far ahead" not in past
    assert "1 meeting coming or under way" in upcoming
    assert 'href="/meetings/new"' in html


# --- a meeting ----------------------------------------------------------------------------------


def test_the_meeting_page_shows_everything(
    client: TestClient, writer: Headers, reader: Headers, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    uploaded = client.post(
        f"/api/v1/meetings/{meeting_id}/documents",
        files={"file": ("statement.txt", b"We agree.", "text/plain")},
        data={"kind": "joint_statement", "title": "Joint statement"},
        headers=writer,
    )
    document_id = uploaded.json()["id"]
    html = client.get(f"/meetings/{meeting_id}", headers=reader).text
    assert "<h1>Senior officials&#39; meeting on health</h1>" in html
    assert 'datetime="2025-03-10"' in html and 'datetime="2025-03-11"' in html
    co_chairs = re.search(r'data-testid="co-chairs">(.*?)</dd>', html)
    assert co_chairs is not None
    assert "Thailand" in co_chairs.group(1) and "ASEC" in co_chairs.group(1)
    assert "Republic of Korea" in html  # a participant
    assert "observer" in html
    assert "Somchai Wongsakul" in html
    agenda = html[html.index('id="agenda-heading"') : html.index('id="documents-heading"')]
    assert agenda.index("Opening") < agenda.index("Draft joint statement")
    assert "<strong>Outcome:</strong> Agreed ad referendum" in agenda
    assert f'href="/api/v1/documents/{document_id}/content"' in html
    assert (
        f'<section id="meeting-commitments" hx-get="/meetings/{meeting_id}/commitments" '
        'hx-trigger="load">'
    ) in html
    assert "Commitments load here." in html
    assert "Upload a document" not in html  # a viewer sees no forms
    writer_html = client.get(f"/meetings/{meeting_id}", headers=writer).text
    assert "Upload a document" in writer_html
    assert 'enctype="multipart/form-data"' in writer_html
    assert 'name="csrf_token"' in writer_html
    assert client.get("/meetings/9999", headers=reader).status_code == 404


# --- the new-meeting form -----------------------------------------------------------------------


def test_the_form_is_for_writers_only(client: TestClient, writer: Headers, reader: Headers) -> None:
    form = client.get("/meetings/new", headers=writer)
    assert form.status_code == 200
    for name in ("title", "meeting_type", "series", "starts_on", "ends_on", "city"):
        assert f'name="{name}"' in form.text
    assert (
        'name="country_code"' in form.text and '<option value="LAO">Lao PDR</option>' in form.text
    )
    assert 'name="co_chairs" multiple' in form.text
    assert '<textarea id="agenda" name="agenda"' in form.text
    assert client.get("/meetings/new", headers=reader).status_code == 403
    assert client.post("/meetings/new", data=new_meeting_form(), headers=reader).status_code == 403


def test_the_form_creates_the_meeting_and_redirects_to_it(
    client: TestClient, writer: Headers, session_factory: sessionmaker[Session]
) -> None:
    response = client.post(
        "/meetings/new", data=new_meeting_form(), headers=writer, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/meetings/\d+", location)
    with session_factory() as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.title == "Working group on laboratory networks"
        assert [a.title for a in meeting.agenda] == ["Opening", "Review of the laboratory network"]
        assert [c.country_code for c in meeting.co_chairs] == ["IDN", "KOR"]
    page = client.get(location, headers=writer).text
    assert "Review of the laboratory network" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "at least 1 character"),
        ({"ends_on": "2026-12-01"}, "ends_on", "on or after starts_on"),
        ({"starts_on": "not a date"}, "starts_on", "valid date"),
        ({"country_code": ""}, "country_code", "at least 3 characters"),
        ({"meeting_type": "party"}, "meeting_type", "Input should be"),
        ({"series": "NOPE"}, "series", "is not the code of a meeting series"),
        ({"agenda": "ok\n" + "x" * 301}, "agenda", "line 2"),
    ],
)
def test_an_invalid_form_is_shown_again_with_its_errors(
    client: TestClient,
    writer: Headers,
    session_factory: sessionmaker[Session],
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = client.post("/meetings/new", data=new_meeting_form(**overrides), headers=writer)
    assert response.status_code == 422
    html = response.text
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error is not None, html
    assert message in error.group(1)
    assert f'aria-describedby="{field}-error"' in html
    assert 'value="Jakarta"' in html  # what was typed is kept
    assert '<option value="KOR" selected>' in html
    with session_factory() as session:
        assert session.scalars(select(Meeting)).first() is None


def test_a_browser_session_needs_the_csrf_token(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    sign_in(client, make_user(Role.SECRETARIAT, None))
    form = client.get("/meetings/new")
    assert form.status_code == 200
    refused = client.post("/meetings/new", data=new_meeting_form(), headers=HTML)
    assert refused.status_code == 403
    accepted = client.post(
        "/meetings/new",
        data={**new_meeting_form(), "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    meeting_page = client.get(accepted.headers["location"])
    uploaded = client.post(
        f"{accepted.headers['location']}/documents",
        data={"kind": "minutes", "csrf_token": csrf_of(meeting_page.text), "language": "en"},
        files={"file": ("minutes.md", b"# Minutes\n\nThe dialogue channel met.", "text/markdown")},
        follow_redirects=False,
    )
    assert uploaded.status_code == 303
    assert uploaded.headers["location"].endswith("#documents")
    with session_factory() as session:
        document = session.scalars(select(Document)).one()
        assert document.media_type == "text/markdown"
        assert document.text == "# Minutes\n\nThe dialogue channel met."


def test_a_bad_upload_from_the_page_is_explained(
    client: TestClient, writer: Headers, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    response = client.post(
        f"/meetings/{meeting_id}/documents",
        data={"kind": "poem"},
        files={"file": ("a.txt", b"text", "text/plain")},
        headers=writer,
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert "kind: one of" in response.text
    empty = client.post(
        f"/meetings/{meeting_id}/documents", data={"kind": "minutes"}, headers=writer
    )
    assert empty.status_code == 422
    assert "file: the file is empty" in empty.text


# --- document search ----------------------------------------------------------------------------


def test_the_search_page(
    client: TestClient, writer: Headers, reader: Headers, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    client.post(
        f"/api/v1/meetings/{meeting_id}/documents",
        files={
            "file": ("s.txt", b"A biomanufacturing hub & training for the region.", "text/plain")
        },
        data={"kind": "joint_statement", "title": "Hub statement"},
        headers=writer,
    )
    html = client.get("/documents", params={"q": "biomanufacturing"}, headers=reader).text
    assert "<h1>Documents</h1>" in html
    assert "1 document match" in html
    assert "<mark>biomanufacturing</mark> hub &amp; training" in html
    assert f'href="/meetings/{meeting_id}"' in html
    assert 'value="biomanufacturing"' in html
    none = client.get("/documents", params={"q": "absent"}, headers=reader).text
    assert "0 documents match" in none
    everything = client.get("/documents", headers=reader).text
    assert "1 document, newest first" in everything
