"""Changing the areas of an event after it was opened: API and page, validation naming
``areas``, final events refused, the change on the timeline and in the audit log."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, sign_in
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.policy import Role

MakeUser = Callable[..., User]
Login = Callable[[User], dict[str, str]]


def test_areas_change_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    phl = login(make_user(Role.EOC_OFFICER, "PHL"))
    viewer = login(make_user(Role.VIEWER, "PHL"))
    idn = login(make_user(Role.EOC_OFFICER, "IDN"))
    event = client.post(
        "/api/v1/events",
        json={"country": "PHL", "disease": "dengue", "title": "Dengue", "areas": ["PH-00"]},
        headers=phl,
    ).json()
    url = f"/api/v1/events/{event['id']}/areas"

    wrong = client.put(url, json={"areas": ["ID-JB", "XX-99"]}, headers=phl)
    messages = [e["message"] for e in assert_problem(wrong, 422)["errors"]]
    assert {e["field"] for e in wrong.json()["errors"]} == {"areas"}
    assert any("ID-JB is not in PHL" in m for m in messages)
    assert any("unknown area 'XX-99'" in m for m in messages)
    assert_problem(client.put(url, json={"areas": ["PH-03"]}, headers=viewer), 403)
    assert_problem(client.put(url, json={"areas": ["PH-03"]}, headers=idn), 404)
    assert client.get(f"/api/v1/events/{event['id']}", headers=phl).json()["areas"] == ["PH-00"]

    changed = client.put(url, json={"areas": ["ph-03", "PH-00", "PH-03"]}, headers=phl)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["areas"] == ["PH-00", "PH-03"]
    last = body["timeline"][-1]
    assert last["action"] == "set_areas" and last["from_status"] == last["to_status"] == "signal"
    assert last["detail"] == {"areas": "PH-00, PH-03", "before": "PH-00"}
    # The same areas again change nothing (no new timeline entry).
    again = client.put(url, json={"areas": ["PH-03", "PH-00"]}, headers=phl).json()
    assert len(again["timeline"]) == len(body["timeline"])

    client.post(
        f"/api/v1/events/{event['id']}/transitions",
        json={"action": "discard", "reason": "Not an outbreak"},
        headers=phl,
    )
    assert_problem(client.put(url, json={"areas": []}, headers=phl), 409)
    with session_factory() as session:
        audited = session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "event.areas")
        ).all()
    assert audited == [{"areas": ["PH-00", "PH-03"], "before": ["PH-00"]}]


def test_areas_change_through_the_page(client: TestClient, make_user: MakeUser) -> None:
    user = make_user(Role.EOC_OFFICER, "THA")
    token = sign_in(client, user)
    made = client.post(
        "/eoc/events",
        data={"country": "THA", "disease": "dengue", "title": "Dengue", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page_url = made.headers["location"]
    page = client.get(page_url, headers=HTML).text
    assert 'data-testid="areas-form"' in page
    bad = client.post(
        f"{page_url}/areas", data={"areas": "TH-10, VN-HN", "csrf_token": token}, headers=HTML
    )
    assert bad.status_code == 422 and "VN-HN is not in THA" in bad.text
    assert 'value="TH-10, VN-HN"' in bad.text
    saved = client.post(
        f"{page_url}/areas",
        data={"areas": "TH-10 TH-11", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = client.get(page_url, headers=HTML).text
    assert "TH-10, TH-11" in page and "Areas changed" in page
