"""The cooperation portfolio (projects, training, UHC), the reference pages and the accounts and
audit pages in Korean and Indonesian: headings, labels marked in Python (IATI codelists,
roles) and country and disease names in the user's language, with no English heading left."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.cooperation.projects import demo as projects_demo
from healthbridge.cooperation.projects import service as projects
from healthbridge.cooperation.training import demo as training_demo
from healthbridge.cooperation.uhc import demo as uhc_demo
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.web import i18n

HTML = {"accept": "text/html"}
#: The infectious disease laboratory project of the demo (Implementation, Lao PDR and others).
LABS = "KR-GOV-010-HB-2023-004"

#: Per page: what each language must show, and the English it must no longer show.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "ko": {
        "/projects": ["<h1>협력 사업</h1>", "수원국", ">이행</td>", 'title="라오스"'],
        "/training/BIOHUB": [
            ">교육 훈련</a>",
            'by-country">국가별 교육생</h2>',
            ">대한민국</a>",
            "대면",
        ],
        "/uhc/THA": ["<h1>UHC 진척: 태국</h1>", "보고 국가 중앙값", ">베트남</a>"],
        "/countries": ["<h1>국가</h1>", ">태국</a>", "영문 이름", "Thailand"],
        "/diseases": ["<h1>법정 감염병</h1>", "탄저", "인수공통", "확진환자"],
        "/users": ["<h1>계정</h1>", "지역 관리자", "최근 로그인"],
        "/audit": ["<h1>감사 기록</h1>", "해시 체인 무결", "최신순"],
        "/countries/THA": ["<h1>태국 <code>THA</code></h1>", "영문 이름", ">회원국<"],
        "/organisations": ["<h1>기관</h1>", "보건부"],
        "/profile": ["<h1>내 계정</h1>", "사용 중인 토큰"],
        "/training": ["<h1>교육 훈련</h1>", "프로그램 1개", "모든 국가의 교육생"],
        "/training/trainees": ["<h1>교육생</h1>", "모든 국가의 교육생입니다."],
        "/uhc": ["<h1>UHC 진척</h1>", ">순위<", "(최신)"],
    },
    "id": {
        "/projects": ["<h1>Proyek kerja sama</h1>", "Negara penerima", ">Pelaksanaan</td>"],
        "/training/BIOHUB": [
            'by-country">Peserta pelatihan per negara</h2>',
            ">Korea Selatan</a>",
        ],
        "/uhc/THA": ["<h1>Kemajuan UHC: Thailand</h1>", "Median negara pelapor", ">Vietnam</a>"],
        "/countries": ["<h1>Negara</h1>", ">Vietnam</a>", "Nama dalam bahasa Inggris"],
        "/diseases": ["<h1>Penyakit wajib lapor</h1>", "Antraks", "zoonosis"],
        "/users": ["<h1>Akun</h1>", "Terakhir masuk"],
        "/audit": ["<h1>Log audit</h1>", "Rantai hash utuh"],
        "/countries/THA": ["<h2>Keanggotaan</h2>", ">anggota<"],
        "/organisations": ["<h1>Organisasi</h1>", "kementerian kesehatan"],
        "/profile": ["<h1>Akun Anda</h1>", "Token aktif Anda"],
        "/training": ["<h1>Pelatihan</h1>", "1 program"],
        "/training/trainees": ["Peserta pelatihan semua negara."],
        "/uhc": ["<h1>Kemajuan UHC</h1>", ">Peringkat<", "(terbaru)"],
    },
}
ENGLISH = {
    "/projects": ["<h1>Cooperation projects</h1>", "Recipient countries", ">Implementation</td>"],
    "/training/BIOHUB": ['by-country">Trainees by country</h2>', "<h2>Courses</h2>", "in person"],
    "/uhc/THA": ["<h1>UHC progress", "Median of reporting countries", ">Viet Nam</a>"],
    "/countries": ["<h1>Countries</h1>", "Local name", ">Capital<"],
    "/diseases": ["<h1>Notifiable diseases</h1>", "<td>Anthrax", "zoonotic"],
    "/users": ["<h1>Accounts</h1>", "Last sign-in", "Regional administrator"],
    "/audit": ["<h1>Audit log</h1>", "Hash chain intact", "newest first"],
    "/countries/THA": ["<h2>Memberships</h2>", "Official name", ">member<"],
    "/organisations": ["<h1>Organisations</h1>", "ministry of health", "Part of"],
    "/profile": ["<h1>Your account</h1>", "Your active tokens"],
    "/training": ["<h1>Training</h1>", "Counts only on this page"],
    "/training/trainees": ["<h1>Trainees</h1>", "Trainees of every country"],
    "/uhc": ["<h1>UHC progress</h1>", ">Rank<", "(latest)"],
}


@pytest.fixture
def portfolio(session_factory: sessionmaker[Session], operator: Principal) -> int:
    """The demo projects, training hub and UHC values; the laboratory project's id."""
    with unit_of_work(session_factory) as session:
        projects_demo.load_demo(session=session, actor=operator)
        training_demo.load_demo(session=session, actor=operator)
        uhc_demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        found = projects.find_project(session=session, iati_identifier=LABS)
        assert found is not None
        return found.id


@pytest.mark.parametrize("language", ["ko", "id"])
def test_portfolio_reference_and_account_pages_in_the_users_language(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    portfolio: int,
    language: str,
) -> None:
    headers = {**HTML, **login(make_user(Role.REGIONAL_ADMIN, None))}
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    for path, expected in EXPECTED[language].items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text[:500])
        page = response.text
        assert f'<html lang="{language}">' in page
        for text in expected:
            assert text in page, (language, path, text)
        for text in ENGLISH[path]:
            assert text not in page, (language, path, text)

    # A project: IATI codelist labels and dates in the language, figures in its digits.
    project = client.get(f"/projects/{portfolio}", headers=headers).text
    if language == "ko":
        assert "<h2>참여 기관</h2>" in project and "지출 약정" in project  # Outgoing Commitment
        assert "2023. 1. 1." in project  # the first period of an indicator
    else:
        assert "<h2>Organisasi peserta</h2>" in project and "Komitmen keluar" in project
        assert "USD 4.000.000" in project  # Indonesian thousands separator
    for english in ("<h2>Participating organisations</h2>", "Outgoing Commitment", "<h2>Budgets"):
        assert english not in project


def test_the_english_pages_keep_their_english(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    portfolio: int,
) -> None:
    headers = {**HTML, **login(make_user(Role.REGIONAL_ADMIN, None))}
    for path, texts in ENGLISH.items():
        page = client.get(path, headers=headers).text
        assert texts[0] in page, path
    assert "Outgoing Commitment" in client.get(f"/projects/{portfolio}", headers=headers).text
