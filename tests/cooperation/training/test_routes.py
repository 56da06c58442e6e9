"""The training API through the app: every endpoint, its policy, its errors and its audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.policy import Role
from problem_assertions import assert_problem

MakeUser = Callable[..., User]
Login = Callable[[User], dict[str, str]]
Headers = dict[str, str]

PROGRAMME = {
    "code": "BIOHUB",
    "name": "Global biomanufacturing workforce training hub",
    "organiser": "KOR-MOHW",
    "host_country": "KOR",
    "starts_on": "2022-02-23",
}
COURSE = {
    "title": "Introduction to biomanufacturing",
    "starts_on": "2023-07-10",
    "ends_on": "2023-07-21",
    "mode": "in_person",
    "location": "Songdo, Incheon",
    "capacity": 30,
}


@pytest.fixture
def headers(make_user: MakeUser, login: Login) -> Callable[[Role, str | None], Headers]:
    """Bearer headers of a new user of ``role`` in ``country``."""
    return lambda role, country: login(make_user(role, country))


@pytest.fixture
def secretariat(headers: Callable[[Role, str | None], Headers]) -> Headers:
    return headers(Role.SECRETARIAT, None)


@pytest.fixture
def course_id(client: TestClient, secretariat: Headers) -> int:
    created = client.post("/api/v1/trainings", json=PROGRAMME, headers=secretariat)
    assert created.status_code == 201, created.text
    course = client.post("/api/v1/trainings/biohub/courses", json=COURSE, headers=secretariat)
    assert course.status_code == 201, course.text
    return int(course.json()["id"])


def new_trainee(
    client: TestClient, auth: Headers, country: str, name: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "full_name": name,
        "email": f"{name.lower().replace(' ', '.')}@example.org",
        "country": country,
        **extra,
    }
    response = client.post("/api/v1/trainees", json=body, headers=auth)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def denials(session_factory: sessionmaker[Session], action: str) -> int:
    with session_factory() as session:
        return len(
            session.scalars(
                select(AuditEntry.id).where(
                    AuditEntry.outcome == "denied", AuditEntry.action == action
                )
            ).all()
        )


# --- programmes and courses -------------------------------------------------------------------


def test_programmes_are_created_listed_read_and_changed(
    client: TestClient, secretariat: Headers, headers: Callable[[Role, str | None], Headers]
) -> None:
    created = client.post(
        "/api/v1/trainings",
        json={**PROGRAMME, "code": "biohub", "description": "WHO-designated hub"},
        headers=secretariat,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["code"], body["organiser_code"], body["host_country_code"]) == (
        "BIOHUB",
        "KOR-MOHW",
        "KOR",
    )
    viewer = headers(Role.VIEWER, "IDN")
    listed = client.get("/api/v1/trainings", params={"q": "biomanufacturing"}, headers=viewer)
    assert listed.status_code == 200
    assert [p["code"] for p in listed.json()["items"]] == ["BIOHUB"]
    assert (
        client.get("/api/v1/trainings", params={"host_country": "THA"}, headers=viewer).json()[
            "total"
        ]
        == 0
    )
    one = client.get("/api/v1/trainings/biohub", headers=viewer)
    assert one.status_code == 200 and one.json()["name"] == PROGRAMME["name"]

    changed = client.patch(
        "/api/v1/trainings/BIOHUB",
        json={"organiser": "WHO", "ends_on": "2030-12-31"},
        headers=secretariat,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["organiser_code"], changed.json()["ends_on"]) == ("WHO", "2030-12-31")


def test_programme_errors_are_problems_naming_the_field(
    client: TestClient, secretariat: Headers, headers: Callable[[Role, str | None], Headers]
) -> None:
    bad = client.post(
        "/api/v1/trainings", json={**PROGRAMME, "ends_on": "2021-01-01"}, headers=secretariat
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "ends_on"
    bad = client.post(
        "/api/v1/trainings", json={**PROGRAMME, "commitment_id": 987654}, headers=secretariat
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "commitment_id"
    bad = client.post("/api/v1/trainings", json={**PROGRAMME, "extra": 1}, headers=secretariat)
    assert assert_problem(bad, 422)["errors"][0]["field"] == "extra"
    assert client.post("/api/v1/trainings", json=PROGRAMME, headers=secretariat).status_code == 201
    assert_problem(client.post("/api/v1/trainings", json=PROGRAMME, headers=secretariat), 409)
    assert_problem(client.get("/api/v1/trainings/NOPE", headers=secretariat), 404)
    bad = client.patch("/api/v1/trainings/BIOHUB", json={"name": None}, headers=secretariat)
    assert assert_problem(bad, 422)["errors"][0]["field"] == "name"
    focal = headers(Role.FOCAL_POINT, "KOR")
    assert_problem(client.post("/api/v1/trainings", json=PROGRAMME, headers=focal), 403)
    assert_problem(client.patch("/api/v1/trainings/BIOHUB", json={"name": "x"}, headers=focal), 403)


def test_courses_are_added_listed_read_and_changed(
    client: TestClient,
    secretariat: Headers,
    course_id: int,
    headers: Callable[[Role, str | None], Headers],
) -> None:
    viewer = headers(Role.VIEWER, "THA")
    listed = client.get("/api/v1/trainings/BIOHUB/courses", headers=viewer)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [course_id]
    one = client.get(f"/api/v1/courses/{course_id}", headers=viewer).json()
    assert (one["mode"], one["capacity"], one["language"]) == ("in_person", 30, "en")

    backwards = client.post(
        "/api/v1/trainings/BIOHUB/courses",
        json={**COURSE, "title": "Backwards", "ends_on": "2023-07-01"},
        headers=secretariat,
    )
    assert assert_problem(backwards, 422)["errors"][0]["field"] == "ends_on"
    unknown_mode = client.post(
        "/api/v1/trainings/BIOHUB/courses", json={**COURSE, "mode": "radio"}, headers=secretariat
    )
    assert assert_problem(unknown_mode, 422)["errors"][0]["field"] == "mode"
    assert_problem(
        client.post("/api/v1/trainings/BIOHUB/courses", json=COURSE, headers=secretariat), 409
    )
    changed = client.patch(
        f"/api/v1/courses/{course_id}", json={"mode": "hybrid", "capacity": 40}, headers=secretariat
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["mode"], changed.json()["capacity"]) == ("hybrid", 40)
    assert_problem(client.get("/api/v1/courses/999999", headers=viewer), 404)
    focal = headers(Role.FOCAL_POINT, "THA")
    assert_problem(
        client.patch(f"/api/v1/courses/{course_id}", json={"capacity": 1}, headers=focal), 403
    )


# --- trainees ---------------------------------------------------------------------------------


def test_a_focal_point_records_and_reads_trainees_of_their_own_country_only(
    client: TestClient,
    headers: Callable[[Role, str | None], Headers],
    secretariat: Headers,
    session_factory: sessionmaker[Session],
) -> None:
    thai_focal = headers(Role.FOCAL_POINT, "THA")
    thai = new_trainee(client, thai_focal, "THA", "Kanya Demo", sex="female", position="QC")
    assert (thai["country_code"], thai["sex"], thai["enrolments"]) == ("THA", "female", [])
    refused = client.post(
        "/api/v1/trainees",
        json={"full_name": "Minh", "email": "minh@example.org", "country": "VNM"},
        headers=thai_focal,
    )
    assert_problem(refused, 403)
    viet = new_trainee(client, secretariat, "VNM", "Thi Hoa Demo")

    mine = client.get("/api/v1/trainees", headers=thai_focal)
    assert mine.status_code == 200
    assert [t["full_name"] for t in mine.json()["items"]] == ["Kanya Demo"]
    assert "Thi Hoa" not in mine.text
    before = denials(session_factory, "trainee:read")
    assert_problem(
        client.get("/api/v1/trainees", params={"country": "VNM"}, headers=thai_focal), 403
    )
    assert_problem(client.get(f"/api/v1/trainees/{viet['id']}", headers=thai_focal), 403)
    assert denials(session_factory, "trainee:read") == before + 2
    assert client.get(f"/api/v1/trainees/{thai['id']}", headers=thai_focal).status_code == 200
    assert_problem(client.get("/api/v1/trainees/999999", headers=thai_focal), 404)

    everyone = client.get("/api/v1/trainees", params={"sort": "-name"}, headers=secretariat)
    assert [t["full_name"] for t in everyone.json()["items"]] == ["Thi Hoa Demo", "Kanya Demo"]
    assert_problem(client.get("/api/v1/trainees", params={"sort": "sex"}, headers=secretariat), 422)
    for role in (Role.VIEWER, Role.EPIDEMIOLOGIST):
        assert_problem(client.get("/api/v1/trainees", headers=headers(role, "THA")), 403)


def test_trainees_are_changed_within_scope(
    client: TestClient, headers: Callable[[Role, str | None], Headers], secretariat: Headers
) -> None:
    thai_focal = headers(Role.FOCAL_POINT, "THA")
    thai = new_trainee(client, thai_focal, "THA", "Somsak Demo")
    viet = new_trainee(client, secretariat, "VNM", "Van Duc Demo")
    changed = client.patch(
        f"/api/v1/trainees/{thai['id']}",
        json={"position": "Production engineer", "organisation": "THA-MOPH"},
        headers=thai_focal,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["position"], changed.json()["organisation_code"]) == (
        "Production engineer",
        "THA-MOPH",
    )
    assert_problem(
        client.patch(f"/api/v1/trainees/{viet['id']}", json={"position": "x"}, headers=thai_focal),
        403,
    )
    bad = client.patch(
        f"/api/v1/trainees/{thai['id']}", json={"email": "not-an-email"}, headers=thai_focal
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "email"
    duplicate = client.post(
        "/api/v1/trainees",
        json={"full_name": "Again", "email": "somsak.demo@example.org", "country": "THA"},
        headers=thai_focal,
    )
    assert assert_problem(duplicate, 409)["errors"][0]["field"] == "email"


# --- enrolments -------------------------------------------------------------------------------


def test_enrolment_completion_and_withdrawal(
    client: TestClient,
    headers: Callable[[Role, str | None], Headers],
    secretariat: Headers,
    course_id: int,
) -> None:
    thai_focal = headers(Role.FOCAL_POINT, "THA")
    thai = new_trainee(client, thai_focal, "THA", "Kanya Demo")
    other = new_trainee(client, thai_focal, "THA", "Pimchanok Demo")
    viet = new_trainee(client, secretariat, "VNM", "Thi Hoa Demo")

    url = f"/api/v1/courses/{course_id}/enrolments"
    enrolled = client.post(
        url, json={"trainee_id": thai["id"], "enrolled_on": "2023-06-01"}, headers=thai_focal
    )
    assert enrolled.status_code == 201, enrolled.text
    enrolment = enrolled.json()
    assert (enrolment["status"], enrolment["trainee"]["full_name"]) == ("enrolled", "Kanya Demo")
    assert_problem(client.post(url, json={"trainee_id": viet["id"]}, headers=thai_focal), 403)
    again = client.post(url, json={"trainee_id": thai["id"]}, headers=thai_focal)
    assert assert_problem(again, 409)["errors"][0]["field"] == "trainee_id"
    unknown = client.post(url, json={"trainee_id": 999999}, headers=thai_focal)
    assert assert_problem(unknown, 422)["errors"][0]["field"] == "trainee_id"
    assert_problem(
        client.post(
            "/api/v1/courses/999999/enrolments", json={"trainee_id": 1}, headers=secretariat
        ),
        404,
    )
    viet_enrolment = client.post(url, json={"trainee_id": viet["id"]}, headers=secretariat).json()
    left = client.post(
        url, json={"trainee_id": other["id"], "enrolled_on": "2023-06-01"}, headers=thai_focal
    ).json()

    complete = f"/api/v1/enrolments/{enrolment['id']}/complete"
    done = client.post(complete, json={"completed_on": "2023-07-21"}, headers=thai_focal)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["certificate_number"]) == (
        "completed",
        "BIOHUB-2023-0001",
    )
    assert done.json()["certificate_issued_on"] == "2023-07-21"
    twice = client.post(complete, headers=thai_focal)  # no body: idempotent all the same
    assert twice.status_code == 200
    assert twice.json()["certificate_number"] == "BIOHUB-2023-0001"
    assert twice.json()["completed_on"] == "2023-07-21"
    early = client.post(
        f"/api/v1/enrolments/{left['id']}/complete",
        json={"completed_on": "2023-01-01"},
        headers=thai_focal,
    )
    assert assert_problem(early, 422)["errors"][0]["field"] == "completed_on"
    assert_problem(
        client.post(f"/api/v1/enrolments/{viet_enrolment['id']}/complete", headers=thai_focal), 403
    )
    assert_problem(client.post("/api/v1/enrolments/999999/complete", headers=secretariat), 404)

    refused = client.post(f"/api/v1/enrolments/{enrolment['id']}/withdraw", headers=thai_focal)
    assert assert_problem(refused, 409)["errors"][0]["field"] == "status"
    withdrawn = client.post(
        f"/api/v1/enrolments/{left['id']}/withdraw",
        json={"withdrawn_on": "2023-07-01"},
        headers=thai_focal,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["withdrawn_on"]) == (
        "withdrawn",
        "2023-07-01",
    )
    assert_problem(
        client.post(f"/api/v1/enrolments/{left['id']}/complete", headers=thai_focal), 409
    )

    # The names on the course: each reader's own country only.
    names = client.get(url, headers=thai_focal)
    assert names.status_code == 200
    assert sorted(e["trainee"]["full_name"] for e in names.json()["items"]) == [
        "Kanya Demo",
        "Pimchanok Demo",
    ]
    assert "Thi Hoa" not in names.text
    completed = client.get(url, params={"status": "completed"}, headers=thai_focal).json()
    assert [e["certificate_number"] for e in completed["items"]] == ["BIOHUB-2023-0001"]
    paged = client.get(url, params={"limit": 1}, headers=secretariat)
    assert paged.json()["total"] == 3
    assert 'rel="next"' in paged.headers["link"]
    assert_problem(client.get(url, headers=headers(Role.VIEWER, "THA")), 403)

    trainee = client.get(f"/api/v1/trainees/{thai['id']}", headers=thai_focal).json()
    assert trainee["enrolments"] == [
        {
            "id": enrolment["id"],
            "course_id": course_id,
            "course_title": COURSE["title"],
            "programme_code": "BIOHUB",
            "status": "completed",
            "completed_on": "2023-07-21",
            "certificate_number": "BIOHUB-2023-0001",
        }
    ]
    by_programme = client.get(
        "/api/v1/trainees", params={"programme": "biohub", "q": "kanya"}, headers=thai_focal
    )
    assert [t["id"] for t in by_programme.json()["items"]] == [thai["id"]]


def test_the_summary_gives_counts_to_everyone_and_names_to_no_one(
    client: TestClient,
    headers: Callable[[Role, str | None], Headers],
    secretariat: Headers,
    course_id: int,
) -> None:
    people = [
        new_trainee(client, secretariat, country, f"Hidden Person {n}")
        for n, country in enumerate(("THA", "THA", "VNM"))
    ]
    for person in people:
        enrolment = client.post(
            f"/api/v1/courses/{course_id}/enrolments",
            json={"trainee_id": person["id"]},
            headers=secretariat,
        ).json()
        client.post(
            f"/api/v1/enrolments/{enrolment['id']}/complete",
            json={"completed_on": "2023-07-21"},
            headers=secretariat,
        )
    viewer = headers(Role.VIEWER, "IDN")
    response = client.get("/api/v1/trainings/biohub/summary", headers=viewer)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["totals"] == {
        "courses": 1,
        "trainees": 3,
        "enrolments": 3,
        "completions": 3,
        "certificates": 3,
        "countries": 2,
    }
    assert [(c["country_code"], c["trainees"]) for c in summary["by_country"]] == [
        ("THA", 2),
        ("VNM", 1),
    ]
    assert summary["by_course"][0]["trainees_by_country"] == {"THA": 2, "VNM": 1}
    assert "Hidden Person" not in response.text
    assert "example.org" not in response.text
    assert_problem(client.get("/api/v1/trainings/NOPE/summary", headers=viewer), 404)


def test_the_api_needs_a_token(client: TestClient) -> None:
    for path in ("/api/v1/trainings", "/api/v1/trainees", "/api/v1/trainings/BIOHUB/summary"):
        assert_problem(client.get(path), 401)
