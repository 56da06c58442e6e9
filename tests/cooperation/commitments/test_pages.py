"""The commitment pages through the test client: tracker, detail and its status form, scorecard,
and the fragment of a meeting's commitments."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import TEST_PASSWORD
from tests.cooperation.commitments.arrange import make_commitment

from healthbridge.accounts.models import User
from healthbridge.cooperation.commitments import service
from healthbridge.cooperation.commitments.models import Commitment
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal, Role

TODAY = service.today()
DAY = dt.timedelta(days=1)
HTML = {"accept": "text/html"}
HTMX = {"accept": "text/html", "hx-request": "true"}
Arrange = Callable[[Callable[[Session], Any]], Any]
MakeUser = Callable[..., User]
ARRANGER = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)


def hidden_input(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden input {name!r} in the page"
    return match.group(1)


def sign_in(client: TestClient, user: User) -> None:
    """Sign in through the login form: the client then carries the session cookie."""
    csrf = hidden_input(client.get("/login").text, "csrf_token")
    response = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": csrf, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(client: TestClient, path: str) -> str:
    return hidden_input(client.get(path, headers=HTML).text, "csrf_token")


def load(arrange: Arrange, commitment_id: int) -> Commitment:
    return arrange(
        lambda s: service.get_commitment(session=s, actor=ARRANGER, commitment_id=commitment_id)
    )


@pytest.fixture
def three(arrange: Arrange, meeting_id: int) -> dict[str, int]:
    """An overdue THA commitment, a VNM one due soon and a WHO one due later."""

    def build(session: Session) -> dict[str, int]:
        return {
            "overdue": make_commitment(
                session,
                ARRANGER,
                meeting_id,
                text="Send the lab assessment",
                status="agreed",
                due_on=TODAY - 3 * DAY,
            ).id,
            "soon": make_commitment(
                session,
                ARRANGER,
                meeting_id,
                text="Share the UHC figures",
                kind="follow_up",
                owed_by_country="VNM",
                due_on=TODAY + 9 * DAY,
            ).id,
            "later": make_commitment(
                session,
                ARRANGER,
                meeting_id,
                text="Publish the guidance",
                kind="pledge",
                owed_by_organisation="WHO",
                due_on=TODAY + 120 * DAY,
            ).id,
        }

    return dict(arrange(build))


# --- tracker -----------------------------------------------------------------------------------


def test_the_tracker_lists_with_tabs_badges_and_filters(
    client: TestClient, make_user: MakeUser, three: dict[str, int]
) -> None:
    sign_in(client, make_user(Role.VIEWER, "IDN"))
    page = client.get("/commitments", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert "<h1>Commitments</h1>" in html
    assert "/static/css/commitments.css" in html
    assert (
        '<a href="/commitments?view=all&amp;status=&amp;kind=&amp;owed_by=&amp;q="'
        ' aria-current="page">All</a>' in html
    )
    assert "3 commitments" in html
    for text in ("Send the lab assessment", "Share the UHC figures", "Publish the guidance"):
        assert text in html
    assert 'class="badge badge-agreed"' in html
    assert "Overdue by 3 d" in html
    assert "Due soon" in html
    assert "World Health Organization" in html and "Viet Nam" in html
    assert '<label for="owed_by">Owed by</label>' in html

    overdue = client.get("/commitments", params={"view": "overdue"}, headers=HTML).text
    assert re.search(r'<a href="[^"]*view=overdue[^"]*" aria-current="page">Overdue</a>', overdue)
    assert "Send the lab assessment" in overdue
    assert "Share the UHC figures" not in overdue and "Publish the guidance" not in overdue

    soon = client.get("/commitments", params={"view": "due_soon"}, headers=HTML).text
    assert "Share the UHC figures" in soon and "Send the lab assessment" not in soon

    fragment = client.get(
        "/commitments", params={"owed_by": "WHO", "kind": "pledge"}, headers=HTMX
    ).text
    assert "<html" not in fragment and "<table>" in fragment
    assert "Publish the guidance" in fragment and "Send the lab assessment" not in fragment
    assert "1 commitment," in fragment

    by_status = client.get("/commitments", params={"status": "proposed"}, headers=HTML).text
    assert "Send the lab assessment" not in by_status and "Share the UHC figures" in by_status


def test_the_tracker_refuses_unknown_filters(client: TestClient, make_user: MakeUser) -> None:
    sign_in(client, make_user(Role.VIEWER, "IDN"))
    for params in ({"status": "finished"}, {"kind": "wish"}, {"owed_by": "ATLANTIS"}):
        response = client.get("/commitments", params=params, headers=HTML)
        assert response.status_code == 422
        assert "<h1>Invalid input</h1>" in response.text


def test_pages_need_signing_in(client: TestClient) -> None:
    response = client.get("/commitments", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# --- detail and the status form ----------------------------------------------------------------


def test_the_detail_shows_history_evidence_and_the_form_to_those_allowed(
    client: TestClient, make_user: MakeUser, three: dict[str, int]
) -> None:
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    own = client.get(f"/commitments/{three['overdue']}", headers=HTML).text
    assert "<h1>Send the lab assessment</h1>" in own
    assert "Status history" in own and "No evidence yet." in own
    assert '<form class="stack" method="post" action="/commitments/' in own
    assert hidden_input(own, "csrf_token")
    # From agreed: in progress, delivered or dropped.
    assert re.findall(
        r'<option value="(\w+)"', own.split('<select id="status"')[1].split("</select>")[0]
    ) == [
        "in_progress",
        "delivered",
        "dropped",
    ]
    assert '<label for="evidence_url">' in own

    theirs = client.get(f"/commitments/{three['soon']}", headers=HTML).text
    assert "Share the UHC figures" in theirs
    assert "/status" not in theirs  # Viet Nam's: no form for Thailand
    assert "Focal points of Viet Nam and regional users move this commitment." in theirs

    organisation = client.get(f"/commitments/{three['later']}", headers=HTML).text
    assert "Regional users move this commitment." in organisation
    assert client.get("/commitments/987654", headers=HTML).status_code == 404


def test_delivering_through_the_plain_form_with_a_link(
    client: TestClient, make_user: MakeUser, three: dict[str, int], arrange: Arrange
) -> None:
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    path = f"/commitments/{three['overdue']}"
    response = client.post(
        f"{path}/status",
        data={
            "csrf_token": csrf_of(client, path),
            "status": "delivered",
            "note": "Assessment shared with the hub",
            "evidence_url": "https://example.org/assessment.pdf",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == path
    commitment = load(arrange, three["overdue"])
    assert (commitment.status, commitment.delivered_on) == ("delivered", TODAY)
    assert [(e.kind, e.url) for e in commitment.evidence] == [
        ("link", "https://example.org/assessment.pdf")
    ]
    page = client.get(path, headers=HTML).text
    assert 'href="https://example.org/assessment.pdf"' in page
    assert "Assessment shared with the hub" in page
    assert "that is final" in page
    overdue = client.get("/commitments", params={"view": "overdue"}, headers=HTML).text
    assert "Send the lab assessment" not in overdue


def test_a_refused_status_change_rerenders_the_form_and_changes_nothing(
    client: TestClient, make_user: MakeUser, three: dict[str, int], arrange: Arrange
) -> None:
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    path = f"/commitments/{three['overdue']}"
    csrf = csrf_of(client, path)
    for data, message in (
        ({"status": "delivered"}, "delivering needs evidence"),
        ({"status": "delivered", "evidence_url": "ftp://example.org/x"}, "only http and https"),
        ({"status": "dropped"}, "required to drop a commitment"),
        (
            {"status": "delivered", "delivered_on": str(TODAY + DAY), "evidence_reference": "R"},
            "in the future",
        ),
        ({"status": "proposed"}, "cannot go from agreed to proposed"),
        (
            {"status": "delivered", "evidence_url": "https://a.example", "evidence_reference": "R"},
            "choose one kind of evidence",
        ),
        (
            {"status": "delivered", "evidence_kind": "document", "evidence_document_id": "x"},
            "a number",
        ),
    ):
        response = client.post(f"{path}/status", data={"csrf_token": csrf, **data}, headers=HTML)
        assert response.status_code == 422, (data, response.text[:300])
        assert "Not saved." in response.text and message in response.text, data
    commitment = load(arrange, three["overdue"])
    assert (commitment.status, commitment.evidence, len(commitment.history)) == ("agreed", [], 1)


def test_the_status_form_with_htmx_answers_the_page_to_swap(
    client: TestClient, make_user: MakeUser, three: dict[str, int], arrange: Arrange
) -> None:
    sign_in(client, make_user(Role.SECRETARIAT, None))
    path = f"/commitments/{three['later']}"
    csrf = csrf_of(client, path)
    response = client.post(
        f"{path}/status",
        data={"status": "agreed", "note": "Agreed at the SOM"},
        headers={**HTMX, "X-CSRF-Token": csrf},
    )
    assert response.status_code == 200
    assert (
        'id="commitment"' in response.text and "Saved: the commitment is agreed." in response.text
    )
    refused = client.post(
        f"{path}/status", data={"status": "dropped"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert refused.status_code == 200  # htmx swaps 2xx answers only
    assert "required to drop a commitment" in refused.text
    assert load(arrange, three["later"]).status == "agreed"


def test_the_status_form_needs_the_csrf_token_and_the_scope(
    client: TestClient, make_user: MakeUser, three: dict[str, int], arrange: Arrange
) -> None:
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    path = f"/commitments/{three['soon']}"
    forged = client.post(
        f"{path}/status", data={"status": "agreed", "csrf_token": "0" * 64}, headers=HTML
    )
    assert forged.status_code == 403
    csrf = csrf_of(client, f"/commitments/{three['overdue']}")
    refused = client.post(
        f"{path}/status", data={"status": "agreed", "csrf_token": csrf}, headers=HTML
    )
    assert refused.status_code == 403  # Viet Nam's commitment
    assert load(arrange, three["soon"]).status == "proposed"


# --- scorecard ---------------------------------------------------------------------------------


def test_the_scorecard_page_has_a_chart_and_its_table(
    client: TestClient, make_user: MakeUser, three: dict[str, int]
) -> None:
    sign_in(client, make_user(Role.VIEWER, "IDN"))
    html = client.get("/commitments/scorecard", headers=HTML).text
    assert "<h1>Commitment scorecard</h1>" in html
    assert '<script src="/static/vendor/plotly.min.js" defer></script>' in html
    assert 'id="scorecard-chart"' in html and 'role="img"' in html
    assert '<script type="application/json" id="scorecard-data">' in html
    assert '<th scope="row"><a href="/commitments?owed_by=THA">Thailand</a></th>' in html
    row = html.split('data-owed-by="THA"')[1].split("</tr>")[0]
    # The on-time rate as the language writes a percentage ("0%").
    assert re.findall(r"<td>([^<]*)</td>", row) == ["1", "0", "0", "1", "0", "0%"]
    empty = client.get("/commitments/scorecard", params={"year": "2001"}, headers=HTML).text
    assert "No commitment due in 2001." in empty and "scorecard-chart" not in empty
    assert (
        client.get("/commitments/scorecard", params={"year": "soon"}, headers=HTML).status_code
        == 422
    )
    plotly = client.get("/static/vendor/plotly.min.js")
    assert plotly.status_code == 200


# --- the meeting's fragment --------------------------------------------------------------------


def test_the_meeting_fragment_lists_and_adds_commitments(
    client: TestClient,
    make_user: MakeUser,
    meeting_id: int,
    three: dict[str, int],
    arrange: Arrange,
) -> None:
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    path = f"/meetings/{meeting_id}/commitments"
    fragment = client.get(path, headers=HTMX).text
    assert '<div id="mc-content"' in fragment and "<html" not in fragment
    assert 'hx-target="#mc-content" hx-swap="outerHTML"' in fragment
    assert "3 commitments of this meeting" in fragment
    assert '<h3 id="mc-add-heading">Add commitment</h3>' in fragment
    owed_by = fragment.split('id="mc-owed-by"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]+)"', owed_by) == ["country:THA"]  # own country only
    csrf = hidden_input(fragment, "csrf_token")

    added = client.post(
        path,
        data={
            "text": "Host the next senior officials' meeting",
            "kind": "pledge",
            "owed_by": "country:THA",
            "owed_to": "organisation:ASEC",
            "due_on": str(TODAY + 100 * DAY),
        },
        headers={**HTMX, "X-CSRF-Token": csrf},
    )
    assert added.status_code == 200, added.text
    assert "4 commitments of this meeting" in added.text and "Recorded commitment #" in added.text
    assert "Host the next senior officials" in added.text

    refused = client.post(
        path,
        data={"text": "", "kind": "pledge", "owed_by": "country:THA", "owed_to": ""},
        headers={**HTMX, "X-CSRF-Token": csrf},
    )
    assert refused.status_code == 200 and "Not saved." in refused.text
    foreign = client.post(
        path,
        data={
            "csrf_token": csrf,
            "text": "Viet Nam will",
            "kind": "pledge",
            "owed_by": "country:VNM",
        },
        headers=HTML,
    )
    assert foreign.status_code == 403
    plain = client.post(
        path,
        data={
            "csrf_token": csrf,
            "text": "Plain form",
            "kind": "request",
            "owed_by": "country:THA",
            "owed_to": "",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == f"/meetings/{meeting_id}"
    rows, total = arrange(
        lambda s: service.list_commitments(
            session=s, actor=ARRANGER, page=PageRequest(), meeting_id=meeting_id
        )
    )
    assert total == 5
    assert {c.text for c in rows} >= {"Host the next senior officials' meeting", "Plain form"}


def test_the_meeting_fragment_for_readers_and_unknown_meetings(
    client: TestClient, make_user: MakeUser, meeting_id: int, three: dict[str, int]
) -> None:
    sign_in(client, make_user(Role.SECRETARIAT, None))
    regional = client.get(f"/meetings/{meeting_id}/commitments", headers=HTMX).text
    owed_by = regional.split('id="mc-owed-by"')[1].split("</select>")[0]
    assert 'value="organisation:WHO"' in owed_by and 'value="country:VNM"' in owed_by
    client.cookies.clear()
    sign_in(client, make_user(Role.VIEWER, "THA"))
    viewer = client.get(f"/meetings/{meeting_id}/commitments", headers=HTMX).text
    assert "Send the lab assessment" in viewer and "Add commitment" not in viewer
    assert client.get("/meetings/999999/commitments", headers=HTMX).status_code == 404
