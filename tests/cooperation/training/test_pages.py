"""The training pages through the app: counts for everyone, names only within their country."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.training.conftest import Enrol, MakeTrainee, UnitOfWork

from healthbridge import flows
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.training import service, trainees
from healthbridge.cooperation.training.models import Course, Programme
from healthbridge.cooperation.training.schemas import EnrolmentComplete
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
Login = Callable[[User], dict[str, str]]
HTML = {"accept": "text/html"}


@pytest.fixture
def as_role(make_user: MakeUser, login: Login) -> Callable[[Role, str | None], dict[str, str]]:
    return lambda role, country: {**login(make_user(role, country)), **HTML}


@pytest.fixture
def trained(
    programme: Programme,
    course: Course,
    make_trainee: MakeTrainee,
    enrol: Enrol,
    uow: UnitOfWork,
    operator: Principal,
) -> None:
    """Two Thai trainees (one certified) and one Viet Nam trainee on the course."""
    kanya = enrol(course, make_trainee("THA", full_name="Kanya Thai-Trainee"))
    enrol(course, make_trainee("THA", full_name="Somsak Thai-Trainee"))
    enrol(course, make_trainee("VNM", full_name="Hoa Viet-Trainee"))
    with uow() as session:
        trainees.complete_enrolment(
            session=session,
            actor=operator,
            enrolment_id=kanya.id,
            completion=EnrolmentComplete(completed_on=dt.date(2024, 6, 14)),
        )


def chart_data(html: str, chart_id: str) -> dict[str, object]:
    match = re.search(
        rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', html, re.S
    )
    assert match, f"no data for {chart_id}"
    data: dict[str, object] = json.loads(match.group(1))
    return data


@pytest.mark.usefixtures("trained")
def test_the_training_page_shows_counts_to_everyone_and_no_names(
    client: TestClient, as_role: Callable[[Role, str | None], dict[str, str]]
) -> None:
    page = client.get("/training", headers=as_role(Role.VIEWER, "IDN"))
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Training</h1>" in html
    assert '<a href="/training/BIOHUB">Global biomanufacturing workforce training hub</a>' in html
    assert '<script id="plotly-bundle" src="/static/vendor/plotly.min.js" async></script>' in html
    assert chart_data(html, "trainees-chart") == {
        "categories": ["Thailand", "Viet Nam"],
        "series": [
            {"name": "Trainees", "values": [2, 1]},
            {"name": "Completions", "values": [1, 0]},
        ],
    }
    table = html[html.index('id="trainees-by-country"') :]
    assert re.search(
        r"Thailand</a> <code>THA</code></th><td>2</td><td>2</td><td>1</td><td>1</td>", table
    )
    assert "<caption>" in table and 'scope="col"' in table
    for name in ("Kanya", "Somsak", "Hoa Viet", "trainee.tha", "trainee.vnm"):
        assert name not in html
    assert 'href="/training/trainees"' not in html  # a viewer reads no trainee


def test_the_training_page_without_programmes_says_so(
    client: TestClient, as_role: Callable[[Role, str | None], dict[str, str]]
) -> None:
    html = client.get("/training", headers=as_role(Role.EPIDEMIOLOGIST, "THA")).text
    assert "No programme yet." in html
    assert "No trainee yet." in html
    assert "trainees-chart-data" not in html


@pytest.mark.usefixtures("trained")
def test_a_programme_page_shows_its_courses_counts_and_links(
    client: TestClient, as_role: Callable[[Role, str | None], dict[str, str]]
) -> None:
    page = client.get("/training/biohub", headers=as_role(Role.VIEWER, "IDN"))
    assert page.status_code == 200, page.text
    html = page.text
    assert "Global biomanufacturing workforce training hub <code>BIOHUB</code></h1>" in html
    assert "Ministry of Health and Welfare (MOHW)" in html
    assert '<a href="/countries/KOR">Republic of Korea</a>' in html
    assert "Good manufacturing practice for biologics" in html
    assert '<span class="tag">THA 2</span>' in html and '<span class="tag">VNM 1</span>' in html
    assert chart_data(html, "programme-chart")["categories"] == ["Thailand", "Viet Nam"]
    assert re.search(r'data-testid="project-link">—', html)
    assert "Kanya" not in html and "Hoa" not in html
    missing = client.get("/training/NOPE", headers=as_role(Role.VIEWER, "IDN"))
    assert missing.status_code == 404
    assert "no training programme with code" in missing.text


@pytest.mark.usefixtures("trained")
def test_trainee_names_only_for_allowed_users_of_the_same_country(
    client: TestClient,
    as_role: Callable[[Role, str | None], dict[str, str]],
    session_factory: sessionmaker[Session],
) -> None:
    thai = client.get("/training/trainees", headers=as_role(Role.FOCAL_POINT, "THA"))
    assert thai.status_code == 200, thai.text
    assert "Kanya Thai-Trainee" in thai.text and "Somsak Thai-Trainee" in thai.text
    assert "BIOHUB-2024-0001" in thai.text
    assert "Hoa Viet-Trainee" not in thai.text
    assert "<caption>2 trainees</caption>" in thai.text

    viet = client.get("/training/trainees", headers=as_role(Role.FOCAL_POINT, "VNM")).text
    assert "Hoa Viet-Trainee" in viet and "Kanya" not in viet

    region = client.get("/training/trainees", headers=as_role(Role.SECRETARIAT, None)).text
    assert all(n in region for n in ("Kanya", "Somsak", "Hoa Viet-Trainee"))

    for role, country in ((Role.VIEWER, "THA"), (Role.EPIDEMIOLOGIST, "VNM")):
        refused = client.get("/training/trainees", headers=as_role(role, country))
        assert refused.status_code == 403
        assert "Hoa" not in refused.text and "Kanya" not in refused.text
    asked = client.get(
        "/training/trainees", params={"country": "VNM"}, headers=as_role(Role.FOCAL_POINT, "THA")
    )
    assert asked.status_code == 403 and "Hoa" not in asked.text
    with session_factory() as session:
        lists = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "trainee.list")
        ).all()
    assert len(lists) == 3


@pytest.mark.usefixtures("trained")
def test_the_trainee_search_answers_htmx_with_the_table(
    client: TestClient, as_role: Callable[[Role, str | None], dict[str, str]]
) -> None:
    headers = as_role(Role.FOCAL_POINT, "THA")
    fragment = client.get(
        "/training/trainees",
        params={"q": "kanya", "programme": "BIOHUB"},
        headers={**headers, "HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Kanya Thai-Trainee" in fragment.text and "Somsak" not in fragment.text
    assert "1 trainee of BIOHUB" in fragment.text


def test_the_training_pages_send_the_anonymous_to_sign_in(client: TestClient) -> None:
    for path in ("/training", "/training/trainees", "/training/BIOHUB"):
        response = client.get(path, headers=HTML, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_a_programme_page_links_its_project_and_commitment(
    client: TestClient,
    as_role: Callable[[Role, str | None], dict[str, str]],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    with unit_of_work(session_factory) as session:
        flows.load_demo(session=session, actor=operator)
        programme = service.find_programme(session=session, code="BIOHUB")
        assert programme is not None and programme.project_id and programme.commitment_id
    html = client.get("/training/BIOHUB", headers=as_role(Role.VIEWER, "LAO")).text
    assert f'<a href="/projects/{programme.project_id}">KR-GOV-010-HB-2022-002</a>' in html
    assert f'<a href="/commitments/{programme.commitment_id}">Train the biomanufacturing' in html
