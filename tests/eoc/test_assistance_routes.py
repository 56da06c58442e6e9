"""Assistance requests through the API: only shared events ask; other countries offer; the
asking country accepts, declines and closes; status rules (409), fields named (422), unseen
events (404), read-only users (403); the board; every change audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.eoc.assistance import today
from healthbridge.policy import Role

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


def _fields(body: dict[str, object]) -> set[str]:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    return {str(e["field"]) for e in errors}


def _event(client: TestClient, headers: Headers, country: str = "KHM") -> int:
    made = client.post(
        "/api/v1/events",
        json={"country": country, "disease": "avian_influenza_h5n1", "title": "H5N1 in workers"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def test_assistance_from_asking_to_fulfilment(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    khm = login(make_user(Role.EOC_OFFICER, "KHM"))
    khm_viewer = login(make_user(Role.VIEWER, "KHM"))
    vnm = login(make_user(Role.EOC_OFFICER, "VNM"))
    tha = login(make_user(Role.EOC_OFFICER, "THA"))
    regional = login(make_user(Role.EOC_OFFICER, None))
    event_id = _event(client, khm)
    base = f"/api/v1/events/{event_id}/assistance-requests"
    ask = {
        "kind": "field_team",
        "title": "Field epidemiologists for contact tracing",
        "description": "Two field epidemiologists speaking Khmer or English, for 14 days",
        "needed_by": (today() + dt.timedelta(days=5)).isoformat(),
    }

    # Not shared yet: nobody to ask.
    unshared = assert_problem(client.post(base, json=ask, headers=khm), 409)
    assert "share" in str(unshared["detail"])
    assert client.post(
        f"/api/v1/events/{event_id}/shares", json={"countries": ["VNM"]}, headers=khm
    ).is_success
    # Bad input: every field named, nothing stored.
    bad = client.post(
        base,
        json={
            "kind": "field_team",
            "title": " ",
            "description": "",
            "needed_by": (today() - dt.timedelta(days=1)).isoformat(),
        },
        headers=khm,
    )
    assert _fields(assert_problem(bad, 422)) == {"title", "description", "needed_by"}
    assert _fields(assert_problem(client.post(base, json={**ask, "kind": "x"}, headers=khm), 422))
    assert_problem(client.post(base, json=ask, headers=khm_viewer), 403)
    assert client.get(base, headers=khm).json() == []

    made = client.post(base, json=ask, headers=khm)
    assert made.status_code == 201, made.text
    request = made.json()
    assert request["status"] == "open" and request["offers"] == []
    one = f"{base}/{request['id']}"

    # Thailand was not shared with: the event and its requests do not exist for it.
    assert_problem(client.get(base, headers=tha), 404)
    assert_problem(client.post(f"{one}/offers", json={"description": "x"}, headers=tha), 404)
    # Nor for regional users while not shared with the region.
    assert_problem(client.get(one, headers=regional), 404)
    # The asking country does not offer to itself.
    assert_problem(client.post(f"{one}/offers", json={"description": "we"}, headers=khm), 409)
    unknown_org = client.post(
        f"{one}/offers", json={"description": "A team", "organisation": "NOPE"}, headers=vnm
    )
    assert _fields(assert_problem(unknown_org, 422)) == {"organisation"}

    first = client.post(
        f"{one}/offers", json={"description": "Two FETP graduates from Hanoi"}, headers=vnm
    )
    assert first.status_code == 201, first.text
    assert first.json()["country_code"] == "VNM" and first.json()["status"] == "offered"
    second = client.post(f"{one}/offers", json={"description": "One more"}, headers=vnm).json()

    # Only the asking country decides; Viet Nam may only withdraw its own offer.
    decide = f"{one}/offers/{first.json()['id']}/decision"
    assert_problem(client.post(decide, json={"decision": "accept"}, headers=vnm), 403)
    accepted = client.post(decide, json={"decision": "accept", "note": "Welcome"}, headers=khm)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert client.get(one, headers=khm).json()["status"] == "in_progress"
    assert_problem(client.post(decide, json={"decision": "decline"}, headers=khm), 409)
    assert_problem(
        client.post(f"{one}/offers/99999/decision", json={"decision": "accept"}, headers=khm), 404
    )
    declined = client.post(
        f"{one}/offers/{second['id']}/decision", json={"decision": "decline"}, headers=khm
    )
    assert declined.json()["status"] == "declined"

    # Viet Nam withdraws its accepted offer: the request is open again.
    withdrawn = client.post(decide, json={"decision": "withdraw"}, headers=vnm)
    assert withdrawn.json()["status"] == "withdrawn", withdrawn.text
    assert client.get(one, headers=khm).json()["status"] == "open"

    # Closing: a withdrawal says why; fulfilment is final.
    no_reason = client.post(f"{one}/close", json={"action": "withdraw"}, headers=khm)
    assert _fields(assert_problem(no_reason, 422)) == {"note"}
    done = client.post(f"{one}/close", json={"action": "fulfil", "note": "Met"}, headers=khm)
    assert done.json()["status"] == "fulfilled" and done.json()["closed_at"]
    assert_problem(
        client.post(f"{one}/close", json={"action": "withdraw", "note": "x"}, headers=khm), 409
    )
    assert_problem(client.post(f"{one}/offers", json={"description": "late"}, headers=vnm), 409)

    with session_factory() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "assistance_request")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "assistance.request",
        "assistance.offer",
        "assistance.offer",
        "assistance.offer.accept",
        "assistance.offer.decline",
        "assistance.offer.withdraw",
        "assistance.fulfil",
    ]


def test_the_board_lists_pending_requests_of_the_events_a_user_sees(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    khm = login(make_user(Role.EOC_OFFICER, "KHM"))
    phl = login(make_user(Role.EOC_OFFICER, "PHL"))
    lao = login(make_user(Role.FOCAL_POINT, "LAO"))
    regional = login(make_user(Role.SECRETARIAT, None))
    shared = _event(client, khm)
    client.post(f"/api/v1/events/{shared}/shares", json={"region": True}, headers=khm)
    private = _event(client, phl, "PHL")
    client.post(f"/api/v1/events/{private}/shares", json={"countries": ["KHM"]}, headers=phl)
    for kind, title, days in (("resources", "ORS", 9), ("lab_testing", "PCR", 2)):
        body = {
            "kind": kind,
            "title": title,
            "description": "As described",
            "needed_by": (today() + dt.timedelta(days=days)).isoformat(),
        }
        assert client.post(
            f"/api/v1/events/{shared}/assistance-requests", json=body, headers=khm
        ).is_success
    closed = client.post(
        f"/api/v1/events/{private}/assistance-requests",
        json={"kind": "resources", "title": "Vaccines", "description": "MR vaccine"},
        headers=phl,
    ).json()
    client.post(
        f"/api/v1/events/{private}/assistance-requests/{closed['id']}/close",
        json={"action": "withdraw", "note": "Covered nationally"},
        headers=phl,
    )

    board = client.get("/api/v1/assistance-requests", headers=lao)
    assert board.status_code == 200
    # Soonest needed first; the Philippines' event is not shared with Laos.
    assert [r["title"] for r in board.json()["items"]] == ["PCR", "ORS"]
    assert board.json()["items"][0]["event_country"] == "KHM"
    assert [
        r["title"]
        for r in client.get("/api/v1/assistance-requests?kind=resources", headers=regional).json()[
            "items"
        ]
    ] == ["ORS"]
    # Cambodia was shared the Philippines' event by name: it sees the withdrawn one on asking.
    withdrawn = client.get("/api/v1/assistance-requests?status=withdrawn", headers=khm).json()
    assert [r["title"] for r in withdrawn["items"]] == ["Vaccines"]
    assert (
        client.get("/api/v1/assistance-requests?status=withdrawn", headers=lao).json()["items"]
        == []
    )
    paged = client.get("/api/v1/assistance-requests?limit=1", headers=lao)
    assert paged.json()["total"] == 2 and len(paged.json()["items"]) == 1
    assert 'rel="next"' in paged.headers.get("link", "")
    bad = client.get("/api/v1/assistance-requests?kind=boats&status=x", headers=lao)
    assert _fields(assert_problem(bad, 422)) == {"kind", "status"}


def test_no_assistance_is_asked_for_a_closed_event(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    khm = login(make_user(Role.EOC_OFFICER, "KHM"))
    event_id = _event(client, khm)
    client.post(f"/api/v1/events/{event_id}/shares", json={"region": True}, headers=khm)
    discard = client.post(
        f"/api/v1/events/{event_id}/transitions",
        json={"action": "discard", "reason": "A false rumour"},
        headers=khm,
    )
    assert discard.is_success, discard.text
    refused = client.post(
        f"/api/v1/events/{event_id}/assistance-requests",
        json={"kind": "resources", "title": "ORS", "description": "10,000 sachets"},
        headers=khm,
    )
    assert "discarded" in str(assert_problem(refused, 409)["detail"])
