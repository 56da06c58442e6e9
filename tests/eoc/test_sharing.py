"""Sharing events: private to their country until shared with the region or named countries;
404 (not 403) for those not shared with; case-level links never leave the country."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_case, make_signal
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.policy import COUNTRY_ONLY_ROLES, REGIONAL_ONLY_ROLES, Role

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


def test_an_event_is_private_until_shared(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        case = make_case(session, country="THA")
        case_id, lab_id = case.id, case.lab_results[0].id
        viet_case = make_case(session, country="VNM", case_id="V-1").id
        signal_id = make_signal(session).id
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    thai_viewer = login(make_user(Role.VIEWER, "THA"))
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    lao = login(make_user(Role.FOCAL_POINT, "LAO"))
    regional = login(make_user(Role.REGIONAL_ADMIN, None))
    event = client.post(
        "/api/v1/events",
        json={"country": "THA", "disease": "dengue", "title": "Secret dengue cluster"},
        headers=thai,
    ).json()
    url = f"/api/v1/events/{event['id']}"

    # Case-level links: the country's own officers link cases and lab results of its own.
    for kind, target in (("case", case_id), ("lab_result", lab_id), ("signal", signal_id)):
        made = client.post(f"{url}/links", json={"kind": kind, "target_id": target}, headers=thai)
        assert made.status_code == 201, made.text
    foreign = client.post(
        f"{url}/links", json={"kind": "case", "target_id": viet_case}, headers=thai
    )
    # Another country's case: refused as reading it would be (403, audited).
    assert_problem(foreign, 403)
    twice = client.post(
        f"{url}/links", json={"kind": "signal", "target_id": signal_id}, headers=thai
    )
    assert_problem(twice, 409)
    twice = client.post(f"{url}/links", json={"kind": "case", "target_id": case_id}, headers=thai)
    assert "already linked" in assert_problem(twice, 409)["errors"][0]["message"]

    # Not shared: another country's users and the regional ones get 404, never the title.
    for headers in (viet, lao, regional):
        missing = client.get(url, headers=headers)
        problem = assert_problem(missing, 404)
        assert "Secret" not in missing.text
        assert problem["detail"] == f"no event with id {event['id']}"
        assert client.get("/api/v1/events", headers=headers).json()["total"] == 0
    assert client.get(url, headers=thai_viewer).status_code == 200

    # Shared with Viet Nam by name: Viet Nam sees it (without the case links), Laos does not.
    shared = client.post(f"{url}/shares", json={"countries": ["vnm"]}, headers=thai)
    assert shared.status_code == 200 and shared.json()["shared_with"] == ["VNM"]
    seen = client.get(url, headers=viet)
    assert seen.status_code == 200
    assert [link["kind"] for link in seen.json()["links"]] == ["signal"]
    own = client.get(url, headers=thai).json()
    assert [link["kind"] for link in own["links"]] == ["case", "lab_result", "signal"]
    assert [e["id"] for e in client.get("/api/v1/events", headers=viet).json()["items"]] == [
        event["id"]
    ]
    assert_problem(client.get(url, headers=lao), 404)
    assert_problem(client.get(url, headers=regional), 404)
    # Seeing is not managing: Viet Nam's officer is refused (403) the transitions and links.
    assert_problem(
        client.post(f"{url}/transitions", json={"action": "close", "reason": "x"}, headers=viet),
        403,
    )

    # Shared with the region: every country and the regional users see it.
    client.post(f"{url}/shares", json={"region": True}, headers=thai)
    for headers in (lao, regional):
        body = client.get(url, headers=headers).json()
        assert body["title"] == "Secret dengue cluster"
        assert [link["kind"] for link in body["links"]] == ["signal"]
    # Case-level links: invisible to others, and not removable by id either.
    case_link = next(link for link in own["links"] if link["kind"] == "case")
    assert_problem(client.delete(f"{url}/links/{case_link['id']}", headers=regional), 404)

    # Unsharing takes it back; unsharing what is not shared is 404; bad shares are 422.
    assert client.delete(f"{url}/shares/region", headers=thai).status_code == 200
    assert_problem(client.get(url, headers=lao), 404)
    assert_problem(client.delete(f"{url}/shares/region", headers=thai), 404)
    assert client.delete(f"{url}/shares/VNM", headers=thai).status_code == 200
    assert_problem(client.get(url, headers=viet), 404)
    bad = assert_problem(
        client.post(f"{url}/shares", json={"countries": ["THA", "XYZ"]}, headers=thai), 422
    )
    assert [e["field"] for e in bad["errors"]] == ["countries", "countries"]
    assert_problem(client.post(f"{url}/shares", json={}, headers=thai), 422)

    with session_factory() as session:
        logged = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("event.%share"))
        ).all()
    assert logged == ["event.share", "event.share", "event.unshare", "event.unshare"]


def test_regional_users_see_only_region_shared_events(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    thai = login(make_user(Role.FOCAL_POINT, "THA"))
    viet = login(make_user(Role.EPIDEMIOLOGIST, "VNM"))
    secretariat = login(make_user(Role.SECRETARIAT, None))
    ids = {}
    for name, headers, country in (("tha", thai, "THA"), ("vnm", viet, "VNM")):
        ids[name] = client.post(
            "/api/v1/events", json={"country": country, "disease": "dengue"}, headers=headers
        ).json()["id"]
    client.post(f"/api/v1/events/{ids['vnm']}/shares", json={"region": True}, headers=viet)
    board = client.get("/api/v1/events", headers=secretariat).json()
    assert [e["id"] for e in board["items"]] == [ids["vnm"]]
    thai_board = client.get("/api/v1/events", headers=thai).json()
    assert sorted(e["id"] for e in thai_board["items"]) == sorted(ids.values())
    # Filters narrow inside what is visible, never beyond it.
    only_thai = client.get("/api/v1/events", params={"country": "THA"}, headers=secretariat)
    assert only_thai.json()["total"] == 0


def test_no_user_of_another_country_reaches_an_unshared_event_by_any_route(
    client: TestClient, make_user: MakeUser, login: Login, session_factory: sessionmaker[Session]
) -> None:
    """The sharing probe: every event route (API and pages), every role of Thailand and of the
    region, against Viet Nam's unshared event: 404 (or 403 from a role's guard, as for any id),
    and never its title."""
    from healthbridge.api import iter_routes

    marker = "Viet Nam marker event"
    viet = login(make_user(Role.FOCAL_POINT, "VNM"))
    event = client.post(
        "/api/v1/events", json={"country": "VNM", "hazard": "Flood", "title": marker}, headers=viet
    ).json()
    note = client.post(f"/api/v1/events/{event['id']}/notes", json={"text": "n"}, headers=viet)
    routes = [
        (method, path)
        for path, route in iter_routes()
        if "{event_id}" in path
        for method in sorted(route.methods - {"HEAD"})
    ]
    assert len(routes) >= 12, routes
    bodies: dict[str, object] = {
        "transitions": {"action": "close", "reason": "x"},
        "shares": {"region": True},
        "links": {"kind": "note", "text": "x"},
        "notes": {"text": "x"},
        "investigations": {"title": "x", "started_on": "2024-01-01"},
        "investigations/1": {"findings": "x"},
        "members": {"name": "x", "role": "x", "country": "THA"},
        "samples": {"samples": 1, "specimen": "x", "laboratory": "x", "sent_on": "2024-01-01"},
        "tasks": {"title": "x", "assignee_email": "a@x.org"},
        "tasks/1": {"status": "done"},
        "risk-assessments": {
            **{k: "x" for k in ("hazard", "exposure", "context", "rationale")},
            **{"likelihood": "likely", "consequence": "minor", "confidence": "low"},
        },
        "annex2": {},
        "timeliness": {},
        "assistance-requests": {"kind": "resources", "title": "x", "description": "x"},
        "offers": {"description": "x"},
        "decision": {"decision": "accept"},
        "close": {"action": "fulfil"},
        "areas": {"areas": ["TH-10"]},
    }
    for role in Role:
        for country in ("THA", None):
            if (country is None and role in COUNTRY_ONLY_ROLES) or (
                country is not None and role in REGIONAL_ONLY_ROLES
            ):
                continue
            headers = login(make_user(role, country))
            for method, path in routes:
                concrete = (
                    path.replace("{event_id}", str(event["id"]))
                    .replace("{country}", "region")
                    .replace("{link_id}", str(note.json()["id"]))
                    .replace("{format}", "pdf")
                    .replace("{investigation_id}", "1")
                    .replace("{member_id}", "1")
                    .replace("{task_id}", "1")
                    .replace("{request_id}", "1")
                    .replace("{offer_id}", "1")
                )
                body = next((b for k, b in bodies.items() if concrete.endswith(k)), None)
                answer = client.request(
                    method, concrete, json=body, headers={**headers, "accept": "application/json"}
                )
                assert answer.status_code in (403, 404), (role, country, method, concrete)
                assert marker not in answer.text
    with session_factory() as session:
        from healthbridge.eoc.models import Event

        stored = session.get(Event, event["id"])
        assert stored is not None and stored.status == "signal" and not stored.shared_with_region
        assert len(stored.links) == 1
