"""The signal pages through the HTTP client: the triage queue (filters, htmx fragment, triage
buttons only where the user may triage, CSRF), and a signal's epicurve with its table."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_PASSWORD
from tests.surveillance.signal_arrange import arrange_signals

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.surveillance.models import Signal

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}
HTMX = {"accept": "text/html", "hx-request": "true"}
PAGE = "/surveillance/signals"


@pytest.fixture
def detected(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, int]:
    with unit_of_work(session_factory) as session:
        arrange_signals(session, operator)
    with session_factory() as session:
        found = session.scalars(
            select(Signal).where(Signal.method == "noufaily").order_by(Signal.week.desc())
        ).all()
        return {
            "THA": next(s.id for s in found if s.country_code == "THA"),
            "VNM": next(s.id for s in found if s.country_code == "VNM"),
        }


def figures(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


def row_of(page: str, signal_id: int) -> str:
    match = re.search(rf'<tr data-signal="{signal_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row of signal {signal_id}"
    return match.group(1)


def sign_in(client: TestClient, user: User) -> None:
    form = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert nonce is not None
    signed_in = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303


def test_the_queue_shows_every_signal_with_buttons_only_where_one_may_triage(
    client: TestClient, make_user: MakeUser, login: Login, detected: dict[str, int]
) -> None:
    thai_eoc = {**login(make_user(Role.EOC_OFFICER, "THA")), **HTML}
    page = client.get(PAGE, headers=thai_eoc)
    assert page.status_code == 200
    text = page.text
    assert '<a href="/surveillance/signals"' in text  # in the navigation
    assert "<h1>Signals</h1>" in text
    thai, viet = row_of(text, detected["THA"]), row_of(text, detected["VNM"])
    assert "2024-W52" in thai and "Thailand, TH-10" in thai and "Dengue" in thai
    assert 'value="verify"' in thai and 'name="csrf_token"' in thai
    assert 'value="verify"' not in viet and "Triaged by Viet Nam" in viet
    weeks = re.findall(
        r'<th scope="row"><a href="/surveillance/signals/\d+">(\d{4}-W\d\d)</a>', text
    )
    assert weeks == sorted(weeks, reverse=True)

    viewer = {**login(make_user(Role.VIEWER, "IDN")), **HTML}
    seen = client.get(PAGE, headers=viewer).text
    assert f'data-signal="{detected["VNM"]}"' in seen
    assert 'name="status" value="verify"' not in seen


def test_filters_answer_a_fragment_to_htmx(
    client: TestClient, make_user: MakeUser, login: Login, detected: dict[str, int]
) -> None:
    headers = login(make_user(Role.VIEWER, "THA"))
    fragment = client.get(PAGE, params={"country": "VNM"}, headers={**headers, **HTMX}).text
    assert fragment.startswith('<div id="signals">') and "<h1>" not in fragment
    assert f'data-signal="{detected["VNM"]}"' in fragment
    assert f'data-signal="{detected["THA"]}"' not in fragment
    none = client.get(PAGE, params={"status": "verify"}, headers={**headers, **HTMX}).text
    assert "No signal matches." in none
    bad = client.get(PAGE, params={"status": "open"}, headers={**headers, **HTML})
    assert bad.status_code == 422


def test_a_signal_page_draws_the_epicurve_with_the_threshold(
    client: TestClient, make_user: MakeUser, login: Login, detected: dict[str, int]
) -> None:
    headers = {**login(make_user(Role.VIEWER, "PHL")), **HTML}
    page = client.get(f"{PAGE}/{detected['THA']}", headers=headers)
    assert page.status_code == 200
    text = page.text
    assert '<script src="/static/vendor/plotly.min.js"></script>' in text
    [figure] = figures(text)
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Cases", "Threshold (noufaily)", "Expected", "Alarm"]
    cases, threshold, _expected, alarms = figure["data"]
    assert len(cases["x"]) == len(threshold["y"]) == 104
    assert alarms["customdata"][-2:] == ["2024-W51", "2024-W52"]
    assert (
        'data-testid="series-table"' in text
        and '<tr aria-current="true"><th scope="row">2024-W52' in text
    )
    assert 'name="status" value="verify"' not in text  # a viewer does not triage
    assert client.get(f"{PAGE}/999999", headers=headers).status_code == 404


def test_triage_from_the_page_needs_the_csrf_token_and_swaps_the_row(
    client: TestClient,
    make_user: MakeUser,
    detected: dict[str, int],
    session_factory: sessionmaker[Session],
) -> None:
    sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    page = client.get(PAGE, headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', row_of(page, detected["THA"]))
    assert token is not None
    target = f"{PAGE}/{detected['THA']}/triage"
    refused = client.post(target, data={"status": "verify", "view": "row"}, headers=HTMX)
    assert refused.status_code == 403
    row = client.post(
        target, data={"status": "verify", "view": "row", "csrf_token": token.group(1)}, headers=HTMX
    )
    assert row.status_code == 200, row.text
    assert row.text.strip().startswith(f'<tr data-signal="{detected["THA"]}">')
    assert ">Verify</span>" in row.text
    detail = client.post(
        target,
        data={"status": "monitor", "note": "Weekly call", "csrf_token": token.group(1)},
        follow_redirects=False,
        headers=HTML,
    )
    assert detail.status_code == 303 and detail.headers["location"] == f"{PAGE}/{detected['THA']}"
    shown = client.get(detail.headers["location"], headers=HTML).text
    assert ">Monitor</span>" in shown and "Weekly call" in shown
    bad = client.post(target, data={"status": "closed", "csrf_token": token.group(1)}, headers=HTML)
    assert bad.status_code == 422 and "one of: new, monitor, verify, discarded" in bad.text
    other = client.post(
        f"{PAGE}/{detected['VNM']}/triage",
        data={"status": "verify", "csrf_token": token.group(1)},
        headers=HTML,
    )
    assert other.status_code == 403
    with session_factory() as session:
        assert session.get(Signal, detected["VNM"]).status == "new"  # type: ignore[union-attr]
        assert session.get(Signal, detected["THA"]).status == "monitor"  # type: ignore[union-attr]
