"""The sign-in page, the error page and the situation room in Korean and Indonesian: the
language from ``Accept-Language`` or the ``hb_lang`` cookie, headings, risk levels, dates and
numbers as the language writes them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.web.situation_arrange import Arranged, arrange

from healthbridge.accounts.models import User
from healthbridge.policy import Role
from healthbridge.web import i18n

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}


@pytest.fixture
def arranged(session_factory: sessionmaker[Session]) -> Arranged:
    return arrange(session_factory)


def test_the_room_in_korean(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    thai = login(make_user(Role.EPIDEMIOLOGIST, "THA", full_name="Nattaya Srisuk"))
    html = client.get("/", headers={**thai, "accept-language": "ko-KR,ko;q=0.9"}).text
    assert '<html lang="ko">' in html
    assert "<title>홈 · HealthBridge</title>" in html
    assert "Nattaya Srisuk 님, 환영합니다" in html
    for heading in (
        "국가별 위험도",
        "위험도별 진행 중인 사건",
        "THA의 사례 보고",
        "미충족 긴급 요청",
    ):
        assert heading in html, heading
    assert "기한이 임박하거나 지난 약속" in html and "최근 사건 및 상황보고서" in html
    # Risk levels (marked in Python) on the legend and in the table; the map's text alternative.
    assert ">높음</a>: <strong" in html and "진행 중인 사건 없음" in html
    assert "<caption>국가별 진행 중인 사건의 최고 위험도" in html
    # The figures stay where the tests and scripts find them.
    assert 'data-testid="cases-this-week">1<' in html
    assert 'data-country="THA" data-risk="high"' in html
    # No English heading is left.
    for english in ("Risk by country", "Open events by risk", "Unmet critical requests", "Welcome"):
        assert english not in html, english


def test_a_panel_and_the_wall_in_indonesian_by_cookie(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    headers = login(make_user(Role.EOC_OFFICER, None))
    client.cookies.set(i18n.LANGUAGE_COOKIE, "id")
    try:
        panel = client.get("/situation/panels/events", headers=headers).text
        assert '<h2 id="panel-events-heading">Kejadian terbuka menurut risiko</h2>' in panel
        assert "kejadian terbuka yang dapat Anda lihat" in panel and "Sedang" in panel
        # Dates as Indonesian writes them ("26 Nov 2026"), not ISO.
        assert re.search(r"Sinyal terbuka sejak \d{1,2} \w{3} \d{4}:", panel)
        wall = client.get("/situation?wall=1", headers=headers).text
        assert '<html lang="id">' in wall and "Ruang situasi regional" in wall
        assert "Keluar dari layar penuh" in wall and "<strong>kawasan</strong>" in wall
        assert "Regional situation room" not in wall
        # The cookie beats the browser's language.
        korean = {**headers, "accept-language": "ko"}
        panel = client.get("/situation/panels/timeliness", headers=korean).text
        assert "Ketepatan waktu 7-1-7" in panel
    finally:
        client.cookies.delete(i18n.LANGUAGE_COOKIE)


def test_the_room_stays_english_by_default(
    client: TestClient, arranged: Arranged, make_user: MakeUser, login: Login
) -> None:
    html = client.get("/situation", headers=login(make_user(Role.SECRETARIAT, None))).text
    assert '<html lang="en">' in html and "Risk by country" in html
    assert ">Moderate</a>: <strong" in html and "Open events by risk" in html


def test_the_sign_in_page_and_the_error_page_in_korean(client: TestClient) -> None:
    page = client.get("/login", headers={**HTML, "accept-language": "ko"})
    assert page.status_code == 200
    html = page.text
    assert "<title>로그인 · HealthBridge</title>" in html and "<h1>로그인</h1>" in html
    assert '<label for="email">이메일</label>' in html and ">비밀번호</label>" in html
    assert '<button type="submit">로그인</button>' in html
    assert "Sign in" not in html and "Password" not in html
    english = client.get("/login", headers=HTML).text
    assert "<h1>Sign in</h1>" in english

    missing = client.get("/no-such-page", headers={**HTML, "accept-language": "ko"})
    assert missing.status_code == 404
    assert "상태 코드 404." in missing.text and "홈 페이지로 돌아갑니다" in missing.text
