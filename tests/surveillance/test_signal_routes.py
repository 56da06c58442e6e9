"""The signals API: the queue with filters and Link headers, one signal, triage (scoped,
validated, problem+json), a detection run, and a series with its threshold."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem
from tests.surveillance.signal_arrange import arrange_signals

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.surveillance.models import Signal

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


@pytest.fixture
def detected(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        arrange_signals(session, operator)
    with session_factory() as session:
        found = session.scalars(select(Signal).order_by(Signal.id)).all()
        return {
            "THA": next(s.id for s in found if s.country_code == "THA"),
            "VNM": next(s.id for s in found if s.country_code == "VNM"),
        }


def test_the_queue_lists_filters_and_pages(
    client: TestClient, make_user: MakeUser, login: Login, detected: dict[str, int]
) -> None:
    viewer = login(make_user(Role.VIEWER, "IDN"))
    everything = client.get("/api/v1/signals", params={"limit": 500}, headers=viewer)
    assert everything.status_code == 200, everything.text
    body = everything.json()
    assert body["total"] == len(body["items"]) >= 3
    weeks = [item["week"] for item in body["items"]]
    assert weeks == sorted(weeks, reverse=True)
    assert {item["country_code"] for item in body["items"]} == {"THA", "VNM"}
    first = body["items"][0]
    assert set(first) >= {"observed", "expected", "upperbound", "score", "status", "method"}
    page = client.get("/api/v1/signals", params={"limit": 1}, headers=viewer)
    assert 'rel="next"' in page.headers["link"]
    thai = client.get(
        "/api/v1/signals", params={"country": "THA", "method": "noufaily"}, headers=viewer
    ).json()
    assert thai["total"] >= 2
    assert {(i["country_code"], i["method"]) for i in thai["items"]} == {("THA", "noufaily")}
    by_score = client.get("/api/v1/signals", params={"sort": "-score"}, headers=viewer).json()
    scores = [i["score"] for i in by_score["items"] if i["score"] is not None]
    assert scores == sorted(scores, reverse=True)
    bad = client.get("/api/v1/signals", params={"status": "open", "from_week": "x"}, headers=viewer)
    problem = assert_problem(bad, 422)
    assert {e["field"] for e in problem["errors"]} == {"status", "from_week"}
    assert_problem(client.get("/api/v1/signals", params={"sort": "nope"}, headers=viewer), 422)


def test_one_signal_and_its_triage(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    detected: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    thai_eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    viewer = login(make_user(Role.VIEWER, "THA"))
    one = client.get(f"/api/v1/signals/{detected['VNM']}", headers=viewer)
    assert one.status_code == 200 and one.json()["country_code"] == "VNM"
    assert_problem(client.get("/api/v1/signals/999999", headers=viewer), 404)

    refused = client.patch(
        f"/api/v1/signals/{detected['VNM']}", json={"status": "verify"}, headers=thai_eoc
    )
    assert_problem(refused, 403)
    assert_problem(
        client.patch(
            f"/api/v1/signals/{detected['THA']}", json={"status": "verify"}, headers=viewer
        ),
        403,
    )
    bad = client.patch(
        f"/api/v1/signals/{detected['THA']}", json={"status": "closed", "x": 1}, headers=thai_eoc
    )
    assert_problem(bad, 422)
    done = client.patch(
        f"/api/v1/signals/{detected['THA']}",
        json={"status": "verify", "note": "Team sent"},
        headers=thai_eoc,
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["triage_note"]) == ("verify", "Team sent")
    assert done.json()["triaged_by"].endswith("(token)")
    with session_factory() as session:
        denied = session.scalars(
            select(AuditEntry).where(
                AuditEntry.outcome == "denied", AuditEntry.object_type == "signal"
            )
        ).all()
        assert denied and denied[0].country_code == "VNM"
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "signal.triage")).all()


def test_a_detection_run_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    detected: dict[str, int],
) -> None:
    thai_eoc = login(make_user(Role.EOC_OFFICER, "THA"))
    run = client.post(
        "/api/v1/signals/detect",
        json={"methods": ["noufaily", "ears-c3"], "weeks": 4},
        headers=thai_eoc,
    )
    assert run.status_code == 200, run.text
    body = run.json()
    assert body["countries"] == ["THA"] and body["created"] == 0 and body["updated"] >= 2
    assert body["weeks"][-1] == "2024-W52"
    default = client.post("/api/v1/signals/detect", headers=thai_eoc)
    assert default.status_code == 200 and default.json()["methods"] == ["noufaily"]
    assert_problem(
        client.post("/api/v1/signals/detect", json={"country": "VNM"}, headers=thai_eoc), 403
    )
    bad = client.post("/api/v1/signals/detect", json={"methods": ["magic"]}, headers=thai_eoc)
    assert_problem(bad, 422)
    assert_problem(client.post("/api/v1/signals/detect", json={"weeks": 0}, headers=thai_eoc), 422)
    assert_problem(
        client.post("/api/v1/signals/detect", json={"until": "2024-W99"}, headers=thai_eoc), 422
    )
    viewer = login(make_user(Role.VIEWER, "THA"))
    assert_problem(client.post("/api/v1/signals/detect", headers=viewer), 403)


def test_a_series_with_its_threshold(
    client: TestClient, make_user: MakeUser, login: Login, detected: dict[str, int]
) -> None:
    viewer = login(make_user(Role.VIEWER, "PHL"))
    answer = client.get(
        "/api/v1/signals/series",
        params={"country": "THA", "area": "TH-10", "disease": "dengue", "method": "noufaily"},
        headers=viewer,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["weeks"]) == 104 and body["weeks"][-1] == "2024-W52"
    n = len(body["weeks"])
    assert all(len(body[k]) == n for k in ("cases", "expected", "upperbound", "alarm", "score"))
    assert body["alarm"][-1] is True and body["upperbound"][-1] < body["cases"][-1]
    assert {s["week"] for s in body["signals"]} >= {"2024-W51", "2024-W52"}
    window = client.get(
        "/api/v1/signals/series",
        params={
            "country": "THA",
            "area": "TH-10",
            "disease": "dengue",
            "method": "ears-c3",
            "from_week": "2024-W40",
            "to_week": "2024-W52",
        },
        headers=viewer,
    ).json()
    assert window["weeks"][0] == "2024-W40" and window["expected"] == [None] * 13
    assert_problem(
        client.get(
            "/api/v1/signals/series",
            params={"country": "THA", "disease": "dengue", "method": "magic"},
            headers=viewer,
        ),
        422,
    )
    assert_problem(
        client.get("/api/v1/signals/series", params={"country": "THA"}, headers=viewer), 422
    )
