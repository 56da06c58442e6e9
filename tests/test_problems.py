"""Bad input never gives a 500: every mistake a client can make is a 4xx problem+json."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from healthbridge.accounts.models import User
from healthbridge.policy import Role
from problem_assertions import PROBLEM_JSON, assert_problem

PASSWORD = "correct horse battery staple"  # conftest's TEST_PASSWORD
SMALL_LIMIT = 1000

Login = Callable[[User], dict[str, str]]
MakeUser = Callable[..., User]


@pytest.fixture
def admin_headers(make_user: MakeUser, login: Login) -> dict[str, str]:
    return login(make_user(Role.REGIONAL_ADMIN, None))


# --- not found, invalid, unauthenticated ------------------------------------------------------


@pytest.mark.parametrize("code", ["XYZ", "USA", "TH", "THAI", "123"])
def test_an_unknown_country_is_a_404_problem(
    client: TestClient, admin_headers: dict[str, str], code: str
) -> None:
    body = assert_problem(client.get(f"/api/v1/countries/{code}", headers=admin_headers), 404)
    assert code in body["detail"]
    assert body["instance"] == f"/api/v1/countries/{code}"


def test_a_known_country_is_found(client: TestClient, admin_headers: dict[str, str]) -> None:
    response = client.get("/api/v1/countries/tha", headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["code"] == "THA"


def test_an_unknown_country_filter_is_a_422_naming_country(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = assert_problem(
        client.get("/api/v1/users", params={"country": "ZZZ"}, headers=admin_headers), 422
    )
    assert [e["field"] for e in body["errors"]] == ["country"]


def test_a_too_long_country_filter_is_a_422_naming_country(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = assert_problem(
        client.get("/api/v1/users", params={"country": "ZZZZ"}, headers=admin_headers), 422
    )
    assert [e["field"] for e in body["errors"]] == ["country"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"sort": "password_hash"}, "sort"),
        ({"role": "emperor"}, "role"),
        ({"active": "perhaps"}, "active"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_field(
    client: TestClient, admin_headers: dict[str, str], params: dict[str, str], field: str
) -> None:
    body = assert_problem(client.get("/api/v1/users", params=params, headers=admin_headers), 422)
    assert field in {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    "authorization",
    ["Bearer nope", "Basic abc", "", "Bearer", "Bearer ", "bearer hb_", "Token hb_abc"],
)
def test_a_malformed_authorization_header_is_a_401_problem(
    client: TestClient, authorization: str
) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": authorization})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unknown_token_is_a_401_problem(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer hb_" + "Z" * 43})
    assert_problem(response, 401)


def test_a_wrong_password_is_a_401_problem(client: TestClient, make_user: MakeUser) -> None:
    user = make_user()
    response = client.post(
        "/api/v1/auth/token", data={"username": user.email, "password": "the wrong password"}
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_sign_in_without_fields_is_a_422_problem(client: TestClient) -> None:
    body = assert_problem(client.post("/api/v1/auth/token", data={}), 422)
    assert {"username", "password"} <= {e["field"] for e in body["errors"]}


# --- bodies -----------------------------------------------------------------------------------


def test_an_invalid_json_body_is_a_422_problem(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=b'{"email": "x@example.org", "full_name": ',
    )
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"a string"', b"null", b"\xff\xfe not utf-8", b'{"email": "x@example.org"}'],
)
def test_a_wrongly_shaped_json_body_is_a_422_problem(
    client: TestClient, admin_headers: dict[str, str], body: bytes
) -> None:
    response = client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=body,
    )
    assert_problem(response, 422)


def test_an_unknown_field_is_a_422_naming_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={
            "email": "x@example.org",
            "full_name": "X",
            "role": "viewer",
            "country": "THA",
            "password": "long enough password",
            "is_superuser": True,
        },
    )
    body = assert_problem(response, 422)
    assert "is_superuser" in {e["field"] for e in body["errors"]}


@pytest.fixture
def small_app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(max_body_bytes=SMALL_LIMIT)


@pytest.fixture
def small_client(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as test_client:
        yield test_client


def big_user_body() -> bytes:
    body = json.dumps(
        {
            "email": "big@example.org",
            "full_name": "B" * 150,
            "title": "T" * 150,
            "role": "viewer",
            "country": "THA",
            "password": "p" * (3 * SMALL_LIMIT),
        }
    ).encode()
    assert len(body) > SMALL_LIMIT
    return body


def test_a_body_under_the_limit_is_accepted(
    small_client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = small_client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={
            "email": "small@example.org",
            "full_name": "Small",
            "role": "viewer",
            "country": "THA",
            "password": "long enough password",
        },
    )
    assert response.status_code == 201, response.text


def test_an_oversized_body_with_content_length_is_a_413_problem(
    small_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = big_user_body()
    response = small_client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=body,
    )
    assert response.request.headers["content-length"] == str(len(body))
    problem = assert_problem(response, 413)
    assert str(SMALL_LIMIT) in problem["detail"]


def test_an_oversized_streamed_body_is_a_413_problem(
    small_client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = big_user_body()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 256):
            yield body[start : start + 256]

    response = small_client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    problem = assert_problem(response, 413)
    assert str(SMALL_LIMIT) in problem["detail"]


def test_a_compressed_body_is_refused_so_no_bomb_is_ever_inflated(
    small_client: TestClient, admin_headers: dict[str, str]
) -> None:
    bomb = gzip.compress(b"{" + b" " * (50 * SMALL_LIMIT) + b"}")
    assert len(bomb) < SMALL_LIMIT
    response = small_client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        content=bomb,
    )
    problem = assert_problem(response, 415)
    assert "Content-Encoding" in problem["detail"]
    plain = small_client.post(
        "/api/v1/users",
        headers={**admin_headers, "Content-Encoding": "identity"},
        json={"email": "x"},
    )
    assert plain.status_code == 422


def test_an_oversized_body_is_refused_before_authentication(small_client: TestClient) -> None:
    response = small_client.post(
        "/api/v1/auth/token",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        content=b"username=a%40example.org&password=" + b"x" * (2 * SMALL_LIMIT),
    )
    assert_problem(response, 413)


def test_an_invalid_content_length_is_a_400_problem(
    small_app: FastAPI, admin_headers: dict[str, str]
) -> None:
    """Straight to the ASGI app: httpx would not send a broken Content-Length."""
    sent: list[dict] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/users",
        "raw_path": b"/api/v1/users",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", b"lots"),
            (b"authorization", admin_headers["Authorization"].encode()),
        ],
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(small_app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    headers = dict(start["headers"])
    assert headers[b"content-type"].startswith(PROBLEM_JSON.encode())


# --- routing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/countries", "/api/v1/"])
def test_an_unknown_route_is_a_404_problem(
    client: TestClient, admin_headers: dict[str, str], path: str
) -> None:
    body = assert_problem(client.get(path, headers=admin_headers), 404)
    assert body["instance"] == path


def test_an_unknown_route_is_a_404_problem_without_credentials(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/countries"),
        ("PUT", "/api/v1/me"),
        ("GET", "/api/v1/auth/token"),
        ("POST", "/api/v1/audit"),
    ],
)
def test_a_wrong_method_is_a_405_problem(
    client: TestClient, admin_headers: dict[str, str], method: str, path: str
) -> None:
    response = client.request(method, path, headers=admin_headers)
    assert_problem(response, 405)
    assert response.headers.get("allow")


def test_a_browser_without_a_session_is_sent_to_sign_in(client: TestClient) -> None:
    response = client.get(
        "/users", params={"role": "viewer"}, headers={"Accept": "text/html"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/users%3Frole%3Dviewer"
    home = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/login?next=/"


@pytest.mark.parametrize("accept", ["text/html", "*/*"])
def test_a_polled_panel_whose_session_expired_sends_the_page_to_sign_in(
    client: TestClient, accept: str
) -> None:
    # What htmx sends when the situation room polls a panel: the page's URL in HX-Current-URL.
    htmx = {"HX-Request": "true", "Accept": accept}
    page = "http://testserver/?country=THA"
    response = client.get(
        "/situation/panels/signals",
        headers={**htmx, "HX-Current-URL": page},
        follow_redirects=False,
    )
    # Not a redirect (the browser would follow it inside the request and swap the sign-in page
    # into the panel): htmx takes the whole page there, and back to it afterwards.
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/%3Fcountry%3DTHA"
    assert response.content == b""
    # Only the page's path and query are kept: never another site.
    elsewhere = client.get(
        "/situation/panels/signals",
        headers={**htmx, "HX-Current-URL": "https://evil.example//evil.example/x"},
        follow_redirects=False,
    )
    assert elsewhere.headers["hx-redirect"] == "/login?next=//evil.example/x"
    signed_in = client.get("/login?next=//evil.example/x", headers={"Accept": "text/html"})
    assert 'name="next" value="/"' in signed_in.text
    # The API is not a page: htmx or not, it answers a problem.
    assert_problem(client.get("/api/v1/users", headers=htmx), 401)


def test_an_api_client_without_a_session_gets_a_problem_not_a_redirect(
    client: TestClient,
) -> None:
    assert_problem(client.get("/api/v1/users", headers={"Accept": "text/html"}), 401)
    assert_problem(client.get("/users", headers={"Accept": "application/json"}), 401)


def test_a_browser_gets_an_error_page_not_json(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# --- random query strings ---------------------------------------------------------------------

LIST_PATHS = ["/api/v1/countries", "/api/v1/diseases", "/api/v1/users"]
KNOWN_PARAMS = [
    "limit",
    "offset",
    "sort",
    "q",
    "group",
    "country",
    "role",
    "active",
    "category",
    "include_revoked",
]
numbers = st.integers(min_value=-(2**70), max_value=2**70).map(str)
values = st.one_of(
    st.text(max_size=120),
    numbers,
    st.sampled_from(["", "-", "-name", "name", "code", "THA", "true", "0", "%", "_", "\\", "'"]),
)
params_strategy = st.lists(
    st.tuples(st.one_of(st.sampled_from(KNOWN_PARAMS), st.text(max_size=10)), values),
    max_size=5,
)
#: A raw query fragment as a client could type it (httpx refuses control characters in URLs).
raw_strategy = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"),
    max_size=40,
)


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(LIST_PATHS), params=params_strategy, raw=raw_strategy)
@example(path="/api/v1/users", params=[("offset", str(2**63))], raw="")
@example(path="/api/v1/countries", params=[("offset", str(2**70))], raw="")
@example(path="/api/v1/countries", params=[("q", "\x00")], raw="")
@example(path="/api/v1/users", params=[("country", "\x00")], raw="")
@example(path="/api/v1/diseases", params=[("q", "%00")], raw="&&=&%zz%")
def test_random_query_strings_never_give_a_5xx(
    client: TestClient,
    admin_headers: dict[str, str],
    path: str,
    params: list[tuple[str, str]],
    raw: str,
) -> None:
    query = urlencode(params)
    if raw:
        query = f"{query}&{raw}" if query else raw
    response = client.get(f"{path}?{query}", headers=admin_headers)
    assert response.status_code < 500, (path, query, response.status_code, response.text)
    assert response.headers["content-type"].startswith(("application/json", PROBLEM_JSON))
    body = response.json()
    if response.status_code == 200:
        assert {"items", "total", "limit", "offset"} <= set(body)
    else:
        assert body["status"] == response.status_code


@pytest.mark.parametrize("path", LIST_PATHS)
@pytest.mark.parametrize("offset", [str(2**63), str(10**30)])
def test_a_huge_offset_is_not_a_500(
    client: TestClient, admin_headers: dict[str, str], path: str, offset: str
) -> None:
    response = client.get(path, params={"offset": offset}, headers=admin_headers)
    assert response.status_code < 500, response.text
    assert response.status_code in {200, 422}
    if response.status_code == 422:
        assert "offset" in {e["field"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/countries", {"q": "a\x00b"}),
        ("/api/v1/countries", {"group": "\x00"}),
        ("/api/v1/diseases", {"q": "\x00"}),
        ("/api/v1/diseases", {"category": "\x00"}),
        ("/api/v1/users", {"q": "\x00"}),
        ("/api/v1/users", {"country": "\x00"}),
    ],
)
def test_a_nul_character_in_a_filter_is_not_a_500(
    client: TestClient, admin_headers: dict[str, str], path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params, headers=admin_headers)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(("application/json", PROBLEM_JSON))


def test_a_nul_character_in_a_path_is_not_a_500(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    for path in ("/api/v1/countries/T%00A", "/api/v1/diseases/%00", "/api/v1/subdivisions/%00"):
        response = client.get(path, headers=admin_headers)
        assert response.status_code < 500, (path, response.text)


NUL_BODIES = {
    "user full_name": (
        "/api/v1/users",
        {
            "email": "nul@example.org",
            "full_name": "a\x00b",
            "role": "viewer",
            "country": "THA",
            "password": "long enough password",
        },
    ),
    "user email": (
        "/api/v1/users",
        {
            "email": "n\x00ul@example.org",
            "full_name": "ab",
            "role": "viewer",
            "country": "THA",
            "password": "long enough password",
        },
    ),
    "token name": ("/api/v1/me/tokens", {"name": "ci\x00"}),
}


@pytest.mark.parametrize("case", sorted(NUL_BODIES))
def test_a_nul_character_in_a_json_body_is_not_a_500(
    client: TestClient, admin_headers: dict[str, str], case: str
) -> None:
    path, body = NUL_BODIES[case]
    response = client.post(path, headers=admin_headers, json=body)
    assert response.status_code < 500, response.text


def test_a_nul_character_in_an_audit_filter_is_not_a_500(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/audit", params={"action": "\x00"}, headers=admin_headers)
    assert response.status_code < 500, response.text


def test_a_nul_character_in_a_sign_in_is_a_401(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "a\x00@example.org", "password": "x" * 12}
    )
    assert_problem(response, 401)


def test_a_nul_character_in_the_web_sign_in_is_not_a_500(client: TestClient) -> None:
    form = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert match
    response = client.post(
        "/login",
        data={"email": "a\x00@example.org", "password": "x" * 12, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 401, response.text
