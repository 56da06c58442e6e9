"""Request and pledge pages through the HTTP client: the board and its filters, the new-request
form prefilled from an event's assistance request, refusals shown with what was typed, the step
forms only for those allowed, pledging and deciding."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, sign_in
from tests.resources.request_world import LAO_EOC, PHL_EOC, World, build, in_days

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources import requests
from healthbridge.resources.models import Pledge, ResourceRequest

MakeUser = Callable[..., User]


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    with unit_of_work(session_factory) as session:
        return build(session)


def _ask(session_factory: sessionmaker[Session], **changes: object) -> int:
    values: dict[str, object] = {
        "kind": "item",
        "item": "ors-sachet",
        "quantity": 250,
        "priority": "critical",
        "needed_by": in_days(9),
        "delivery_point": "Vientiane central store",
    }
    values.update(changes)
    actor = PHL_EOC if changes.get("event_id") or changes.get("country") == "PHL" else LAO_EOC
    with unit_of_work(session_factory) as session:
        return requests.create_request(
            session=session,
            actor=actor,
            new=requests.RequestInput(**values),  # type: ignore[arg-type]
        ).id


def _form(token: str, **changes: str) -> dict[str, str]:
    values = {
        "csrf_token": token,
        "kind": "item",
        "item": "ors-sachet",
        "quantity": "300",
        "priority": "high",
        "needed_by": in_days(10).isoformat(),
        "delivery_point": "Mahosot hospital store",
    }
    values.update(changes)
    return values


def test_the_board_lists_filters_and_links(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    lao = _ask(session_factory)
    phl = _ask(session_factory, event_id=world.phl_event, item="mr-vaccine", priority="high")
    sign_in(client, make_user(Role.VIEWER, "IDN"))
    page = client.get("/resources/requests", headers=HTML)
    assert page.status_code == 200
    rows = re.findall(r'data-request="(\d+)"', page.text)
    assert rows == [str(lao), str(phl)]
    # The Philippines' event is shared with the region: its title shows.
    assert "Measles in the Philippines" in page.text
    assert 'data-testid="new-request-link"' not in page.text  # a viewer does not ask
    filtered = client.get("/resources/requests", params={"item": "mr-vaccine"}, headers=HTML)
    assert re.findall(r'data-request="(\d+)"', filtered.text) == [str(phl)]
    bad = client.get("/resources/requests", params={"priority": "urgent"}, headers=HTML)
    assert bad.status_code == 422 and "<code>priority</code>" in bad.text


def test_a_new_request_from_an_assistance_request_link(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    token = sign_in(client, make_user(Role.EOC_OFFICER, "PHL"))
    url = (
        f"/resources/requests/new?event_id={world.phl_event}"
        f"&assistance_request_id={world.phl_resources}"
    )
    form = client.get(url, headers=HTML)
    assert form.status_code == 200
    assert 'data-testid="request-event"' in form.text
    assert "Measles in the Philippines" in form.text and "Vaccines" in form.text
    assert f'name="assistance_request_id" value="{world.phl_resources}"' in form.text
    made = client.post(
        "/resources/requests",
        data=_form(
            token,
            item="mr-vaccine",
            event_id=str(world.phl_event),
            assistance_request_id=str(world.phl_resources),
            delivery_point="RITM, Muntinlupa",
        ),
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    with session_factory() as session:
        stored = session.scalars(select(ResourceRequest)).one()
        assert (stored.country_code, stored.event_id, stored.assistance_request_id) == (
            "PHL",
            world.phl_event,
            world.phl_resources,
        )
    assert made.headers["location"] == f"/resources/requests/{stored.id}"


def test_an_unseen_event_is_not_shown_on_the_form(
    client: TestClient, make_user: MakeUser, world: World
) -> None:
    sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    form = client.get(f"/resources/requests/new?event_id={world.lao_event}", headers=HTML)
    assert form.status_code == 200
    assert "Lao event shared with nobody" not in form.text
    assert 'data-testid="request-event"' not in form.text


def test_a_refused_form_keeps_what_was_typed(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    token = sign_in(client, make_user(Role.EOC_OFFICER, "LAO"))
    refused = client.post(
        "/resources/requests",
        data=_form(token, quantity="0", needed_by="2020-01-01", delivery_point="Pakse store"),
        headers=HTML,
    )
    assert refused.status_code == 422
    assert "<code>quantity</code>" in refused.text and "<code>needed_by</code>" in refused.text
    assert 'value="Pakse store"' in refused.text
    not_a_number = client.post(
        "/resources/requests", data=_form(token, quantity="lots"), headers=HTML
    )
    assert not_a_number.status_code == 422 and "<code>quantity</code>" in not_a_number.text
    with session_factory() as session:
        assert session.scalars(select(ResourceRequest)).all() == []


def test_step_forms_only_for_those_allowed_and_the_steps_taken(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    rid = _ask(session_factory)
    sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    page = client.get(f"/resources/requests/{rid}", headers=HTML)
    assert page.status_code == 200 and 'data-testid="step-form"' not in page.text
    token = sign_in(client, make_user(Role.FOCAL_POINT, "THA"))
    refused = client.post(
        f"/resources/requests/{rid}/steps",
        data={"step": "endorse", "csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 403

    token = sign_in(client, make_user(Role.FOCAL_POINT, "LAO"))
    page = client.get(f"/resources/requests/{rid}", headers=HTML).text
    assert 'data-testid="step-form"' in page
    assert 'value="endorse"' in page and 'value="approve"' not in page
    no_note = client.post(
        f"/resources/requests/{rid}/steps",
        data={"step": "reject", "csrf_token": token},
        headers=HTML,
    )
    assert no_note.status_code == 422 and "<code>note</code>" in no_note.text
    done = client.post(
        f"/resources/requests/{rid}/steps",
        data={"step": "endorse", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(f"/resources/requests/{rid}", headers=HTML).text
    assert 'data-testid="request-steps"' in page and "Endorsed" in page
    again = client.post(
        f"/resources/requests/{rid}/steps",
        data={"step": "endorse", "csrf_token": token},
        headers=HTML,
    )
    assert again.status_code == 409 and "approve, reject, cancel" in again.text


def test_pledging_and_deciding_through_the_pages(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    rid = _ask(session_factory)
    token = sign_in(client, make_user(Role.LOGISTICS_OFFICER, "KOR"))
    page = client.get(f"/resources/requests/{rid}", headers=HTML).text
    assert 'data-testid="pledge-form"' in page
    assert f'value="lot-{world.kor_lot}"' in page
    assert f'value="lot-{world.kor_vaccine_lot}"' not in page  # another item
    assert f'value="lot-{world.reserve_lot}"' not in page  # the reserve is the region's
    too_much = client.post(
        "/resources/pledges",
        data={
            "offered": f"lot-{world.kor_lot}",
            "quantity": "5000",
            "request_id": str(rid),
            "conditions": "by sea",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert too_much.status_code == 422 and "<code>quantity</code>" in too_much.text
    assert "by sea" in too_much.text
    made = client.post(
        "/resources/pledges",
        data={
            "offered": f"lot-{world.kor_lot}",
            "quantity": "200",
            "request_id": str(rid),
            "csrf_token": token,
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == f"/resources/requests/{rid}"
    with session_factory() as session:
        pledge = session.scalars(select(Pledge)).one()
    page = client.get(f"/resources/requests/{rid}", headers=HTML).text
    assert f'data-pledge="{pledge.id}"' in page
    assert 'value="withdraw"' in page and 'value="accept"' not in page

    token = sign_in(client, make_user(Role.LOGISTICS_OFFICER, None))
    page = client.get(f"/resources/requests/{rid}", headers=HTML).text
    assert 'value="accept"' in page
    decided = client.post(
        f"/resources/pledges/{pledge.id}/decision",
        data={"decision": "accept", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert decided.status_code == 303
    listing = client.get("/resources/pledges", params={"status": "accepted"}, headers=HTML)
    assert listing.status_code == 200 and f'data-pledge="{pledge.id}"' in listing.text
    twice = client.post(
        f"/resources/pledges/{pledge.id}/decision",
        data={"decision": "decline", "csrf_token": token},
        headers=HTML,
    )
    assert twice.status_code == 409


def test_a_pledge_to_the_region_from_the_pledges_page(
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    world: World,
) -> None:
    token = sign_in(client, make_user(Role.LOGISTICS_OFFICER, "KOR"))
    page = client.get("/resources/pledges", headers=HTML).text
    assert 'data-testid="pledge-form"' in page and f'value="team-{world.team_id}"' in page
    refused = client.post(
        "/resources/pledges",
        data={"offered": "", "csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 422 and "<code>lot_id</code>" in refused.text
    made = client.post(
        "/resources/pledges",
        data={"offered": f"team-{world.team_id}", "conditions": "3 weeks", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"] == "/resources/pledges"
    with session_factory() as session:
        pledge = session.scalars(select(Pledge)).one()
        assert (pledge.team_id, pledge.request_id, pledge.conditions) == (
            world.team_id,
            None,
            "3 weeks",
        )
