"""An event's links past a page: the event's read and page carry its latest ones and how many
there are in all; ``GET /events/{id}/links`` pages through every one; case-level links stay with
the event's own country in both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_case
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work, utcnow
from healthbridge.eoc.models import EventLink
from healthbridge.eoc.service import LINKS_SHOWN
from healthbridge.policy import Role

NOTES = LINKS_SHOWN + 4


def test_an_event_with_many_links_is_read_a_page_at_a_time(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
) -> None:
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    lao = login(make_user(Role.EOC_OFFICER, "LAO"))
    event = client.post(
        "/api/v1/events",
        json={"country": "THA", "disease": "dengue", "title": "Long-running outbreak"},
        headers=thai,
    ).json()
    url = f"/api/v1/events/{event['id']}"
    with unit_of_work(session_factory) as session:
        case_id = make_case(session, country="THA").id
    made = client.post(f"{url}/links", json={"kind": "case", "target_id": case_id}, headers=thai)
    assert made.status_code == 201, made.text
    start = utcnow()
    with unit_of_work(session_factory) as session:
        session.add_all(
            EventLink(
                event_id=event["id"],
                kind="note",
                text=f"Update {n}",
                created_at=start + dt.timedelta(minutes=n),
                created_by="officer",
            )
            for n in range(NOTES)
        )
    assert client.post(f"{url}/shares", json={"region": True}, headers=thai).status_code == 200

    read = client.get(url, headers=thai).json()
    assert read["links_total"] == NOTES + 1
    assert len(read["links"]) == LINKS_SHOWN
    # The latest ones, oldest first: the last note is last, the case (the first link) is out.
    assert [link["text"] for link in read["links"][-2:]] == [
        f"Update {NOTES - 2}",
        f"Update {NOTES - 1}",
    ]
    assert read["links"][0]["text"] == f"Update {NOTES - LINKS_SHOWN}"

    # Every link, a page at a time, newest first by default, with the next page linked.
    first = client.get(f"{url}/links", params={"limit": 60}, headers=thai)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], len(page["items"])) == (NOTES + 1, 60)
    assert page["items"][0]["text"] == f"Update {NOTES - 1}"
    assert 'rel="next"' in first.headers["link"]
    rest = client.get(f"{url}/links", params={"limit": 60, "offset": 60}, headers=thai).json()
    assert rest["items"][-1]["kind"] == "case"
    ids = [link["id"] for link in page["items"] + rest["items"]]
    assert len(set(ids)) == NOTES + 1
    oldest = client.get(f"{url}/links", params={"sort": "id", "limit": 1}, headers=thai).json()
    assert oldest["items"][0]["case_report_id"] == case_id
    assert_problem(client.get(f"{url}/links", params={"sort": "text"}, headers=thai), 422)

    # Another country sees the shared event, its notes, and never the case: not in the count.
    foreign = client.get(url, headers=lao).json()
    assert foreign["links_total"] == NOTES
    listed = client.get(f"{url}/links", params={"limit": 200}, headers=lao).json()
    assert listed["total"] == NOTES
    assert {link["kind"] for link in listed["items"]} == {"note"}

    # The page says how many it shows of how many.
    html = client.get(f"/eoc/events/{event['id']}", headers=thai)
    assert f"The latest {LINKS_SHOWN} of {NOTES + 1}" in html.text
    assert html.text.count('data-kind="note"') == LINKS_SHOWN


def test_the_links_of_an_unseen_event_are_not_found(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> None:
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    event = client.post(
        "/api/v1/events",
        json={"country": "THA", "disease": "dengue", "title": "Private"},
        headers=thai,
    ).json()
    assert_problem(client.get(f"/api/v1/events/{event['id']}/links", headers=viet), 404)
    assert_problem(client.get("/api/v1/events/999999/links", headers=thai), 404)
    small = client.get(f"/api/v1/events/{event['id']}", headers=thai).json()
    assert (small["links"], small["links_total"]) == ([], 0)


def test_unlinking_removes_one_link_of_that_event_only(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> None:
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    events = [
        client.post(
            "/api/v1/events",
            json={"country": "THA", "disease": "dengue", "title": title},
            headers=thai,
        ).json()["id"]
        for title in ("One", "Two")
    ]
    notes = [
        client.post(f"/api/v1/events/{e}/notes", json={"text": "x"}, headers=thai).json()["id"]
        for e in events
    ]
    # The second event's note is not the first event's to remove.
    assert_problem(client.delete(f"/api/v1/events/{events[0]}/links/{notes[1]}", headers=thai), 404)
    gone = client.delete(f"/api/v1/events/{events[0]}/links/{notes[0]}", headers=thai)
    assert gone.status_code == 204, gone.text
    assert client.get(f"/api/v1/events/{events[0]}", headers=thai).json()["links_total"] == 0
    assert client.get(f"/api/v1/events/{events[1]}", headers=thai).json()["links_total"] == 1
    again = client.delete(f"/api/v1/events/{events[0]}/links/{notes[0]}", headers=thai)
    assert_problem(again, 404)
