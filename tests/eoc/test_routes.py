"""The events API: THE walk of an event from a signal to closure, its timeline and audit, and
clear 4xx answers for wrong transitions, unknown references and malformed input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_signal
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.surveillance.models import Signal

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


@pytest.fixture
def signal_id(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        return make_signal(session).id


def test_an_event_walks_from_a_signal_to_closure(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    signal_id: int,
    session_factory: sessionmaker[Session],
) -> None:
    eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    opened = client.post("/api/v1/events", json={"signal_id": signal_id}, headers=eoc)
    assert opened.status_code == 201, opened.text
    event = opened.json()
    event_id = event["id"]
    assert event["status"] == "verifying"
    assert (event["country_code"], event["disease_code"], event["week"]) == (
        "THA",
        "dengue",
        "2024-W30",
    )
    assert event["areas"] == ["TH-10"]
    assert event["title"] == "Dengue in TH-10 (THA), 2024-W30"
    assert [link["signal_id"] for link in event["links"]] == [signal_id]
    assert event["allowed_actions"] == ["verify", "discard", "close"]
    with session_factory() as session:
        signal = session.get(Signal, signal_id)
        assert signal is not None and signal.status == "verify"
        assert f"Event {event_id}" in (signal.triage_note or "")

    steps = [
        {"action": "verify", "source": "Bangkok provincial office", "method": "phone call"},
        {"action": "assess_risk", "risk_level": "high", "note": "rising fast"},
        {"action": "respond", "level": "partial"},
        {"action": "respond", "level": "full"},
        {"action": "close", "reason": "no new cases for 28 days"},
    ]
    statuses = []
    for step in steps:
        moved = client.post(f"/api/v1/events/{event_id}/transitions", json=step, headers=eoc)
        assert moved.status_code == 200, moved.text
        statuses.append(moved.json()["status"])
    assert statuses == ["verified", "risk_assessed", "responding", "responding", "closed"]

    final = client.get(f"/api/v1/events/{event_id}", headers=eoc).json()
    assert final["risk_level"] == "high"
    assert final["activation_level"] == "full"
    assert final["closure_reason"] == "no new cases for 28 days"
    assert final["closed_at"] and final["verified_at"]
    assert final["allowed_actions"] == []
    timeline = [(t["action"], t["from_status"], t["to_status"]) for t in final["timeline"]]
    assert timeline == [
        ("open", None, "verifying"),
        ("verify", "verifying", "verified"),
        ("assess_risk", "verified", "risk_assessed"),
        ("respond", "risk_assessed", "responding"),
        ("respond", "responding", "responding"),
        ("close", "responding", "closed"),
    ]
    assert final["timeline"][1]["detail"] == {
        "source": "Bangkok provincial office",
        "method": "phone call",
    }
    assert all(t["actor"].startswith("eoc_officer.tha") for t in final["timeline"])
    with session_factory() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "event", AuditEntry.object_id == str(event_id)
            )
        ).all()
    assert actions == ["event.create"] + ["event.transition"] * 5

    # Closed is final: nothing more, and a second event may now take the signal again.
    again = client.post(
        f"/api/v1/events/{event_id}/transitions",
        json={"action": "close", "reason": "again"},
        headers=eoc,
    )
    problem = assert_problem(again, 409)
    assert "closed" in problem["detail"]
    reopened = client.post("/api/v1/events", json={"signal_id": signal_id}, headers=eoc)
    assert reopened.status_code == 201, reopened.text


def test_wrong_transitions_unknown_references_and_malformed_input(
    client: TestClient, make_user: MakeUser, login: Login, signal_id: int
) -> None:
    eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    event_id = client.post("/api/v1/events", json={"signal_id": signal_id}, headers=eoc).json()[
        "id"
    ]
    url = f"/api/v1/events/{event_id}/transitions"
    # A second event from the same open signal.
    twice = assert_problem(
        client.post("/api/v1/events", json={"signal_id": signal_id}, headers=eoc), 409
    )
    assert twice["errors"][0]["field"] == "signal_id"
    # Responding before the risk assessment: the status does not allow it.
    early = assert_problem(
        client.post(url, json={"action": "respond", "level": "full"}, headers=eoc), 409
    )
    assert "verify, discard, close" in early["errors"][0]["message"]
    # Closing an unverified event without a reason.
    no_reason = assert_problem(client.post(url, json={"action": "close"}, headers=eoc), 422)
    assert [e["field"] for e in no_reason["errors"]] == ["reason"]
    # Verifying without its source and method, with a field verify does not use.
    bad = assert_problem(
        client.post(url, json={"action": "verify", "level": "full"}, headers=eoc), 422
    )
    assert {e["field"] for e in bad["errors"]} == {"source", "method", "level"}
    unknown = assert_problem(client.post(url, json={"action": "fly"}, headers=eoc), 422)
    assert unknown["errors"][0]["field"] == "action"
    extra = assert_problem(
        client.post(url, json={"action": "close", "reason": "x", "colour": "red"}, headers=eoc),
        422,
    )
    assert "colour" in str(extra["errors"])
    assert_problem(
        client.post(url, content=b"{not json", headers={**eoc, "content-type": "application/json"}),
        422,
    )
    # Nothing of that changed the event.
    event = client.get(f"/api/v1/events/{event_id}", headers=eoc).json()
    assert event["status"] == "verifying" and len(event["timeline"]) == 1

    # Unknown references.
    assert_problem(client.get("/api/v1/events/999999", headers=eoc), 404)
    assert_problem(
        client.post(
            "/api/v1/events/999999/transitions",
            json={"action": "close", "reason": "x"},
            headers=eoc,
        ),
        404,
    )
    no_signal = assert_problem(
        client.post("/api/v1/events", json={"signal_id": 999999}, headers=eoc), 422
    )
    assert no_signal["errors"][0]["field"] == "signal_id"
    by_hand = assert_problem(
        client.post(
            "/api/v1/events",
            json={"country": "THA", "disease": "nope", "areas": ["VN-SG", "XX-99"]},
            headers=eoc,
        ),
        422,
    )
    assert {e["field"] for e in by_hand["errors"]} == {"disease", "areas"}
    neither = assert_problem(
        client.post("/api/v1/events", json={"country": "THA"}, headers=eoc), 422
    )
    assert neither["errors"][0]["field"] == "disease"
    link = assert_problem(
        client.post(
            f"/api/v1/events/{event_id}/links",
            json={"kind": "signal", "target_id": 999999},
            headers=eoc,
        ),
        422,
    )
    assert link["errors"][0]["field"] == "target_id"
    assert_problem(
        client.post(f"/api/v1/events/{event_id}/links", json={"kind": "tweet"}, headers=eoc), 422
    )
    # A triage refused to a viewer; managing refused to another country's officer (not shared:
    # the event is not even there for them).
    viewer = login(make_user(Role.VIEWER, "THA"))
    assert_problem(client.post(url, json={"action": "close", "reason": "x"}, headers=viewer), 403)
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    assert_problem(client.post(url, json={"action": "close", "reason": "x"}, headers=viet), 404)


def test_a_hazard_event_by_hand_with_triage_notes_and_the_board(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    focal = login(make_user(Role.FOCAL_POINT, "KHM"))
    made = client.post(
        "/api/v1/events",
        json={"country": "KHM", "hazard": "Chemical spill", "title": "Spill on the Mekong"},
        headers=focal,
    )
    assert made.status_code == 201, made.text
    event = made.json()
    assert (event["status"], event["disease_code"], event["hazard"]) == (
        "signal",
        None,
        "Chemical spill",
    )
    url = f"/api/v1/events/{event['id']}/transitions"
    discard_without_reason = client.post(
        url, json={"action": "triage", "decision": "discard"}, headers=focal
    )
    assert assert_problem(discard_without_reason, 422)["errors"][0]["field"] == "reason"
    monitored = client.post(url, json={"action": "triage", "decision": "monitor"}, headers=focal)
    assert monitored.json()["status"] == "monitoring"
    note = client.post(
        f"/api/v1/events/{event['id']}/notes", json={"text": "Water samples sent"}, headers=focal
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    discarded = client.post(
        url, json={"action": "discard", "reason": "no contamination found"}, headers=focal
    )
    assert discarded.json()["status"] == "discarded"
    assert_problem(client.post(url, json={"action": "close", "reason": "x"}, headers=focal), 409)

    board = client.get("/api/v1/events", params={"status": "discarded"}, headers=focal)
    assert board.status_code == 200
    assert [e["id"] for e in board.json()["items"]] == [event["id"]]
    assert (
        client.get("/api/v1/events", params={"status": "closed"}, headers=focal).json()["total"]
        == 0
    )
    bad = assert_problem(
        client.get("/api/v1/events", params={"status": "open", "risk": "huge"}, headers=focal),
        422,
    )
    assert {e["field"] for e in bad["errors"]} == {"status", "risk"}
    assert_problem(client.get("/api/v1/events", params={"sort": "nope"}, headers=focal), 422)


def test_control_characters_and_oversized_input_are_refused_cleanly(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    focal = login(make_user(Role.FOCAL_POINT, "THA"))
    for body in (
        {"country": "THA", "disease": "dengue", "areas": ["TH-\u000010"]},
        {"country": "THA", "hazard": "spill\u0000"},
        {"country": "THA", "hazard": "x" * 201},
        {"country": "THA", "disease": "dengue", "areas": ["TH-10"] * 51},
        {"country": "THAI", "disease": "dengue"},
    ):
        assert_problem(client.post("/api/v1/events", json=body, headers=focal), 422)
    event_id = client.post(
        "/api/v1/events", json={"country": "THA", "disease": "dengue"}, headers=focal
    ).json()["id"]
    shares = client.post(
        f"/api/v1/events/{event_id}/shares", json={"countries": ["V\u0000N"]}, headers=focal
    )
    assert_problem(shares, 422)
    note = client.post(f"/api/v1/events/{event_id}/notes", json={"text": "a" * 4001}, headers=focal)
    assert_problem(note, 422)
    assert client.get(f"/api/v1/events/{event_id}", headers=focal).json()["links"] == []
