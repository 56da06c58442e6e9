"""The UHC pages through the HTTP client: the regional comparison and a country's trends,
each chart's figure and its table alternative."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.cooperation.uhc import demo
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role

Headers = dict[str, str]
PLOTLY = '<script src="/static/vendor/plotly.min.js"></script>'


@pytest.fixture
def headers(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Headers:
    return login(make_user(Role.VIEWER, "KHM"))


@pytest.fixture
def demo_data(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


def figures(page: str) -> list[dict[str, Any]]:
    """The Plotly figures a page carries in its data-figure attributes."""
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


def table_rows(page: str, caption: str) -> list[list[str]]:
    """The cells' text of the body of the table whose caption starts with ``caption``."""
    start = page.index(f"<caption>{caption}")
    body = page[page.index("<tbody>", start) : page.index("</tbody>", start)]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


@pytest.mark.usefixtures("demo_data")
def test_the_uhc_page_compares_every_country_on_the_first_indicator(
    client: TestClient, headers: Headers
) -> None:
    response = client.get("/uhc", headers=headers)
    assert response.status_code == 200, response.text
    page = response.text
    head = page[: page.index("</head>")]
    assert PLOTLY in head
    assert "Plotly.newPlot" in head
    assert page.count("<h1>") == 1
    assert '<label for="indicator">Indicator</label>' in page
    assert '<option value="UHC_INDEX_REPORTED" selected>' in page
    assert '<option value="2021" selected>2021 (latest)</option>' in page

    [figure] = figures(page)
    bars = figure["data"][0]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert len(bars["y"]) == 14
    assert bars["x"] == sorted(bars["x"], reverse=True)
    assert dict(zip(bars["y"], bars["x"], strict=True))["Thailand"] == 82
    assert figure["layout"]["yaxis"]["categoryarray"][0] in ("Republic of Korea", "Singapore")
    assert 'aria-label="Bar chart: UHC service coverage index in 2021 for the 14 countries' in page

    rows = table_rows(page, "UHC service coverage index by country, 2021")
    assert len(rows) == 14
    assert rows[0][:4] == ["1", "Republic of Korea", "89", "2021"]
    assert rows[1][:2] == ["1", "Singapore"]  # a tie shares the rank
    assert ["12", "Myanmar", "52", "2021", "Demo data approximating WHO GHO"] in rows
    assert '<a href="/uhc/THA">Thailand</a>' in page


@pytest.mark.usefixtures("demo_data")
def test_an_indicator_with_countries_reporting_other_years(
    client: TestClient, headers: Headers
) -> None:
    page = client.get(
        "/uhc", params={"indicator": "FINPROTECTION_CATA_TOT_10_POP"}, headers=headers
    ).text
    [figure] = figures(page)
    same_year, earlier = figure["data"]
    assert same_year["name"] == "2021"
    assert sorted(same_year["y"]) == ["Philippines", "Thailand"]
    assert earlier["name"] == "Latest earlier year"
    assert dict(zip(earlier["y"], earlier["customdata"], strict=True))["China"] == 2018
    # Lower is better: the smallest share first.
    assert figure["layout"]["yaxis"]["categoryarray"][0] == "Malaysia"
    assert [a["y"] for a in figure["layout"]["annotations"]] == ["Brunei Darussalam"]
    rows = table_rows(page, "Catastrophic spending above 10% by country, 2021")
    assert rows[0][:4] == ["1", "Malaysia", "1.3", "2019 earlier year"]
    assert rows[-1][:3] == ["", "Brunei Darussalam", "no data"]


@pytest.mark.usefixtures("demo_data")
def test_choosing_a_year(client: TestClient, headers: Headers) -> None:
    page = client.get("/uhc", params={"indicator": "WHS4_100", "year": 2021}, headers=headers).text
    rows = table_rows(page, "DTP3 immunisation coverage by country, 2021")
    assert rows[-1][1:4] == ["Myanmar", "37", "2021"]
    assert '<option value="2021" selected>2021</option>' in page


@pytest.mark.usefixtures("demo_data")
def test_a_year_without_values_falls_back_to_the_latest(
    client: TestClient, headers: Headers
) -> None:
    page = client.get(
        "/uhc", params={"indicator": "UHC_INDEX_REPORTED", "year": 2022}, headers=headers
    ).text
    assert "No values in 2022: showing the latest year instead." in page
    assert "UHC service coverage index, 2021" in page


@pytest.mark.usefixtures("demo_data")
def test_htmx_gets_the_comparison_fragment(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/uhc", params={"indicator": "HWF_0001"}, headers={**headers, "HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.text
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<section id="uhc-comparison"')
    [figure] = figures(fragment)
    assert figure["data"][0]["name"] == "2021"
    assert "Medical doctors per 10,000 by country, 2021" in fragment


def test_the_uhc_page_without_values(client: TestClient, headers: Headers) -> None:
    page = client.get("/uhc", headers=headers).text
    assert "No values of this indicator have been imported yet." in page
    assert figures(page) == []


def test_an_unknown_indicator_is_a_404_page(client: TestClient, headers: Headers) -> None:
    response = client.get(
        "/uhc", params={"indicator": "NOPE"}, headers={**headers, "accept": "text/html"}
    )
    assert response.status_code == 404
    assert "NOPE" in response.text


@pytest.mark.usefixtures("demo_data")
def test_a_countrys_trends_have_a_chart_and_a_table_per_indicator(
    client: TestClient, headers: Headers
) -> None:
    response = client.get("/uhc/tha", headers=headers)
    assert response.status_code == 200, response.text
    page = response.text
    assert PLOTLY in page[: page.index("</head>")]
    assert "<h1>UHC progress: Thailand</h1>" in page
    charts = figures(page)
    assert len(charts) == 7
    uhc = charts[0]
    thailand, median = uhc["data"]
    assert thailand["name"] == "Thailand"
    assert (thailand["x"], thailand["y"]) == ([2015, 2017, 2019, 2021], [79, 80, 82, 82])
    assert median["name"] == "Median of reporting countries"
    assert median["line"]["dash"] == "dash"
    dtp3 = charts[-1]["data"][0]
    assert dtp3["x"] == list(range(2015, 2023))
    assert 'aria-label="Line chart: UHC service coverage index in Thailand, 2015–2021' in page
    rows = table_rows(page, "UHC service coverage index in Thailand by year")
    assert rows[0] == [
        "2015",
        "79",
        "71 (14 countries)",
        "Demo data approximating WHO GHO",
    ]
    assert len(table_rows(page, "DTP3 immunisation coverage in Thailand by year")) == 8
    assert '<a href="/uhc/VNM">Viet Nam</a>' in page


@pytest.mark.usefixtures("demo_data")
def test_a_country_without_values_of_an_indicator(client: TestClient, headers: Headers) -> None:
    page = client.get("/uhc/BRN", headers=headers).text
    assert len(figures(page)) == 5  # no catastrophic spending survey for Brunei in the demo
    assert page.count("No values for Brunei Darussalam yet.") == 2


def test_an_unknown_country_is_a_404_page(client: TestClient, headers: Headers) -> None:
    response = client.get("/uhc/USA", headers={**headers, "accept": "text/html"})
    assert response.status_code == 404


def test_the_pages_need_a_sign_in(client: TestClient) -> None:
    response = client.get("/uhc", headers={"accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/uhc"
