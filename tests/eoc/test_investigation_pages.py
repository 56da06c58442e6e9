"""The field investigation pages through the HTTP client: the event page's htmx slot and
fragment, starting an investigation (CSRF, errors shown), the team with a cross-border member,
samples, tasks with status forms, the task list (overdue first), and 404 / 403 for others."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, HTMX, sign_in

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import service
from healthbridge.eoc.investigations import today
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
THAI_EOC = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")


def _event(session_factory: sessionmaker[Session]) -> int:
    with unit_of_work(session_factory) as session:
        event = service.create_event(
            session=session,
            actor=THAI_EOC,
            new=service.NewEvent(country="THA", disease="dengue", title="Dengue cluster"),
        )
        return event.id


def test_an_investigation_through_the_pages(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    event_id = _event(session_factory)
    token = sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    event_page = client.get(f"/eoc/events/{event_id}", headers=HTML).text
    assert f'hx-get="/eoc/events/{event_id}/investigations"' in event_page
    fragment = client.get(f"/eoc/events/{event_id}/investigations", headers=HTMX).text
    assert "<html" not in fragment and "No field investigation yet." in fragment
    assert 'data-testid="start-investigation"' in fragment
    form = client.get(f"/eoc/events/{event_id}/investigations/new", headers=HTML)
    assert form.status_code == 200 and 'name="started_on"' in form.text

    target = f"/eoc/events/{event_id}/investigations"
    start = (today() - dt.timedelta(days=4)).isoformat()
    no_csrf = client.post(target, data={"title": "x", "started_on": start}, headers=HTML)
    assert no_csrf.status_code == 403
    bad = client.post(
        target,
        data={"title": "Cluster", "started_on": "31/07", "csrf_token": token},
        headers=HTML,
    )
    assert bad.status_code == 422 and "<code>started_on</code>" in bad.text
    assert 'value="Cluster"' in bad.text  # what was typed is kept
    made = client.post(
        target,
        data={"title": "Cluster", "started_on": start, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    page_url = made.headers["location"]
    assert re.fullmatch(rf"/eoc/events/{event_id}/investigations/\d+", page_url)

    member = client.post(
        f"{page_url}/members",
        data={"name": "Dr Lan", "role": "epidemiologist", "country": "VNM", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert member.status_code == 303
    samples = client.post(
        f"{page_url}/samples",
        data={"samples": "x", "specimen": "", "laboratory": "NIH", "sent_on": start},
        headers=HTML,
    )
    assert samples.status_code == 403  # no CSRF token
    samples = client.post(
        f"{page_url}/samples",
        data={"samples": "x", "specimen": "serum", "laboratory": "NIH", "csrf_token": token},
        headers=HTML,
    )
    assert samples.status_code == 422 and "<code>samples</code>" in samples.text
    client.post(
        f"{page_url}/samples",
        data={
            "samples": "6",
            "specimen": "serum",
            "laboratory": "NIH",
            "sent_on": start,
            "csrf_token": token,
        },
        headers=HTML,
    )
    late = (today() - dt.timedelta(days=1)).isoformat()
    for title, due in (
        ("Later task", (today() + dt.timedelta(days=5)).isoformat()),
        ("Late task", late),
    ):
        added = client.post(
            f"{page_url}/tasks",
            data={"title": title, "assignee_email": "a@x.org", "due_on": due, "csrf_token": token},
            headers=HTML,
            follow_redirects=False,
        )
        assert added.status_code == 303
    page = client.get(page_url, headers=HTML).text
    assert "Dr Lan" in page and 'data-testid="cross-border"' in page
    assert "NIH" in page and page.count('data-testid="overdue"') == 1
    task_ids = re.findall(r'data-testid="task-status-(\d+)"', page)
    assert len(task_ids) == 2

    tasks_page = client.get("/eoc/tasks?show=all", headers=HTML).text
    assert tasks_page.index("Late task") < tasks_page.index("Later task")

    done = client.post(
        f"{page_url}/tasks/{task_ids[0]}",
        data={"status": "done", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    again = client.post(
        f"{page_url}/tasks/{task_ids[0]}",
        data={"status": "open", "csrf_token": token},
        headers=HTML,
    )
    assert again.status_code == 409 and "cannot change any more" in again.text
    assert "Later task" not in client.get("/eoc/tasks?show=all", headers=HTML).text

    # Another country: not there at all; a viewer of Thailand: reads, no forms, no writes.
    viet = TestClient(client.app)
    sign_in(viet, make_user(Role.EOC_OFFICER, "VNM"))
    assert viet.get(page_url, headers=HTML).status_code == 404
    assert "Late task" not in viet.get("/eoc/tasks?show=all", headers=HTML).text
    viewer = TestClient(client.app)
    viewer_token = sign_in(viewer, make_user(Role.VIEWER, "THA"))
    read = viewer.get(page_url, headers=HTML)
    assert read.status_code == 200 and "Dr Lan" in read.text
    assert 'data-testid="task-form"' not in read.text
    refused = viewer.post(
        f"{page_url}/tasks",
        data={"title": "x", "assignee_email": "a@x.org", "csrf_token": viewer_token},
        headers=HTML,
    )
    assert refused.status_code == 403
