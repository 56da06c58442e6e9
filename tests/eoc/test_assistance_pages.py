"""Assistance pages through the HTTP client: the event page's htmx section, asking (only once
shared; errors shown with what was typed), offering from another country, accepting and
closing, the board, and 404 for a country the event is not shared with."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, HTMX, sign_in

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import service
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
CAMBODIA_EOC = Principal(email="eoc@khm", role=Role.EOC_OFFICER, country="KHM")


def _event(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        event = service.create_event(
            session=session,
            actor=CAMBODIA_EOC,
            new=service.NewEvent(
                country="KHM", disease="avian_influenza_h5n1", title="H5N1 in Takeo"
            ),
        )
        return event.id


def test_asking_offering_and_accepting_through_the_pages(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    event_id = _event(session_factory)
    khm_user = make_user(Role.EOC_OFFICER, "KHM")
    vnm_user = make_user(Role.EOC_OFFICER, "VNM")
    token = sign_in(client, khm_user)
    page = client.get(f"/eoc/events/{event_id}", headers=HTML).text
    assert f'hx-get="/eoc/events/{event_id}/assistance"' in page
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    assert "<html" not in section
    assert 'data-testid="assistance-needs-sharing"' in section
    assert 'data-testid="assistance-form"' not in section

    target = f"/eoc/events/{event_id}/assistance-requests"
    ask = {
        "kind": "lab_testing",
        "title": "Sequencing of H5 isolates",
        "description": "20 samples, whole-genome sequencing",
        "csrf_token": token,
    }
    unshared = client.post(target, data=ask, headers=HTML)
    assert unshared.status_code == 409 and "share it with the region" in unshared.text
    shared = client.post(
        f"/eoc/events/{event_id}/shares",
        data={"country": "VNM", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert shared.status_code == 303, shared.text
    bad = client.post(target, data={**ask, "needed_by": "soon"}, headers=HTML)
    assert bad.status_code == 422 and "<code>needed_by</code>" in bad.text
    assert 'value="Sequencing of H5 isolates"' in bad.text  # what was typed is kept
    made = client.post(target, data=ask, headers=HTML, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("#assistance")
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    assert "Sequencing of H5 isolates" in section and "No offer yet." in section
    assert 'data-testid="offer-form"' not in section  # Cambodia does not offer to itself

    # Thailand was not shared with: nothing there.
    tha_user = make_user(Role.EOC_OFFICER, "THA")
    sign_in(client, tha_user)
    assert client.get(f"/eoc/events/{event_id}/assistance", headers=HTML).status_code == 404
    assert "Sequencing" not in client.get("/eoc/assistance", headers=HTML).text

    vnm_token = sign_in(client, vnm_user)
    board = client.get("/eoc/assistance", headers=HTML)
    assert board.status_code == 200 and "Sequencing of H5 isolates" in board.text
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    assert 'data-testid="offer-form"' in section and "from Viet Nam" in section
    assert 'data-testid="close-request-form"' not in section
    request_id = section.split('data-request="')[1].split('"')[0]
    offered = client.post(
        f"{target}/{request_id}/offers",
        data={
            "description": "National Institute of Hygiene and Epidemiology",
            "csrf_token": vnm_token,
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert offered.status_code == 303, offered.text

    token = sign_in(client, khm_user)
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    offer_id = section.split('data-offer="')[1].split('"')[0]
    accepted = client.post(
        f"{target}/{request_id}/offers/{offer_id}/decision",
        data={"decision": "accept", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    no_reason = client.post(
        f"{target}/{request_id}/close",
        data={"action": "withdraw", "csrf_token": token},
        headers=HTML,
    )
    assert no_reason.status_code == 422 and "say why" in no_reason.text
    fulfilled = client.post(
        f"{target}/{request_id}/close",
        data={"action": "fulfil", "note": "Results back", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert fulfilled.status_code == 303
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    assert 'data-status="fulfilled"' in section and "Results back" in section
    assert "Accepted" in section
    assert "Sequencing" not in client.get("/eoc/assistance", headers=HTML).text
    assert "Sequencing" in client.get("/eoc/assistance?status=fulfilled", headers=HTML).text
    assert client.get("/eoc/assistance?kind=boats", headers=HTML).status_code == 422


def test_a_resources_request_leads_to_an_item_level_request(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    event_id = _event(session_factory)
    token = sign_in(client, make_user(Role.EOC_OFFICER, "KHM"))
    client.post(
        f"/eoc/events/{event_id}/shares",
        data={"region": "yes", "csrf_token": token},
        headers=HTML,
    )
    made = client.post(
        f"/eoc/events/{event_id}/assistance-requests",
        data={
            "kind": "resources",
            "title": "Oseltamivir for contacts",
            "description": "5,000 capsules",
            "csrf_token": token,
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    section = client.get(f"/eoc/events/{event_id}/assistance", headers=HTMX).text
    link = section.split('data-testid="resource-request-link"')[0].rsplit('href="', 1)[1]
    link = link.split('"')[0].replace("&amp;", "&")
    assert link.startswith(f"/resources/requests/new?event_id={event_id}&assistance_request_id=")
    form = client.get(link, headers=HTML)
    assert form.status_code == 200
    assert f'value="{event_id}"' in form.text
