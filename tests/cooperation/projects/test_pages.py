"""The project pages through the test client: the portfolio, its filters, a project's details."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import load_demo_projects

from healthbridge.accounts.models import User
from healthbridge.policy import Principal, Role

HTML = {"accept": "text/html"}
Headers = dict[str, str]

INSURANCE = "KR-GOV-010-HB-2022-001"
HUB = "KR-GOV-010-HB-2022-002"
LAO_PHC = "KR-GOV-010-HB-2023-003"
LABS = "KR-GOV-010-HB-2023-004"


@pytest.fixture
def demo(session_factory: sessionmaker[Session], operator: Principal) -> dict[str, int]:
    return load_demo_projects(session_factory, operator)


@pytest.fixture
def headers(make_user: Callable[..., User], login: Callable[[User], Headers]) -> Headers:
    return {**login(make_user(Role.EPIDEMIOLOGIST, "THA")), **HTML}


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


def test_portfolio_lists_every_project_with_its_figures(
    client: TestClient, headers: Headers, demo: dict[str, int]
) -> None:
    response = client.get("/projects", headers=headers)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Cooperation projects</h1>" in html
    assert "<caption>4 projects</caption>" in html
    assert len(rows(html)) == 4
    insurance = next(r for r in rows(html) if INSURANCE in r)
    assert f'href="/projects/{demo[INSURANCE]}"' in insurance
    assert "ASEAN health insurance capacity building" in insurance
    assert "Ministry of Health and Welfare" in insurance
    for code in ("KHM", "IDN", "LAO", "PHL", "VNM"):
        assert f">{code}</span>" in insurance
    assert '16010</span> <span class="sector-name">Social protection' in insurance
    assert "Planned start: Jul 1, 2022" in insurance
    # 1.2 M (2023) + 1.3 M (2024) + 1.45 M (revised 2025); three disbursements.
    assert "USD 3,950,000" in insurance
    assert "USD 3,830,000" in insurance
    assert 'href="/api/v1/projects/iati.xml"' in html
    assert '<link rel="stylesheet" href="/static/css/projects.css">' in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sector": "12281"}, [HUB]),
        ({"country": "LAO"}, [INSURANCE, LAO_PHC, LABS]),
        ({"status": "4"}, [LAO_PHC]),
        ({"sector": "12250", "country": "MMR", "status": "2"}, [LABS]),
        ({"sector": "", "country": "", "status": "", "q": "laboratory"}, [LABS]),
        ({"sector": "52010"}, []),
    ],
)
def test_portfolio_filters(
    client: TestClient,
    headers: Headers,
    demo: dict[str, int],
    params: dict[str, str],
    expected: list[str],
) -> None:
    response = client.get("/projects", params=params, headers=headers)
    assert response.status_code == 200
    found = [i for i in demo if i in response.text.split("<tbody>", 1)[1]]
    assert sorted(found) == sorted(expected)
    for name, value in params.items():
        if value and name != "q":
            assert f'value="{value}" selected' in response.text


def test_portfolio_answers_htmx_with_the_table_only(
    client: TestClient, headers: Headers, demo: dict[str, int]
) -> None:
    response = client.get(
        "/projects", params={"sector": "12220"}, headers={**headers, "hx-request": "true"}
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<caption>1 project</caption>" in response.text
    assert LAO_PHC in response.text


def test_project_page_shows_organisations_budgets_transactions_and_results(
    client: TestClient, headers: Headers, demo: dict[str, int]
) -> None:
    response = client.get(f"/projects/{demo[LABS]}", headers=headers)
    assert response.status_code == 200
    html = response.text
    assert "<h1>Infectious disease laboratory capacity</h1>" in html
    assert "감염병 진단 실험실 역량강화 사업" in html
    assert "Demo data" in html
    assert f'href="/api/v1/projects/iati.xml?identifier={LABS}"' in html
    assert "Korea Disease Control and Prevention Agency" in html
    assert "<caption>3 participating organisations</caption>" in html
    assert "<caption>Budgets (3)</caption>" in html
    assert "<caption>Transactions (4)</caption>" in html
    assert "Outgoing Commitment" in html and "USD 4,000,000" in html
    assert "12250 Infectious disease control (80 %)" in html
    # Results: each indicator has a table of periods with baseline, target, actual, progress.
    assert html.count('<table class="indicator"') == 3
    staff = html.split("Laboratory staff trained in PCR", 1)[1].split("</table>", 1)[0]
    assert '<th scope="row">Jan 1, 2023 – Dec 31, 2023</th>' in staff
    assert '<progress max="100" value="100"' in staff  # 42 of 40: past the target
    assert "105 % of the way to the target (42 of 40)" in staff
    days = html.split("Days from sample collection", 1)[1].split("</table>", 1)[0]
    assert "lower is better" in html
    # Lower is better: from 7 days down to 3.5 is 3.5 of the 3 days' way to 4.
    assert "116.7 % of the way to the target (3.5 of 4)" in days


def test_unknown_project_page_is_404(client: TestClient, headers: Headers) -> None:
    response = client.get("/projects/4242", headers=headers)
    assert response.status_code == 404
    assert "no project with id 4242" in response.text


def test_pages_need_a_sign_in(client: TestClient) -> None:
    response = client.get("/projects", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
