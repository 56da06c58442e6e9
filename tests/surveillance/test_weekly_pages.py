"""The weekly-counts page through the HTTP client: filters, the epicurve and its table, the htmx
fragment, and the upload form (CSRF, errors, scope)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_PASSWORD

from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.interop.weekly_csv import CellValue, write_weekly_csv
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import demo
from healthbridge.surveillance.models import WeeklyCount

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}
PLOTLY = '<script src="/static/vendor/plotly.min.js"></script>'
PAGE = "/surveillance/weekly"


@pytest.fixture
def demo_data(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


@pytest.fixture
def viewer(make_user: MakeUser, login: Login) -> Headers:
    return {**login(make_user(Role.VIEWER, "VNM")), **HTML}


@pytest.fixture
def epidemiologist(make_user: MakeUser, login: Login) -> Headers:
    return {**login(make_user(Role.EPIDEMIOLOGIST, "THA")), **HTML}


def figures(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


def table_rows(page: str) -> list[list[str]]:
    start = page.index("<caption>Weekly cases and deaths")
    body = page[page.index("<tbody>", start) : page.index("</tbody>", start)]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def selected(page: str, name: str) -> str:
    select_html = page[page.index(f'<select id="{name}"') :]
    select_html = select_html[: select_html.index("</select>")]
    found = re.search(r'<option value="([^"]*)" selected>', select_html)
    assert found is not None, f"nothing selected in {name}"
    return found.group(1)


def upload(*rows: dict[str, CellValue], name: str = "weekly.csv") -> dict[str, Any]:
    return {"file": (name, write_weekly_csv(rows).encode(), "text/csv")}


def row(
    country: str = "THA", area: str | None = "TH-10", **values: CellValue
) -> dict[str, CellValue]:
    return {
        "country": country,
        "area": area,
        "disease": "dengue",
        "week": "2024-W07",
        "cases": 10,
        "deaths": 0,
        **values,
    }


def stored_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(WeeklyCount)) or 0


# --- the series ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("demo_data")
def test_the_page_shows_the_readers_country_with_an_epicurve_and_its_table(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get(PAGE, headers=viewer)
    assert response.status_code == 200, response.text
    page = response.text
    head = page[: page.index("</head>")]
    assert PLOTLY in head
    assert "Plotly.newPlot" in head
    assert page.count("<h1>") == 1
    for name, label in (("country", "Country"), ("disease", "Disease"), ("area", "Area")):
        assert f'<label for="{name}">{label}</label>' in page
    assert (selected(page, "country"), selected(page, "disease"), selected(page, "area")) == (
        "VNM",
        "dengue",
        "",
    )
    assert "Dengue, Viet Nam, sum of the reporting areas" in page
    assert '<option value="VN-SG">' in page  # the areas with counts are offered

    [figure] = figures(page)
    bars = figure["data"][0]
    assert bars["type"] == "bar"
    assert len(bars["x"]) == len(bars["y"]) == 411
    assert bars["x"][0] == "2018-12-31" and bars["customdata"][0] == "2019-W01"
    assert 'role="img"' in page and 'aria-label="Epidemic curve: weekly cases of Dengue' in page

    rows = table_rows(page)
    assert len(rows) == 411
    assert rows[0][:2] == ["2019-W01", "Dec 31, 2018"]  # the week starting, as a date
    assert [int(r[2]) for r in rows] == bars["y"]
    assert '<th scope="col">Cases</th>' in page
    # A viewer reads but does not report: no upload form.
    assert 'action="/surveillance/weekly/import"' not in page


@pytest.mark.usefixtures("demo_data")
def test_an_area_and_a_national_series(client: TestClient, viewer: Headers) -> None:
    area = client.get(
        PAGE, params={"country": "THA", "disease": "dengue", "area": "TH-50"}, headers=viewer
    ).text
    assert selected(area, "area") == "TH-50"
    assert "Dengue, Chiang Mai (TH-50), Thailand" in area
    measles = client.get(PAGE, params={"country": "PHL", "disease": "measles"}, headers=viewer).text
    assert "Measles, Philippines, national total" in measles
    assert len(figures(measles)[0]["data"][0]["y"]) == 411
    empty = client.get(PAGE, params={"country": "KOR", "disease": "mers"}, headers=viewer)
    assert empty.status_code == 200
    assert 'data-testid="no-counts"' in empty.text
    assert figures(empty.text) == []


@pytest.mark.usefixtures("demo_data")
def test_an_area_of_another_country_falls_back_to_the_whole_country(
    client: TestClient, viewer: Headers
) -> None:
    response = client.get(
        PAGE, params={"country": "VNM", "disease": "dengue", "area": "TH-10"}, headers=viewer
    )
    assert response.status_code == 200
    assert "TH-10 is not an area of VNM: showing the whole country instead." in response.text
    assert selected(response.text, "area") == ""


@pytest.mark.usefixtures("demo_data")
def test_htmx_gets_the_series_fragment(client: TestClient, viewer: Headers) -> None:
    response = client.get(
        PAGE,
        params={"country": "IDN", "disease": "measles"},
        headers={**viewer, "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="weekly-series"')
    assert "<h1>" not in response.text
    assert len(figures(response.text)) == 1


def test_an_empty_database_says_so(client: TestClient, viewer: Headers) -> None:
    response = client.get(PAGE, headers=viewer)
    assert response.status_code == 200
    assert "No weekly counts have been imported yet." in response.text


def test_an_unknown_disease_is_an_error_page(client: TestClient, viewer: Headers) -> None:
    response = client.get(PAGE, params={"country": "THA", "disease": "ebola"}, headers=viewer)
    assert response.status_code == 422
    assert "<h1>" in response.text


# --- the upload form -----------------------------------------------------------------------------


def test_a_reporter_uploads_a_file_and_sees_what_it_did(
    client: TestClient, epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    page = client.get(PAGE, headers=epidemiologist).text
    assert 'action="/surveillance/weekly/import"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="weekly-file">CSV file</label>' in page
    assert 'name="csrf_token"' in page
    files = upload(row(), row(week="2024-W08", cases=4), row(area=None, cases=30))
    response = client.post(f"{PAGE}/import", files=files, headers=epidemiologist)
    assert response.status_code == 200, response.text
    assert (
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.text)).count(
            "Imported weekly.csv: 3 rows — 3 created, 0 updated, 0 unchanged "
            "(2024-W07 to 2024-W08)."
        )
        == 1
    )
    assert selected(response.text, "country") == "THA"
    assert "Dengue, Thailand, national total" in response.text
    assert stored_count(session_factory) == 3
    again = client.post(f"{PAGE}/import", files=files, headers=epidemiologist)
    assert "0 created, 0 updated, 3 unchanged" in again.text


def test_a_bad_file_lists_its_problems_and_stores_nothing(
    client: TestClient, epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(row(), row(week="2024-W60"), row(cases="lots"))
    response = client.post(f"{PAGE}/import", files=files, headers=epidemiologist)
    assert response.status_code == 422
    assert 'data-testid="import-errors"' in response.text
    assert "<caption>Problems in the file (nothing was imported)</caption>" in response.text
    cells = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)))
    assert "3 week '2024-W60': 2024 has 52 ISO weeks, not 60" in cells
    assert "4 cases 'lots' is not a whole number of cases, 0 or more" in cells
    assert stored_count(session_factory) == 0
    missing = client.post(f"{PAGE}/import", headers=epidemiologist)
    assert missing.status_code == 422
    assert "choose a CSV file" in missing.text


def test_rows_of_another_country_are_refused_and_the_refusal_audited(
    client: TestClient, epidemiologist: Headers, session_factory: sessionmaker[Session]
) -> None:
    files = upload(row(), row("VNM", "VN-HN"))
    response = client.post(f"{PAGE}/import", files=files, headers=epidemiologist)
    assert response.status_code == 403
    assert "weekly.csv row 3:" in response.text
    assert "VNM is outside your scope (THA)" in response.text
    assert stored_count(session_factory) == 0
    with session_factory() as session:
        denial = session.scalars(select(AuditEntry).where(AuditEntry.outcome == "denied")).one()
        assert (denial.action, denial.country_code) == ("surveillance:report", "VNM")


def test_a_viewer_cannot_post_the_form(client: TestClient, viewer: Headers) -> None:
    response = client.post(f"{PAGE}/import", files=upload(row("VNM", "VN-HN")), headers=viewer)
    assert response.status_code == 403


def test_a_browser_session_needs_the_csrf_token(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(Role.FOCAL_POINT, "THA")
    login_form = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', login_form)
    assert nonce is not None
    signed_in = client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    page = client.get(PAGE, headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page[page.index("upload-heading") :])
    assert token is not None
    refused = client.post(f"{PAGE}/import", files=upload(row()), headers=HTML)
    assert refused.status_code == 403
    assert stored_count(session_factory) == 0
    accepted = client.post(
        f"{PAGE}/import", files=upload(row()), data={"csrf_token": token.group(1)}, headers=HTML
    )
    assert accepted.status_code == 200, accepted.text
    assert stored_count(session_factory) == 1
