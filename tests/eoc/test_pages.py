"""The EOC pages through the HTTP client: the board (grouped by status, risk badges, htmx
filters), opening an event from a signal's page, an event's page with a form for each allowed
transition only, transitions and notes from forms (CSRF, errors shown), and 404 for an event
not shared with the user."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_PASSWORD
from tests.eoc.event_arrange import make_signal

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc.models import Event
from healthbridge.policy import Role
from healthbridge.surveillance.models import Signal

MakeUser = Callable[..., User]
HTML = {"accept": "text/html"}
HTMX = {"accept": "text/html", "hx-request": "true"}


def sign_in(client: TestClient, user: User) -> str:
    """Sign in through the form; the CSRF token of the session's pages."""
    form = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert nonce is not None
    signed_in = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/eoc", headers=HTML).text)
    assert token is not None
    return token.group(1)


def forms_of(page: str) -> list[str]:
    return re.findall(r'data-testid="transition-([a-z_]+)"', page)


def test_from_a_signal_to_closure_through_the_pages(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        signal_id = make_signal(session).id
    token = sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    signal_page = client.get(f"/surveillance/signals/{signal_id}", headers=HTML).text
    assert "Open an event" in signal_page

    refused = client.post("/eoc/events", data={"signal_id": str(signal_id)}, headers=HTML)
    assert refused.status_code == 403  # no CSRF token
    opened = client.post(
        "/eoc/events",
        data={"signal_id": str(signal_id), "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    location = opened.headers["location"]
    assert re.fullmatch(r"/eoc/events/\d+", location)
    page = client.get(location, headers=HTML).text
    assert "<h1>Dengue in TH-10 (THA), 2024-W30</h1>" in page
    assert forms_of(page) == ["verify", "discard", "close"]
    assert f'href="/surveillance/signals/{signal_id}"' in page
    again = client.post(
        "/eoc/events", data={"signal_id": str(signal_id), "csrf_token": token}, headers=HTML
    )
    assert again.status_code == 409 and "already belongs to event" in again.text

    target = f"{location}/transitions"
    wrong = client.post(
        target, data={"action": "respond", "level": "full", "csrf_token": token}, headers=HTML
    )
    assert wrong.status_code == 409 and "cannot respond an event that is verifying" in wrong.text
    missing = client.post(
        target, data={"action": "verify", "source": "call", "csrf_token": token}, headers=HTML
    )
    assert missing.status_code == 422
    assert "<code>method</code>: required to verify" in missing.text
    assert 'value="call"' in missing.text  # what was typed stays in the form
    steps = [
        {"action": "verify", "source": "Provincial office", "method": "Phone call"},
        {"action": "assess_risk", "risk_level": "high"},
        {"action": "respond", "level": "partial"},
        {"action": "close", "reason": "Outbreak over"},
    ]
    expected_forms = [
        ["assess_risk", "close"],
        ["assess_risk", "respond", "close"],
        ["assess_risk", "respond", "close"],
        [],
    ]
    for step, forms in zip(steps, expected_forms, strict=True):
        moved = client.post(
            target, data={**step, "csrf_token": token}, headers=HTML, follow_redirects=False
        )
        assert moved.status_code == 303, moved.text
        assert forms_of(client.get(location, headers=HTML).text) == forms
    page = client.get(location, headers=HTML).text
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', page, re.S)
    assert timeline is not None
    assert re.findall(r'data-action="([a-z_]+)"', timeline.group(1)) == [
        "open",
        "verify",
        "assess_risk",
        "respond",
        "close",
    ]
    assert "Provincial office" in timeline.group(1) and "Outbreak over" in page
    assert "Risk: High" in page and "EOC: partial" in page
    assert "no further step" in page

    note = client.post(
        f"{location}/notes",
        data={"text": "After-action review on Friday", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert note.status_code == 303
    assert "Note: After-action review on Friday" in client.get(location, headers=HTML).text
    empty = client.post(f"{location}/notes", data={"text": " ", "csrf_token": token}, headers=HTML)
    assert empty.status_code == 422 and "required for a note" in empty.text

    with session_factory() as session:
        signal = session.get(Signal, signal_id)
        assert signal is not None and signal.status == "verify"


def test_the_board_groups_filters_and_hides_unshared_events(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    token = sign_in(client, make_user(Role.FOCAL_POINT, "KHM"))
    opened = client.post(
        "/eoc/events",
        data={
            "csrf_token": token,
            "disease": "avian_influenza_h5n1",
            "title": "H5N1 in a poultry worker",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    location = opened.headers["location"]
    bad = client.post(
        "/eoc/events", data={"csrf_token": token, "title": "Nothing named"}, headers=HTML
    )
    assert bad.status_code == 422 and "name a disease or, for another threat, a hazard" in bad.text
    assert 'value="Nothing named"' in bad.text

    board = client.get("/eoc", headers=HTML).text
    assert "<h1>EOC board</h1>" in board and 'href="/eoc"' in board
    column = re.search(r'data-status="signal">(.*?)</section>', board, re.S)
    assert column is not None and "H5N1 in a poultry worker" in column.group(1)
    assert "Risk not assessed" in column.group(1)
    fragment = client.get("/eoc", params={"status": "closed"}, headers=HTMX).text
    assert fragment.lstrip().startswith('<div id="board"') and "H5N1" not in fragment
    assert client.get("/eoc", params={"risk": "huge"}, headers=HTML).status_code == 422
    event_id = int(location.rsplit("/", 1)[1])
    with session_factory() as session:
        event = session.get(Event, event_id)
        assert event is not None and event.country_code == "KHM"

    # Another country's user: not on the board, 404 for the page, not even the title.
    client.cookies.clear()
    other = sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    assert "H5N1 in a poultry worker" not in client.get("/eoc", headers=HTML).text
    hidden = client.get(location, headers=HTML)
    assert hidden.status_code == 404 and "H5N1" not in hidden.text
    assert (
        client.post(
            f"{location}/transitions",
            data={"action": "close", "reason": "x", "csrf_token": other},
            headers=HTML,
        ).status_code
        == 404
    )


def test_sharing_from_the_page(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    token = sign_in(client, make_user(Role.EPIDEMIOLOGIST, "IDN"))
    location = client.post(
        "/eoc/events",
        data={"csrf_token": token, "disease": "measles", "area": "ID-JK"},
        headers=HTML,
        follow_redirects=False,
    ).headers["location"]
    page = client.get(location, headers=HTML).text
    assert "not shared: Indonesia only" in page and forms_of(page) == [
        "triage",
        "verify",
        "discard",
        "close",
    ]
    shared = client.post(
        f"{location}/shares",
        data={"csrf_token": token, "region": "yes", "country": "MYS"},
        headers=HTML,
        follow_redirects=False,
    )
    assert shared.status_code == 303
    page = client.get(location, headers=HTML).text
    assert "with the region; with Malaysia" in page
    own = client.post(
        f"{location}/shares", data={"csrf_token": token, "country": "IDN"}, headers=HTML
    )
    assert own.status_code == 422 and "the event is IDN&#39;s own" in own.text
    client.post(
        f"{location}/unshare", data={"csrf_token": token, "country": "region"}, headers=HTML
    )
    assert "with Malaysia" in client.get(location, headers=HTML).text

    # A shared country's user sees the page, without the forms.
    client.cookies.clear()
    sign_in(client, make_user(Role.FOCAL_POINT, "MYS"))
    seen = client.get(location, headers=HTML).text
    assert "Measles in ID-JK (IDN)" in seen and forms_of(seen) == []
    assert "Case-level records stay with Indonesia" in seen


def test_the_navigation_marks_the_longest_matching_entry(
    client: TestClient, make_user: Callable[..., User]
) -> None:
    sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    tasks = client.get("/eoc/tasks", headers=HTML).text
    assert 'href="/eoc/tasks" aria-current="page">Tasks</a>' in tasks
    assert 'href="/eoc" aria-current="page"' not in tasks
    board = client.get("/eoc/timeliness", headers=HTML).text
    assert 'href="/eoc" aria-current="page">EOC</a>' in board
