"""My tasks: ``GET /api/v1/me/tasks`` (the tasks assigned to the caller's e-mail in the events
they see, pending first, paged, filtered by status) and the ``/eoc/tasks`` page (my tasks by
default, marking one done from it; every open task of the events seen with ``show=all``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, sign_in
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import investigations, service, sharing
from healthbridge.eoc.investigations import TaskInput, today
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
Login = Callable[[User], dict[str, str]]


def _investigation(
    session: Session, operator: Principal, country: str, title: str
) -> tuple[int, int]:
    event = service.create_event(
        session=session,
        actor=operator,
        new=service.NewEvent(country=country, disease="dengue", title=title),
    )
    investigation = investigations.create_investigation(
        session=session,
        actor=operator,
        event_id=event.id,
        values={"title": f"Investigation: {title}", "started_on": today()},
    )
    return event.id, investigation.id


def _task(
    session: Session,
    operator: Principal,
    where: tuple[int, int],
    title: str,
    assignee: str,
    due_in: int | None,
) -> int:
    task = investigations.add_task(
        session=session,
        actor=operator,
        event_id=where[0],
        investigation_id=where[1],
        task=TaskInput(
            title=title,
            assignee_email=assignee,
            due_on=None if due_in is None else today() + dt.timedelta(days=due_in),
        ),
    )
    return task.id


def _arrange(
    session_factory: sessionmaker[Session], operator: Principal, me: str
) -> dict[str, int]:
    """Tasks of a Thai event (mine: overdue, due later, undated, done; someone else's) and one
    of mine in a Viet Nam event not shared with Thailand. Their ids by title."""
    with unit_of_work(session_factory) as session:
        thai = _investigation(session, operator, "THA", "Dengue cluster")
        viet = _investigation(session, operator, "VNM", "Dengue in Ha Noi")
        ids = {
            "Later": _task(session, operator, thai, "Later", me.upper(), 5),
            "Overdue": _task(session, operator, thai, "Overdue", me, -2),
            "Undated": _task(session, operator, thai, "Undated", me, None),
            "Finished": _task(session, operator, thai, "Finished", me, -9),
            "Not mine": _task(session, operator, thai, "Not mine", "other@example.org", 1),
            "Hidden": _task(session, operator, viet, "Hidden", me, 1),
            "viet_event": viet[0],
        }
        investigations.update_task(
            session=session,
            actor=operator,
            event_id=thai[0],
            investigation_id=thai[1],
            task_id=ids["Finished"],
            status="done",
        )
    return ids


def test_my_tasks_through_the_api(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    user = make_user(Role.EPIDEMIOLOGIST, "THA")
    headers = login(user)
    ids = _arrange(session_factory, operator, user.email)

    listed = client.get("/api/v1/me/tasks", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    titles = [t["title"] for t in body["items"]]
    # Pending first by due date (undated last), then the done one; not others', not unseen ones.
    assert titles == ["Overdue", "Later", "Undated", "Finished"]
    assert body["total"] == 4 and "Link" not in listed.headers
    first = body["items"][0]
    assert first["overdue"] is True and first["status"] == "open"
    assert first["event_title"] == "Dengue cluster"
    assert first["investigation_title"] == "Investigation: Dengue cluster"
    assert [t["overdue"] for t in body["items"][1:]] == [False, False, False]
    assert body["items"][3]["completed_on"] == today().isoformat()

    pending = client.get("/api/v1/me/tasks?status=pending", headers=headers).json()
    assert [t["title"] for t in pending["items"]] == ["Overdue", "Later", "Undated"]
    done = client.get("/api/v1/me/tasks?status=done", headers=headers).json()
    assert [t["title"] for t in done["items"]] == ["Finished"]
    by_title = client.get("/api/v1/me/tasks?sort=-title", headers=headers).json()
    assert [t["title"] for t in by_title["items"]] == ["Undated", "Overdue", "Later", "Finished"]

    paged = client.get("/api/v1/me/tasks?limit=2&offset=1", headers=headers)
    assert [t["title"] for t in paged.json()["items"]] == ["Later", "Undated"]
    assert 'rel="next"' in paged.headers["Link"] and 'rel="prev"' in paged.headers["Link"]

    assert_problem(client.get("/api/v1/me/tasks?status=finished", headers=headers), 422)
    bad_sort = assert_problem(client.get("/api/v1/me/tasks?sort=assignee", headers=headers), 422)
    assert [e["field"] for e in bad_sort["errors"]] == ["sort"]
    assert_problem(client.get("/api/v1/me/tasks"), 401)

    # Shared with Thailand, the Viet Nam event's task assigned to me is listed too.
    with unit_of_work(session_factory) as session:
        sharing.share_event(
            session=session, actor=operator, event_id=ids["viet_event"], countries=["THA"]
        )
    shared = client.get("/api/v1/me/tasks?status=pending", headers=headers).json()
    assert [t["title"] for t in shared["items"]] == ["Overdue", "Hidden", "Later", "Undated"]

    # Someone else sees none of them.
    other = login(make_user(Role.EOC_OFFICER, "THA"))
    assert client.get("/api/v1/me/tasks", headers=other).json()["total"] == 0


def test_my_tasks_page_and_marking_one_done(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    user = make_user(Role.EOC_OFFICER, "THA")
    token = sign_in(client, user)
    ids = _arrange(session_factory, operator, user.email)

    mine = client.get("/eoc/tasks", headers=HTML)
    assert mine.status_code == 200 and "<h1>My tasks</h1>" in mine.text
    text = mine.text
    assert text.index("Overdue") < text.index("Later") < text.index("Undated")
    assert text.index("Undated") < text.index("Finished")
    assert "Not mine" not in text and "Hidden" not in text
    assert text.count('data-testid="overdue"') == 1
    assert text.count(">Mark done</button>") == 3
    assert 'href="/eoc/tasks?show=all"' in text

    form = re.search(rf'action="([^"]+/tasks/{ids["Later"]})"', text)
    assert form is not None
    marked = client.post(
        form.group(1),
        data={"status": "done", "back": "tasks", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert marked.status_code == 303
    assert marked.headers["location"] == f"/eoc/tasks#task-{ids['Later']}"
    after = client.get("/eoc/tasks", headers=HTML).text
    row = re.search(rf'<tr id="task-{ids["Later"]}"[^>]*data-status="(\w+)"', after)
    assert row is not None and row.group(1) == "done"
    assert after.count(">Mark done</button>") == 2

    every = client.get("/eoc/tasks?show=all", headers=HTML).text
    assert "<h1>Investigation tasks</h1>" in every
    assert "Not mine" in every and "Overdue" in every
    assert "Later" not in every and "Hidden" not in every
    assert client.get("/eoc/tasks?show=everyone", headers=HTML).status_code == 422

    # A viewer sees their tasks but has no button: they cannot change them.
    viewer = make_user(Role.VIEWER, "THA")
    _arrange(session_factory, operator, viewer.email)
    reader = TestClient(client.app)
    sign_in(reader, viewer)
    read = reader.get("/eoc/tasks", headers=HTML).text
    assert "Overdue" in read and ">Mark done</button>" not in read
