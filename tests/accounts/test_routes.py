"""The accounts API and the browser's sign-in and sign-out."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import ApiToken, User
from healthbridge.audit.models import AuditEntry
from healthbridge.policy import Role

PASSWORD = "correct horse battery staple"  # conftest's TEST_PASSWORD

Login = Callable[[User], dict[str, str]]
MakeUser = Callable[..., User]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def is_problem(response: object) -> bool:
    return response.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]


def audit_entries(session_factory: sessionmaker[Session], **where: object) -> list[AuditEntry]:
    with session_factory() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for column, value in where.items():
            query = query.where(getattr(AuditEntry, column) == value)
        return list(session.scalars(query))


def new_user_body(email: str, role: str = "viewer", country: str | None = "THA") -> dict:
    return {
        "email": email,
        "full_name": "New Person",
        "role": role,
        "country": country,
        "password": "a long enough password",
    }


# --- signing in with the API ------------------------------------------------------------------


def test_sign_in_gives_a_bearer_token_for_me(client: TestClient, make_user: MakeUser) -> None:
    user = make_user(Role.EPIDEMIOLOGIST, "VNM")
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["access_token"].startswith("hb_")
    assert body["expires_at"]

    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    profile = me.json()
    assert profile["id"] == user.id
    assert profile["email"] == user.email
    assert profile["role"] == "epidemiologist"
    assert profile["role_label"] == "Epidemiologist"
    assert profile["country_code"] == "VNM"
    assert profile["country_name"]
    assert profile["last_login_at"] is not None
    assert "password_hash" not in profile


def test_me_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert is_problem(response)


def test_a_wrong_password_is_a_401_problem_and_audited(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(Role.VIEWER, "THA")
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "not the password"}
    )
    assert response.status_code == 401
    assert is_problem(response)
    assert response.headers["www-authenticate"] == "Bearer"
    problem = response.json()
    assert problem["status"] == 401
    assert problem["detail"] == "wrong e-mail or password"
    assert "access_token" not in problem

    denied = audit_entries(session_factory, action="auth.login")
    assert len(denied) == 1
    assert denied[0].outcome == "denied"
    assert denied[0].object_id == user.email
    assert denied[0].actor == "anonymous"
    assert "not the password" not in str(denied[0].detail)


def test_an_unknown_email_answers_like_a_wrong_password(
    client: TestClient, make_user: MakeUser
) -> None:
    user = make_user(Role.VIEWER, "THA")
    wrong = client.post("/api/v1/auth/token", data={"username": user.email, "password": "x" * 12})
    unknown = client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.org", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_logout_revokes_the_token(client: TestClient, make_user: MakeUser) -> None:
    user = make_user(Role.VIEWER, "THA")
    secret = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}
    ).json()["access_token"]
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    response = client.post("/api/v1/auth/logout", headers=bearer(secret))
    assert response.status_code == 204
    after = client.get("/api/v1/me", headers=bearer(secret))
    assert after.status_code == 401
    assert is_problem(after)


def test_logout_revokes_only_that_token(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    user = make_user(Role.VIEWER, "THA")
    first, second = login(user), login(user)
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    assert client.get("/api/v1/me", headers=first).status_code == 401
    assert client.get("/api/v1/me", headers=second).status_code == 200


# --- my tokens --------------------------------------------------------------------------------


def test_create_list_and_revoke_my_tokens(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    user = make_user(Role.VIEWER, "THA")
    headers = login(user)
    created = client.post("/api/v1/me/tokens", headers=headers, json={"name": "ci pipeline"})
    assert created.status_code == 201, created.text
    issued = created.json()
    secret = issued["token"]
    assert secret.startswith("hb_")
    assert issued["name"] == "ci pipeline"
    assert issued["kind"] == "api"
    assert issued["hint"] == secret[:8]
    assert issued["expires_at"] is not None
    assert issued["revoked_at"] is None

    # The new token works on its own.
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["id"] == user.id

    listed = client.get("/api/v1/me/tokens", headers=headers)
    assert listed.status_code == 200
    page = listed.json()
    ids = [t["id"] for t in page["items"]]
    assert issued["id"] in ids
    assert page["total"] == len(ids) == 2  # the login fixture's token and the new one
    assert all("token" not in t for t in page["items"])  # shown once, never again
    assert secret not in listed.text

    revoked = client.delete(f"/api/v1/me/tokens/{issued['id']}", headers=headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401

    remaining = client.get("/api/v1/me/tokens", headers=headers).json()
    assert issued["id"] not in [t["id"] for t in remaining["items"]]
    everything = client.get(
        "/api/v1/me/tokens", headers=headers, params={"include_revoked": "true"}
    ).json()
    assert issued["id"] in [t["id"] for t in everything["items"]]


def test_a_token_without_expiry(client: TestClient, make_user: MakeUser, login: Login) -> None:
    headers = login(make_user())
    response = client.post(
        "/api/v1/me/tokens", headers=headers, json={"name": "forever", "expires_in_days": None}
    )
    assert response.status_code == 201
    assert response.json()["expires_at"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "x", "expires_in_days": 0}, {"name": "x", "kind": "login"}],
)
def test_a_bad_token_request_is_422(
    client: TestClient, make_user: MakeUser, login: Login, body: dict
) -> None:
    response = client.post("/api/v1/me/tokens", headers=login(make_user()), json=body)
    assert response.status_code == 422
    assert is_problem(response)


def test_another_users_token_is_not_found(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    owner, other = make_user(Role.VIEWER, "THA"), make_user(Role.VIEWER, "THA")
    owner_headers = login(owner)
    token_id = client.post(
        "/api/v1/me/tokens", headers=owner_headers, json={"name": "mine"}
    ).json()["id"]
    response = client.delete(f"/api/v1/me/tokens/{token_id}", headers=login(other))
    assert response.status_code == 404
    assert is_problem(response)
    with session_factory() as session:
        token = session.get(ApiToken, token_id)
        assert token is not None
        assert token.revoked_at is None
    missing = client.delete("/api/v1/me/tokens/999999", headers=owner_headers)
    assert missing.status_code == 404


# --- account administration -------------------------------------------------------------------


def test_a_regional_admin_creates_accounts_anywhere(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    for email, role, country in [
        ("focal.vn@example.org", "focal_point", "VNM"),
        ("secretariat@example.org", "secretariat", None),
        ("admin2@example.org", "regional_admin", None),
    ]:
        response = client.post(
            "/api/v1/users", headers=headers, json=new_user_body(email, role, country)
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["email"] == email
        assert created["role"] == role
        assert created["country_code"] == country
        assert created["is_active"] is True
        assert "password" not in created
        assert "password_hash" not in created

    # And the new account can sign in.
    signed_in = client.post(
        "/api/v1/auth/token",
        data={"username": "focal.vn@example.org", "password": "a long enough password"},
    )
    assert signed_in.status_code == 200


def test_a_duplicate_account_is_a_409(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    existing = make_user(Role.VIEWER, "THA")
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    response = client.post("/api/v1/users", headers=headers, json=new_user_body(existing.email))
    assert response.status_code == 409
    assert is_problem(response)
    assert response.json()["errors"][0]["field"] == "email"


def test_a_focal_point_creates_accounts_of_their_own_country_only(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    headers = login(focal)
    own = client.post(
        "/api/v1/users", headers=headers, json=new_user_body("th.epi@example.org", "epidemiologist")
    )
    assert own.status_code == 201, own.text
    assert own.json()["country_code"] == "THA"

    other = client.post(
        "/api/v1/users",
        headers=headers,
        json=new_user_body("vn.epi@example.org", "epidemiologist", "VNM"),
    )
    assert other.status_code == 403
    assert is_problem(other)
    with session_factory() as session:
        assert session.scalar(select(User).where(User.email == "vn.epi@example.org")) is None

    denied = audit_entries(session_factory, outcome="denied")
    assert len(denied) == 1
    assert denied[0].country_code == "VNM"
    assert denied[0].action == "account:manage"
    assert denied[0].actor_user_id == focal.id
    assert denied[0].detail["path"] == "/api/v1/users"
    assert denied[0].detail["method"] == "POST"


def test_a_focal_point_cannot_create_a_regional_admin(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    headers = login(make_user(Role.FOCAL_POINT, "THA"))
    response = client.post(
        "/api/v1/users",
        headers=headers,
        json=new_user_body("boss@example.org", "regional_admin", None),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("role", "country"), [(Role.VIEWER, "THA"), (Role.SECRETARIAT, None)])
def test_other_roles_cannot_create_accounts(
    client: TestClient, make_user: MakeUser, login: Login, role: Role, country: str | None
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=login(make_user(role, country)),
        json=new_user_body("someone@example.org"),
    )
    assert response.status_code == 403
    assert is_problem(response)


def test_patch_changes_the_role(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    target = make_user(Role.VIEWER, "THA")
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    response = client.patch(
        f"/api/v1/users/{target.id}", headers=headers, json={"role": "epidemiologist"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "epidemiologist"
    assert response.json()["full_name"] == target.full_name  # untouched
    with session_factory() as session:
        fresh = session.get(User, target.id)
        assert fresh is not None
        assert fresh.role == "epidemiologist"
    entry = audit_entries(session_factory, action="user.update")[-1]
    assert entry.object_id == str(target.id)
    assert entry.detail == {"role": "epidemiologist"}


def test_patch_refuses_a_regional_role_for_a_country_account(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    target = make_user(Role.VIEWER, "THA")
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    response = client.patch(
        f"/api/v1/users/{target.id}", headers=headers, json={"role": "secretariat"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "country"


def test_a_focal_point_cannot_patch_another_countrys_account(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    target = make_user(Role.VIEWER, "VNM")
    headers = login(make_user(Role.FOCAL_POINT, "THA"))
    response = client.patch(
        f"/api/v1/users/{target.id}", headers=headers, json={"role": "epidemiologist"}
    )
    assert response.status_code == 403


def test_disabling_a_user_kills_their_tokens(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    session_factory: sessionmaker[Session],
) -> None:
    target = make_user(Role.VIEWER, "THA")
    target_headers = login(target)
    assert client.get("/api/v1/me", headers=target_headers).status_code == 200
    headers = login(make_user(Role.FOCAL_POINT, "THA"))
    response = client.patch(
        f"/api/v1/users/{target.id}", headers=headers, json={"is_active": False}
    )
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False

    assert client.get("/api/v1/me", headers=target_headers).status_code == 401
    with session_factory() as session:
        tokens = session.scalars(select(ApiToken).where(ApiToken.user_id == target.id)).all()
        assert tokens
        assert all(t.revoked_at is not None for t in tokens)
    again = client.post("/api/v1/auth/token", data={"username": target.email, "password": PASSWORD})
    assert again.status_code == 401


def test_no_one_disables_themselves(client: TestClient, make_user: MakeUser, login: Login) -> None:
    admin = make_user(Role.REGIONAL_ADMIN, None)
    headers = login(admin)
    response = client.patch(f"/api/v1/users/{admin.id}", headers=headers, json={"is_active": False})
    assert response.status_code == 422
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_a_focal_point_lists_only_their_country(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    thai = [make_user(Role.VIEWER, "THA"), make_user(Role.EPIDEMIOLOGIST, "THA")]
    viet = make_user(Role.VIEWER, "VNM")
    regional = make_user(Role.SECRETARIAT, None)
    focal = make_user(Role.FOCAL_POINT, "THA")
    headers = login(focal)

    response = client.get("/api/v1/users", headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    emails = {u["email"] for u in page["items"]}
    assert {u["country_code"] for u in page["items"]} == {"THA"}
    assert {u.email for u in thai} | {focal.email} == emails
    assert viet.email not in emails
    assert regional.email not in emails
    assert page["total"] == 3

    other = client.get("/api/v1/users", headers=headers, params={"country": "VNM"})
    assert other.status_code == 403


def test_a_regional_admin_lists_everyone(
    client: TestClient, make_user: MakeUser, login: Login
) -> None:
    viet = make_user(Role.VIEWER, "VNM")
    thai = make_user(Role.VIEWER, "THA")
    headers = login(make_user(Role.REGIONAL_ADMIN, None))
    emails = {u["email"] for u in client.get("/api/v1/users", headers=headers).json()["items"]}
    assert {viet.email, thai.email} <= emails
    only_vnm = client.get("/api/v1/users", headers=headers, params={"country": "vnm"}).json()
    assert [u["email"] for u in only_vnm["items"]] == [viet.email]


# --- the browser: sign in and sign out --------------------------------------------------------


def hidden_input(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden input {name!r} in the page"
    return match.group(1)


def web_login(client: TestClient, user: User, next_url: str = "/"):  # type: ignore[no-untyped-def]
    form = client.get("/login", params={"next": next_url})
    assert form.status_code == 200
    csrf = hidden_input(form.text, "csrf_token")
    return client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf, "next": next_url},
        follow_redirects=False,
    )


def session_cookie(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    cookies = [h for h in headers if h.startswith("hb_session=")]
    assert len(cookies) == 1, headers
    return cookies[0]


def test_web_login_sets_an_httponly_session_and_redirects_to_next(
    client: TestClient, make_user: MakeUser
) -> None:
    user = make_user(Role.VIEWER, "THA")
    response = web_login(client, user, "/countries?group=ASEAN")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/countries?group=ASEAN"
    cookie = session_cookie(response)
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    secret = cookie.split(";")[0].removeprefix("hb_session=")
    assert secret.startswith("hb_")
    # The session is a real token of the user, and the client now sends it.
    assert client.get("/api/v1/me", headers=bearer(secret)).json()["id"] == user.id
    assert client.get("/api/v1/me").json()["id"] == user.id


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example/path", "/\\evil.example", "javascript:alert(1)"],
)
def test_web_login_redirects_only_to_local_paths(
    client: TestClient, make_user: MakeUser, target: str
) -> None:
    response = web_login(client, make_user(), target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_web_login_without_the_forms_csrf_token_is_refused(
    client: TestClient, make_user: MakeUser
) -> None:
    user = make_user()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    assert "hb_session=" not in response.headers.get("set-cookie", "")


def test_web_login_with_a_wrong_password_rerenders_the_form_and_audits(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user = make_user()
    csrf = hidden_input(client.get("/login").text, "csrf_token")
    response = client.post(
        "/login",
        data={"email": user.email, "password": "not the password", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert "hb_session=" not in response.headers.get("set-cookie", "")
    denied = audit_entries(session_factory, action="auth.login", outcome="denied")
    assert [e.object_id for e in denied] == [user.email]


def test_web_logout_needs_the_csrf_token(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(Role.VIEWER, "THA")
    login = web_login(client, user)
    secret = session_cookie(login).split(";")[0].removeprefix("hb_session=")

    refused = client.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    wrong = client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    csrf_denials = audit_entries(session_factory, action="csrf", outcome="denied")
    assert len(csrf_denials) == 2
    assert {e.detail["path"] for e in csrf_denials} == {"/logout"}

    home = client.get("/")
    assert home.status_code == 200
    csrf = hidden_input(home.text, "csrf_token")
    response = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert "hb_session" not in client.cookies  # the response deleted the cookie
    client.cookies.set("hb_session", secret)
    assert client.get("/api/v1/me").status_code == 401


def test_web_logout_accepts_the_csrf_header(client: TestClient, make_user: MakeUser) -> None:
    web_login(client, make_user())
    csrf = hidden_input(client.get("/").text, "csrf_token")
    response = client.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert response.status_code == 303


def test_a_csrf_token_is_bound_to_its_session(client: TestClient, make_user: MakeUser) -> None:
    """One session's CSRF token does not sign out (or write for) another session."""
    user = make_user()
    web_login(client, user)
    first_csrf = hidden_input(client.get("/").text, "csrf_token")
    client.cookies.clear()
    web_login(client, user)
    response = client.post("/logout", data={"csrf_token": first_csrf}, follow_redirects=False)
    assert response.status_code == 403
