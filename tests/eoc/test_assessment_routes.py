"""The assessment API: rapid risk assessment versions (201, list, 409 from a status that does
not allow one, 422 naming fields), Annex 2 decisions, 7-1-7 dates and metrics, the regional
table, and 404/403 for users of other countries and viewers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import service
from healthbridge.policy import Principal, Role

Login = Callable[[User], dict[str, str]]
MakeUser = Callable[..., User]
RRA: dict[str, Any] = {
    "hazard": "Cholera O1 Ogawa",
    "exposure": "Camp with poor sanitation",
    "context": "Flooding, limited access",
    "likelihood": "almost_certain",
    "consequence": "major",
    "confidence": "high",
    "rationale": "Twenty confirmed cases in a week",
}


def make_event(
    factory: sessionmaker[Session], status: str = "verified", disease: str = "cholera"
) -> int:
    actor = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
    with unit_of_work(factory) as session:
        event = service.create_event(
            session=session, actor=actor, new=service.NewEvent(country="THA", disease=disease)
        )
        event.status = status
        session.flush()
        return event.id


def test_risk_assessments_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    event_id = make_event(session_factory)
    eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    url = f"/api/v1/events/{event_id}/risk-assessments"
    made = client.post(url, json=RRA, headers=eoc)
    assert made.status_code == 201, made.text
    assert (made.json()["version"], made.json()["level"]) == (1, "very_high")
    again = client.post(url, json={**RRA, "consequence": "minor"}, headers=eoc)
    assert (again.json()["version"], again.json()["level"]) == (2, "high")
    assert [v["version"] for v in client.get(url, headers=eoc).json()] == [2, 1]
    event = client.get(f"/api/v1/events/{event_id}", headers=eoc).json()
    assert (event["status"], event["risk_level"]) == ("risk_assessed", "high")

    long = assert_problem(client.post(url, json={**RRA, "hazard": "x" * 5000}, headers=eoc), 422)
    assert "hazard" in {e["field"].split(".")[-1] for e in long["errors"]}
    bad = assert_problem(client.post(url, json={**RRA, "likelihood": "maybe"}, headers=eoc), 422)
    assert [e["field"] for e in bad["errors"]] == ["likelihood"]
    unknown = assert_problem(client.post(url, json={**RRA, "colour": "red"}, headers=eoc), 422)
    assert "colour" in str(unknown["errors"])

    signal_id = make_event(session_factory, status="signal")
    conflict = client.post(f"/api/v1/events/{signal_id}/risk-assessments", json=RRA, headers=eoc)
    assert_problem(conflict, 409)
    assert client.get(f"/api/v1/events/{signal_id}/risk-assessments", headers=eoc).json() == []


def test_annex2_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    event_id = make_event(session_factory)
    eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    url = f"/api/v1/events/{event_id}/annex2"
    answers = {
        "serious_impact": {"yes": True, "justification": "Deaths reported"},
        "unusual": {"yes": False, "justification": "Endemic"},
        "international_spread": {"yes": True, "justification": "Border crossing"},
        "travel_trade_restrictions": {"yes": False, "justification": "None expected"},
    }
    made = client.post(url, json=answers, headers=eoc)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["notify"], body["disease_group"], body["version"]) == (
        True,
        "always_algorithm",
        1,
    )
    assert body["deadline"] is not None and "notified to WHO" in body["rule"]
    missing = assert_problem(
        client.post(url, json={"serious_impact": answers["serious_impact"]}, headers=eoc), 422
    )
    assert missing["errors"][0]["field"] == "answers.unusual"
    blank = {**answers, "unusual": {"yes": True, "justification": " "}}
    refused = assert_problem(client.post(url, json=blank, headers=eoc), 422)
    assert refused["errors"][0]["field"] == "answers.unusual.justification"
    assert [d["version"] for d in client.get(url, headers=eoc).json()] == [1]


def test_timeliness_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    event_id = make_event(session_factory)
    eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    url = f"/api/v1/events/{event_id}/timeliness"
    empty = client.get(url, headers=eoc).json()
    assert [t["status"] for t in empty["targets"]] == ["pending"] * 3
    dates = {
        "emergence_date": "2026-01-01",
        "detection_date": "2026-01-20",
        "notification_date": "2026-01-20",
        "actions": {"investigation": "2026-01-21"},
        "not_applicable": ["lab_confirmation"],
    }
    put = client.put(url, json=dates, headers=eoc)
    assert put.status_code == 200, put.text
    body = put.json()
    assert [t["status"] for t in body["targets"]] == ["missed", "met", "missed"]
    assert body["bottlenecks"][0] == "detection"
    assert body["actions"] == {"investigation": "2026-01-21"}
    bad = assert_problem(
        client.put(url, json={**dates, "notification_date": "2026-01-19"}, headers=eoc), 422
    )
    assert bad["errors"][0]["field"] == "notification_date"
    assert_problem(client.put(url, json={**dates, "detection_date": "soon"}, headers=eoc), 422)
    assert client.get(url, headers=eoc).json()["notification_date"] == "2026-01-20"

    table = client.get("/api/v1/eoc/timeliness?year=2026", headers=eoc).json()
    assert [(r["country"], r["quarter"], r["n_events"]) for r in table] == [("THA", "2026-Q1", 1)]
    assert table[0]["detection"]["n_missed"] == 1
    assert client.get("/api/v1/eoc/timeliness?year=2025", headers=eoc).json() == []


def test_other_countries_404_and_viewers_403(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    event_id = make_event(session_factory)
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    viewer = login(make_user(Role.VIEWER, "THA"))
    for path in ("risk-assessments", "annex2", "timeliness"):
        url = f"/api/v1/events/{event_id}/{path}"
        assert_problem(client.get(url, headers=viet), 404)
        assert client.get(url, headers=viewer).status_code == 200
    assert_problem(
        client.post(f"/api/v1/events/{event_id}/risk-assessments", json=RRA, headers=viet), 404
    )
    assert_problem(
        client.post(f"/api/v1/events/{event_id}/risk-assessments", json=RRA, headers=viewer), 403
    )
    assert_problem(
        client.put(f"/api/v1/events/{event_id}/timeliness", json={}, headers=viewer), 403
    )
    assert client.get("/api/v1/eoc/timeliness", headers=viet).json() == []
