"""The case pages through the HTTP client: the country's list (filters, htmx fragment), one case
with its lab results, the turnaround table, and the upload form (errors, scope, CSRF)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import TEST_PASSWORD

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.surveillance import case_demo, case_queries
from healthbridge.surveillance.models import CaseReport

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}
PAGE = "/surveillance/cases"
HEADER = (
    "country,case_id,disease,classification,report_date,area,"
    "sample_id,test_type,pathogen,result,sample_date,result_date,laboratory"
)


@pytest.fixture
def demo_data(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        case_demo.load_demo(session=session, actor=operator)


@pytest.fixture
def thai(make_user: MakeUser, login: Login) -> Headers:
    return {**login(make_user(Role.EPIDEMIOLOGIST, "THA")), **HTML}


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def upload(text: str, name: str = "cases.csv") -> dict[str, Any]:
    return {"file": (name, text.encode(), "text/csv")}


def case_count(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(CaseReport)) or 0


@pytest.mark.usefixtures("demo_data")
def test_the_list_shows_the_readers_country_only(client: TestClient, thai: Headers) -> None:
    response = client.get(PAGE, headers=thai)
    assert response.status_code == 200, response.text
    page = response.text
    assert page.count("<h1>") == 1
    assert "150 case reports, newest first: 1–50 shown" in text_of(page)
    assert "DEMO-THA-2024-" in page and "DEMO-VNM-" not in page
    for name in ("q", "disease", "classification", "area", "from_week", "to_week"):
        assert f'<label for="{name}">' in page
    assert 'hx-get="/surveillance/cases"' in page
    assert 'data-testid="turnaround"' in page and "DEMO National Institute of Health" in page
    assert 'action="/surveillance/cases/import"' in page
    assert '<a href="/surveillance/cases">Cases</a>' in page or 'href="/surveillance/cases"' in page


@pytest.mark.usefixtures("demo_data")
def test_a_list_past_the_count_limit_says_more_than_and_still_pages(
    client: TestClient, thai: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A country's millions of cases are counted only so far (here 100 of its 150).
    monkeypatch.setattr(case_queries, "COUNT_LIMIT", 100)
    page = client.get(PAGE, headers=thai).text
    assert "100+ case reports, newest first: 1–50 shown" in text_of(page)
    assert re.search(r'<a href="/surveillance/cases\?[^"]+">Next</a>', page)
    last = client.get(PAGE, params={"offset": 100, "limit": 50}, headers=thai).text
    assert "150 case reports, newest first: 101–150 shown" in text_of(last)
    api = client.get("/api/v1/cases", headers=thai).json()
    assert (api["total"], api["total_exact"]) == (100, False)
    whole = client.get("/api/v1/cases", params={"offset": 100}, headers=thai).json()
    assert (whole["total"], whole["total_exact"]) == (150, True)


@pytest.mark.usefixtures("demo_data")
def test_the_pages_walk_through_every_case_keeping_the_filters(
    client: TestClient, thai: Headers
) -> None:
    seen: list[str] = []
    url: str | None = PAGE + "?classification=confirmed&limit=20"
    while url:
        page = client.get(url, headers=thai).text
        seen += re.findall(r'<th scope="row"><a href="/surveillance/cases/\d+">([^<]+)</a>', page)
        following = re.search(r'<a href="(/surveillance/cases\?[^"]+)">Next</a>', page)
        url = html.unescape(following.group(1)) if following else None
        if url:
            assert "classification=confirmed" in url
    everything = client.get(
        PAGE, params={"classification": "confirmed", "limit": 500}, headers=thai
    )
    listed = re.findall(
        r'<th scope="row"><a href="/surveillance/cases/\d+">([^<]+)</a>', everything.text
    )
    assert len(seen) == len(set(seen)) == len(listed) > 20
    assert set(seen) == set(listed)


@pytest.mark.usefixtures("demo_data")
def test_filters_answer_the_table_fragment_to_htmx(client: TestClient, thai: Headers) -> None:
    response = client.get(
        PAGE, params={"disease": "measles", "q": "DEMO-THA"}, headers={**thai, "HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.text
    assert fragment.lstrip().startswith('<table data-testid="cases-table">')
    assert "<h1>" not in fragment
    rows = re.findall(r"<tr>\s*<th scope=\"row\">", fragment)
    assert rows and all("measles" in r for r in re.findall(r"<tr>(.*?)</tr>", fragment, re.S)[1:])


@pytest.mark.usefixtures("demo_data")
def test_a_case_page_shows_its_lab_results(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        tested = session.scalars(
            select(CaseReport).where(CaseReport.country_code == "THA", CaseReport.lab_results.any())
        ).first()
        vnm = session.scalars(select(CaseReport).where(CaseReport.country_code == "VNM")).first()
        assert tested is not None and vnm is not None
        sample = tested.lab_results[0].sample_id
    page = client.get(f"{PAGE}/{tested.id}", headers=thai)
    assert page.status_code == 200
    assert f"Case {tested.case_id}" in page.text and sample in page.text
    assert 'data-testid="lab-results"' in page.text
    refused = client.get(f"{PAGE}/{vnm.id}", headers=thai)
    assert refused.status_code == 403 and vnm.case_id not in refused.text


def test_an_upload_imports_and_shows_what_it_did(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    row = "THA,T-1,dengue,confirmed,2024-03-04,TH-10,S-1,pcr,DENV,positive,2024-03-04,2024-03-06,A"
    text = f"{HEADER}\n{row}\n"
    response = client.post(f"{PAGE}/import", files=upload(text), headers=thai)
    assert response.status_code == 200, response.text
    assert (
        "Imported cases.csv: 1 rows — cases 1 created, 0 updated, 0 unchanged; lab results 1 "
        "created, 0 updated, 0 unchanged (2024-W10 to 2024-W10)."
        in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.text))
    )
    assert "T-1" in response.text  # the list below shows the new case
    assert case_count(session_factory) == 1


def test_a_bad_file_lists_its_problems_and_stores_nothing(
    client: TestClient, thai: Headers, session_factory: sessionmaker[Session]
) -> None:
    text = (
        f"{HEADER}\nTHA,T-1,dengue,certain,2024-03-04,TH-10,,,,,,,\n"
        "THA,T-2,dengue,confirmed,2024-03-04,VN-HN,,,,,,,\n"
    )
    response = client.post(f"{PAGE}/import", files=upload(text), headers=thai)
    assert response.status_code == 422
    assert "<caption>Problems in the file (nothing was imported)</caption>" in response.text
    assert "2 classification 'certain' is not one of suspected" in text_of(response.text)
    # The reader's problems come first; the reference checks follow once the file reads.
    fixed = text.replace("certain", "probable")
    second = client.post(f"{PAGE}/import", files=upload(fixed), headers=thai)
    assert second.status_code == 422
    assert "3 area VN-HN is in VNM, not in THA" in text_of(second.text)
    other = f"{HEADER}\nVNM,V-1,dengue,confirmed,2024-03-04,,,,,,,,\n"
    refused = client.post(f"{PAGE}/import", files=upload(other), headers=thai)
    assert refused.status_code == 403
    assert "VNM is outside your scope (THA)" in refused.text
    missing = client.post(f"{PAGE}/import", headers=thai)
    assert missing.status_code == 422 and "choose a file" in missing.text
    assert case_count(session_factory) == 0


@pytest.mark.parametrize(("role", "country"), [(Role.SECRETARIAT, None), (Role.VIEWER, "THA")])
def test_roles_that_read_no_case_get_no_page(
    client: TestClient, make_user: MakeUser, login: Login, role: Role, country: str | None
) -> None:
    headers = {**login(make_user(role, country)), **HTML}
    assert client.get(PAGE, headers=headers).status_code == 403
    nav = client.get("/", headers=headers).text
    assert 'href="/surveillance/cases"' not in nav


def test_a_browser_session_needs_the_csrf_token(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(Role.FOCAL_POINT, "THA")
    login_form = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', login_form)
    assert nonce is not None
    client.post(
        "/login",
        data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    page = client.get(PAGE, headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page[page.index("upload-heading") :])
    assert token is not None
    text = f"{HEADER}\nTHA,T-1,dengue,confirmed,2024-03-04,TH-10,,,,,,,\n"
    assert client.post(f"{PAGE}/import", files=upload(text), headers=HTML).status_code == 403
    assert case_count(session_factory) == 0
    accepted = client.post(
        f"{PAGE}/import", files=upload(text), data={"csrf_token": token.group(1)}, headers=HTML
    )
    assert accepted.status_code == 200, accepted.text
    assert case_count(session_factory) == 1
