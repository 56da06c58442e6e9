"""The authorisation matrix: every route of the app, every role, two countries.

Fails when
- a route has no declared policy (no ``Allow``/``Public`` guard in its dependencies),
- a guarded route answers anyone without credentials,
- a role that the policy does not name reaches a route,
- a route that serves personal (case-level) data has no cross-country probe below, or
- any Thai user, of any role, gets a Viet Nam record out of such a route — and the attempt is
  not in the audit log.

Later issues add their routes' probes to ``CROSS_COUNTRY_PROBES``; the test tells them when.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.training.probes import viet_nam_trainee
from tests.surveillance.case_probes import CASE_MARKER, viet_nam_case

from healthbridge.accounts.models import User
from healthbridge.api import iter_routes
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.deps import Allow, Public, RouteGuard
from healthbridge.policy import (
    COUNTRY_ONLY_ROLES,
    REGIONAL_ONLY_ROLES,
    RULES,
    Action,
    Principal,
    Role,
    is_personal,
)

T = TypeVar("T")


def guards_of(route: APIRoute) -> list[RouteGuard]:
    found: list[RouteGuard] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, RouteGuard):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


ROUTES = [
    (path, method, route)
    for path, route in iter_routes()
    for method in sorted(route.methods - {"HEAD"})
]
ROUTE_IDS = [f"{method} {path}" for path, method, _ in ROUTES]


@pytest.mark.parametrize(("path", "method", "route"), ROUTES, ids=ROUTE_IDS)
def test_every_route_declares_one_policy(path: str, method: str, route: APIRoute) -> None:
    guards = guards_of(route)
    assert guards, f"{method} {path} declares no policy: add Depends(Allow(Action...)) or Public()"
    actions = {g.action for g in guards if isinstance(g, Allow)}
    assert len(actions) <= 1, f"{method} {path} declares several actions: {actions}"
    for action in actions:
        assert action in RULES, f"{method} {path} uses {action}, which has no rule in policy.RULES"


# --- the world the probes run in --------------------------------------------------------------

MARKER_EMAIL = "vnm.marker.epidemiologist@example.org"


@dataclass
class World:
    """Users of every role in Thailand and the region, a Viet Nam marker user, and a way for
    probes to arrange Viet Nam records of their own (``w.arrange(lambda session: ...)``)."""

    session_factory: sessionmaker[Session]
    operator: Principal
    users: dict[tuple[Role, str | None], User] = field(default_factory=dict)
    marker: User | None = None
    headers: dict[tuple[Role, str | None], dict[str, str]] = field(default_factory=dict)

    def arrange(self, build: Callable[[Session], T]) -> T:
        """Run ``build`` in a committed unit of work and return what it returns."""
        with unit_of_work(self.session_factory) as session:
            return build(session)


@pytest.fixture
def world(
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> World:
    w = World(session_factory=session_factory, operator=operator)
    for role in Role:
        scopes: list[str | None] = (
            [None]
            if role in REGIONAL_ONLY_ROLES
            else ["THA"]
            if role in COUNTRY_ONLY_ROLES
            else ["THA", None]
        )
        for scope in scopes:
            user = make_user(role, scope)
            w.users[(role, scope)] = user
            w.headers[(role, scope)] = login(user)
    w.marker = make_user(Role.EPIDEMIOLOGIST, "VNM", email=MARKER_EMAIL)
    vnm_focal = make_user(Role.FOCAL_POINT, "VNM")
    w.users[(Role.FOCAL_POINT, "VNM")] = vnm_focal
    w.headers[(Role.FOCAL_POINT, "VNM")] = login(vnm_focal)
    return w


@dataclass(frozen=True)
class Probe:
    """A request aimed at Viet Nam's records, and how to recognise a leak in the answer."""

    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    marker: str = MARKER_EMAIL


ProbeFactory = Callable[[World], Probe]

#: One probe per route that serves personal data, keyed by (method, route path).
CROSS_COUNTRY_PROBES: dict[tuple[str, str], ProbeFactory] = {
    ("GET", "/api/v1/users"): lambda w: Probe("/api/v1/users", params={"country": "VNM"}),
    ("POST", "/api/v1/users"): lambda w: Probe(
        "/api/v1/users",
        json={
            "email": "intruder@example.org",
            "full_name": "Intruder",
            "role": "viewer",
            "country": "VNM",
            "password": "a long enough password",
        },
        marker="intruder@example.org",
    ),
    ("GET", "/api/v1/users/{user_id}"): lambda w: Probe(f"/api/v1/users/{w.marker.id}"),
    ("PATCH", "/api/v1/users/{user_id}"): lambda w: Probe(
        f"/api/v1/users/{w.marker.id}", json={"title": "changed from Thailand"}
    ),
    ("GET", "/users"): lambda w: Probe("/users"),
    # Training: a Viet Nam trainee on a course, made through the training service.
    ("GET", "/api/v1/trainees"): lambda w: Probe(
        "/api/v1/trainees", params={"country": "VNM"}, marker=viet_nam_trainee(w).marker
    ),
    ("GET", "/api/v1/trainees/{trainee_id}"): lambda w: (
        lambda r: Probe(f"/api/v1/trainees/{r.trainee_id}", marker=r.marker)
    )(viet_nam_trainee(w)),
    ("GET", "/api/v1/courses/{course_id}/enrolments"): lambda w: (
        lambda r: Probe(f"/api/v1/courses/{r.course_id}/enrolments", marker=r.marker)
    )(viet_nam_trainee(w)),
    ("GET", "/training/trainees"): lambda w: Probe(
        "/training/trainees", marker=viet_nam_trainee(w).marker
    ),
    # Case reports: a Viet Nam case with a lab result, imported through the case store.
    ("GET", "/api/v1/cases"): lambda w: Probe(
        "/api/v1/cases", params={"country": "VNM"}, marker=viet_nam_case(w).marker
    ),
    ("GET", "/api/v1/cases/export"): lambda w: Probe(
        "/api/v1/cases/export", params={"country": "VNM"}, marker=viet_nam_case(w).marker
    ),
    ("GET", "/api/v1/cases/{case_report_id}"): lambda w: (
        lambda r: Probe(f"/api/v1/cases/{r.case_report_id}", marker=r.marker)
    )(viet_nam_case(w)),
    ("POST", "/api/v1/cases"): lambda w: Probe(
        "/api/v1/cases",
        json={
            "country": "VNM",
            "case_id": "VNM-INTRUDER-CASE",
            "disease": "dengue",
            "classification": "suspected",
            "report_date": "2024-03-04",
        },
        marker="VNM-INTRUDER-CASE",
    ),
    ("POST", "/api/v1/cases/import"): lambda w: Probe(
        "/api/v1/cases/import", json={"country": "VNM"}, marker=viet_nam_case(w).marker
    ),
    ("GET", "/api/v1/lab-results"): lambda w: Probe(
        "/api/v1/lab-results", params={"country": "VNM"}, marker=viet_nam_case(w).marker
    ),
    ("GET", "/api/v1/lab-results/turnaround"): lambda w: Probe(
        "/api/v1/lab-results/turnaround",
        params={"country": "VNM"},
        marker=viet_nam_case(w).lab_marker,
    ),
    ("GET", "/surveillance/cases"): lambda w: Probe(
        "/surveillance/cases", params={"country": "VNM"}, marker=viet_nam_case(w).marker
    ),
    ("GET", "/surveillance/cases/{case_report_id}"): lambda w: (
        lambda r: Probe(f"/surveillance/cases/{r.case_report_id}", marker=r.marker)
    )(viet_nam_case(w)),
    ("POST", "/surveillance/cases/import"): lambda w: Probe(
        "/surveillance/cases/import", json={"country": "VNM"}, marker=CASE_MARKER
    ),
}

PERSONAL_ROUTES = [
    (path, method)
    for path, method, route in ROUTES
    if any(isinstance(g, Allow) and g.action and is_personal(g.action) for g in guards_of(route))
]


def test_every_personal_data_route_has_a_cross_country_probe() -> None:
    missing = [f"{m} {p}" for p, m in PERSONAL_ROUTES if (m, p) not in CROSS_COUNTRY_PROBES]
    assert not missing, f"add a probe to CROSS_COUNTRY_PROBES for: {missing}"
    assert PERSONAL_ROUTES, "the matrix would be vacuous"


def _send(client: TestClient, method: str, probe: Probe, headers: dict[str, str]) -> Any:
    return client.request(
        method,
        probe.path,
        json=probe.json,
        params=probe.params,
        headers={**headers, "accept": "application/json"},
    )


@pytest.mark.parametrize(
    ("path", "method"), PERSONAL_ROUTES, ids=[f"{m} {p}" for p, m in PERSONAL_ROUTES]
)
def test_no_thai_user_reads_viet_nam_personal_data(
    client: TestClient,
    world: World,
    session_factory: sessionmaker[Session],
    path: str,
    method: str,
) -> None:
    probe = CROSS_COUNTRY_PROBES[(method, path)](world)
    for (role, country), headers in world.headers.items():
        if country != "THA":
            continue
        with session_factory() as s:
            denials_before = _denials(s)
        response = _send(client, method, probe, headers)
        assert response.status_code < 500, response.text
        assert probe.marker not in response.text, (
            f"{role} of THA got Viet Nam data from {method} {path}: {response.text[:300]}"
        )
        if response.status_code == 403:
            with session_factory() as s:
                assert _denials(s) > denials_before, (
                    f"the refusal of {method} {path} to {role} of THA was not audited"
                )
    if method == "GET":
        # Control: Viet Nam's own focal point does see the record, so the probe is not vacuous.
        response = _send(client, method, probe, world.headers[(Role.FOCAL_POINT, "VNM")])
        assert response.status_code == 200, response.text
        assert probe.marker in response.text


def _denials(session: Session) -> int:
    return len(session.scalars(select(AuditEntry.id).where(AuditEntry.outcome == "denied")).all())


# --- generic calls of every route ---------------------------------------------------------------


def _path_for(path: str, world: World, role: Role, country: str | None) -> str:
    own = world.users[(role, country)]
    values = {"user_id": str(own.id), "token_id": "1", "country": "THA"}
    by_collection = {
        "countries": "THA",
        "subdivisions": "TH-10",
        "diseases": "dengue",
        "organisations": "WHO",
        "uhc-indicators": "UHC_INDEX_REPORTED",
    }

    def fill(match: re.Match[str]) -> str:
        # The guard answers before any record is looked up, so any well-formed value will do.
        name = match.group(1)
        if name == "code":
            collection = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            return by_collection.get(collection, "X")
        return values.get(name, "1")

    return re.sub(r"\{(\w+)\}", fill, path)


def test_every_route_refuses_the_anonymous_and_the_roles_its_policy_does_not_name(
    client: TestClient, world: World
) -> None:
    # One test over all routes (not one per route): the world of users is costly to build.
    failures: list[str] = []
    for path, method, route in ROUTES:
        guards = guards_of(route)
        if any(isinstance(g, Public) for g in guards):
            continue
        action = next(g.action for g in guards if isinstance(g, Allow))
        assert isinstance(action, Action)
        concrete = _path_for(path, world, Role.VIEWER, "THA")
        anonymous = client.request(method, concrete, headers={"accept": "application/json"})
        if anonymous.status_code != 401 or not anonymous.headers["content-type"].startswith(
            "application/problem+json"
        ):
            failures.append(f"anonymous got {anonymous.status_code} from {method} {path}")
        for (role, country), headers in world.headers.items():
            if role in RULES[action].roles:
                continue
            response = client.request(
                method,
                _path_for(path, world, role, country),
                headers={**headers, "accept": "application/json"},
                json={},
            )
            if response.status_code != 403:
                failures.append(
                    f"{role} ({country or 'region'}) got {response.status_code} "
                    f"from {method} {path}"
                )
    assert not failures, "\n".join(failures)
