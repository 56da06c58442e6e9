"""The field investigations API: starting one, its cross-border team, samples and tasks, the
task status rules (409), validation naming the fields (422), other countries (404), read-only
users (403); each change audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.eoc.investigations import today
from healthbridge.policy import Role

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]


def _fields(body: dict[str, object]) -> set[str]:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    return {str(e["field"]).split(".")[-1] for e in errors}


def test_an_investigation_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    viewer = login(make_user(Role.VIEWER, "THA"))
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    event = client.post(
        "/api/v1/events",
        json={"country": "THA", "disease": "dengue", "title": "Dengue cluster"},
        headers=thai,
    ).json()
    base = f"/api/v1/events/{event['id']}/investigations"
    start = (today() - dt.timedelta(days=3)).isoformat()

    future = client.post(
        base,
        json={
            "title": "x",
            "started_on": (today() + dt.timedelta(days=1)).isoformat(),
            "line_list_url": "javascript:alert(1)",
        },
        headers=thai,
    )
    assert _fields(assert_problem(future, 422)) == {"started_on", "line_list_url"}
    too_long = client.post(base, json={"title": "x" * 201, "started_on": start}, headers=thai)
    assert _fields(assert_problem(too_long, 422)) == {"title"}
    assert_problem(client.post(base, json={"title": "x", "started_on": start}, headers=viewer), 403)
    assert_problem(client.post(base, json={"title": "x", "started_on": start}, headers=viet), 404)

    made = client.post(
        base,
        json={
            "title": "Cluster investigation",
            "started_on": start,
            "case_definition": "Fever and rash",
            "line_list_url": "https://sheets.example.org/ll",
        },
        headers=thai,
    )
    assert made.status_code == 201, made.text
    one = f"{base}/{made.json()['id']}"
    member = client.post(
        f"{one}/members",
        json={
            "name": "Dr Lan",
            "role": "epidemiologist",
            "country": "VNM",
            "organisation": "ASEAN",
        },
        headers=thai,
    )
    assert member.status_code == 201, member.text
    assert member.json()["country_code"] == "VNM"
    unknown = client.post(
        f"{one}/members", json={"name": "A", "role": "B", "country": "ZZZ"}, headers=thai
    )
    assert _fields(assert_problem(unknown, 422)) == {"country"}
    samples = client.post(
        f"{one}/samples",
        json={"samples": 8, "specimen": "serum", "laboratory": "NIH", "sent_on": start},
        headers=thai,
    )
    assert samples.status_code == 201, samples.text
    task = client.post(
        f"{one}/tasks",
        json={"title": "Vector survey", "assignee_email": "vc@example.org", "due_on": start},
        headers=thai,
    )
    assert task.status_code == 201, task.text
    task_url = f"{one}/tasks/{task.json()['id']}"
    done = client.patch(task_url, json={"status": "done"}, headers=thai)
    assert done.status_code == 200, done.text
    assert done.json()["completed_on"] == today().isoformat()
    assert_problem(client.patch(task_url, json={"status": "open"}, headers=thai), 409)
    assert_problem(client.patch(task_url, json={"status": "finished"}, headers=thai), 422)
    assert_problem(client.patch(task_url, json={"status": "open"}, headers=viewer), 403)

    changed = client.patch(one, json={"findings": "Aedes breeding sites"}, headers=thai)
    assert changed.status_code == 200 and changed.json()["findings"] == "Aedes breeding sites"
    backwards = client.patch(one, json={"ended_on": "2000-01-01"}, headers=thai)
    assert _fields(assert_problem(backwards, 422)) == {"ended_on"}

    read = client.get(one, headers=viewer).json()
    assert [m["name"] for m in read["members"]] == ["Dr Lan"]
    assert read["samples"][0]["samples"] == 8 and read["tasks"][0]["status"] == "done"
    assert [i["id"] for i in client.get(base, headers=viewer).json()] == [read["id"]]
    assert_problem(client.get(one, headers=viet), 404)
    assert_problem(client.get(f"{base}/999999", headers=thai), 404)

    removed = client.delete(f"{one}/members/{member.json()['id']}", headers=thai)
    assert removed.status_code == 204
    assert client.get(one, headers=thai).json()["members"] == []
    with session_factory() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "field_investigation")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == [
        "investigation.create",
        "investigation.member.add",
        "investigation.samples.record",
        "investigation.task.add",
        "investigation.task.update",
        "investigation.update",
        "investigation.member.remove",
    ]
