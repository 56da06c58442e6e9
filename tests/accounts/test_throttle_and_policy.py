"""Sign-in throttling (repeated failures refuse an e-mail address, and many failures a network
address, for a while, on every worker) and the minimum password policy beyond length."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import utcnow
from healthbridge.policy import Role
from healthbridge.security import MIN_DISTINCT_CHARACTERS, password_weakness

PASSWORD = "correct horse battery staple"  # conftest's TEST_PASSWORD
MakeUser = Callable[..., User]


def _token(client: TestClient, email: str, password: str) -> Response:
    return client.post("/api/v1/auth/token", data={"username": email, "password": password})


def _fail(client: TestClient, email: str, times: int) -> None:
    for _ in range(times):
        assert _token(client, email, "not the password").status_code == 401


def test_repeated_failures_refuse_the_address_even_with_the_right_password(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user, other = make_user(), make_user()
    _fail(client, user.email, accounts.LOGIN_FAILURES_ALLOWED)
    refused = _token(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    wait = int(refused.headers["retry-after"])
    assert 0 < wait <= accounts.LOGIN_WINDOW.total_seconds() + 1
    assert "too many failed sign-ins" in refused.json()["detail"]
    # Another address is not affected; an unknown one is throttled the same way.
    assert _token(client, other.email, PASSWORD).status_code == 200
    _fail(client, "nobody@example.org", accounts.LOGIN_FAILURES_ALLOWED)
    assert _token(client, "nobody@example.org", "x" * 12).status_code == 429
    # Throttled attempts are audited under their own action (they do not prolong the wait).
    with session_factory() as session:
        throttled = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login.throttled")
        ).all()
    assert [e.object_id for e in throttled] == [user.email, "nobody@example.org"]


def test_the_refusal_ends_with_the_window(
    client: TestClient, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user()
    _fail(client, user.email, accounts.LOGIN_FAILURES_ALLOWED)
    assert _token(client, user.email, PASSWORD).status_code == 429
    later = utcnow() + accounts.LOGIN_WINDOW + dt.timedelta(seconds=5)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert _token(client, user.email, PASSWORD).status_code == 200


def test_a_successful_sign_in_starts_the_count_again(
    client: TestClient, make_user: MakeUser
) -> None:
    user = make_user()
    _fail(client, user.email, accounts.LOGIN_FAILURES_ALLOWED - 1)
    assert _token(client, user.email, PASSWORD).status_code == 200
    _fail(client, user.email, accounts.LOGIN_FAILURES_ALLOWED - 1)
    assert _token(client, user.email, PASSWORD).status_code == 200


def test_the_sign_in_page_says_so(client: TestClient, make_user: MakeUser) -> None:
    user = make_user()
    for attempt in range(accounts.LOGIN_FAILURES_ALLOWED + 1):
        page = client.get("/login", headers={"accept": "text/html"}).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        response = client.post(
            "/login",
            data={"email": user.email, "password": "not the password", "csrf_token": found[1]},
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        expected = 401 if attempt < accounts.LOGIN_FAILURES_ALLOWED else 429
        assert response.status_code == expected
    assert "Too many failed sign-ins for this account." in response.text
    assert int(response.headers["retry-after"]) > 0
    assert "hb_session=" not in response.headers.get("set-cookie", "")


def test_many_failures_from_one_network_address_refuse_it_for_every_account(
    app: FastAPI,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accounts, "LOGIN_FAILURES_PER_ADDRESS", 4)
    user = make_user()
    with (
        TestClient(app, client=("203.0.113.7", 40000)) as sprayer,
        TestClient(app, client=("198.51.100.2", 40000)) as colleague,
    ):
        # One password tried on many accounts: each account fails once, the address four times.
        for n in range(4):
            assert _token(sprayer, f"person{n}@example.org", "Spring2026!").status_code == 401
        refused = _token(sprayer, user.email, PASSWORD)
        assert refused.status_code == 429, refused.text
        assert "from this network address" in refused.json()["detail"]
        assert 0 < int(refused.headers["retry-after"]) <= accounts.LOGIN_WINDOW.total_seconds() + 1
        # The same account from another address is not held up.
        assert _token(colleague, user.email, PASSWORD).status_code == 200
        # Nor does a success from the address reset its count: it is still refused.
        assert _token(sprayer, user.email, PASSWORD).status_code == 429
        page = sprayer.get("/login", headers={"accept": "text/html"}).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        web = sprayer.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "csrf_token": found[1]},
            headers={"accept": "text/html"},
            follow_redirects=False,
        )
        assert web.status_code == 429
        assert "Too many failed sign-ins from your network address." in web.text
    with session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith("auth.login"))
        ).all()
    failed = [e for e in entries if e.action == "auth.login"]
    assert {e.detail["address"] for e in failed} == {"203.0.113.7"}
    throttled = [e for e in entries if e.action == "auth.login.throttled"]
    assert {(e.object_type, e.object_id) for e in throttled} == {("address", "203.0.113.7")}


def test_failures_older_than_the_window_do_not_count_for_the_address(
    app: FastAPI, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "LOGIN_FAILURES_PER_ADDRESS", 2)
    user = make_user()
    with TestClient(app, client=("203.0.113.9", 40000)) as client:
        for n in range(2):
            assert _token(client, f"p{n}@example.org", "x" * 12).status_code == 401
        assert _token(client, user.email, PASSWORD).status_code == 429
        later = utcnow() + accounts.LOGIN_WINDOW + dt.timedelta(seconds=5)
        monkeypatch.setattr(accounts, "utcnow", lambda: later)
        assert _token(client, user.email, PASSWORD).status_code == 200


# --- the password policy ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Password2026!", "common"),
        ("qwertyuiop", "common"),
        ("Bangkok2026!!", "common"),
        ("aaaaaaaaaaaa", "different characters"),
        ("1212121212", "different characters"),
        ("1234567890!", "digits and symbols"),
        ("somchai.thai99", "name or e-mail"),
        ("Rattanakosin-Somchai", "name or e-mail"),
    ],
)
def test_weak_passwords_are_named(password: str, reason: str) -> None:
    found = password_weakness(password, email="somchai.thai@moph.go.th", full_name="Somchai Tha")
    assert found is not None and reason in found


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "healthbridge-demo", "mR7#vq2!Lp9z"]
)
def test_reasonable_passwords_pass(password: str) -> None:
    assert password_weakness(password, email="somchai.thai@moph.go.th", full_name="Somchai") is None


@given(st.text(min_size=1, max_size=40), st.emails())
def test_an_accepted_password_is_never_a_pattern_or_the_address(password: str, email: str) -> None:
    if password_weakness(password, email=email) is None:
        assert len(set(password.casefold())) >= MIN_DISTINCT_CHARACTERS
        assert password.casefold().strip(string.digits + string.punctuation + " ") != ""
        local = email.casefold().partition("@")[0]
        assert len(local) < 4 or local not in password.casefold()


def test_accounts_refuse_weak_passwords(
    client: TestClient,
    make_user: MakeUser,
    login: Callable[[User], dict[str, str]],
) -> None:
    admin = make_user(Role.REGIONAL_ADMIN, None)
    body = {
        "email": "new.person@example.org",
        "full_name": "New Person",
        "role": "viewer",
        "country": "THA",
        "password": "Password2026!",
    }
    refused = client.post("/api/v1/users", json=body, headers=login(admin))
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "password"
    assert "common" in refused.json()["errors"][0]["message"]
    user = make_user()
    change = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": user.email.split("@")[0] + "!!"},
        headers=login(user),
    )
    assert change.status_code == 422, change.text
    assert change.json()["errors"][0]["field"] == "new_password"
