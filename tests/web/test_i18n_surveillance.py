"""The surveillance pages and the situation report in Korean and Indonesian: headings, labels,
Python labels (signal statuses, triage buttons, case classifications), country and disease names
from the reference data, dates and numbers in the reader's language, and no English heading
left."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.surveillance.signal_arrange import arrange_signals

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.reports.sitrep import (
    AreaRow,
    EpicurvePoint,
    LabSummary,
    LabTestCount,
    SitrepData,
    TimelinessMetric,
    TimelinessStatus,
    render_html,
)
from healthbridge.surveillance import case_demo
from healthbridge.surveillance import demo as weekly_demo
from healthbridge.surveillance.models import CaseReport, Signal
from healthbridge.web import i18n

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}


def headings(page: str) -> list[str]:
    """The text of every h1 to h3 of a page."""
    found = re.findall(r"<h([1-3])[^>]*>(.*?)</h\1>", page, re.S)
    return [re.sub(r"<[^>]+>", "", text).strip() for _, text in found]


@pytest.fixture
def in_language(client: TestClient) -> Iterator[Callable[[str], None]]:
    """Choose the interface's language with the cookie, as the language switch does."""
    yield lambda language: client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    client.cookies.delete(i18n.LANGUAGE_COOKIE)


@pytest.fixture
def demo_data(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        weekly_demo.load_demo(session=session, actor=operator)
        case_demo.load_demo(session=session, actor=operator)


@pytest.mark.usefixtures("demo_data")
def test_weekly_counts_and_cases_in_korean_and_indonesian(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
    session_factory: sessionmaker[Session],
) -> None:
    thai = {**login(make_user(Role.EPIDEMIOLOGIST, "THA")), **HTML}
    weekly = "/surveillance/weekly?country=VNM&disease=dengue"
    english = client.get(weekly, headers=thai).text
    assert "<h1>Weekly counts</h1>" in english
    assert "Dengue, Viet Nam, sum of the reporting areas" in english

    in_language("ko")
    korean = client.get(weekly, headers=thai).text
    assert '<html lang="ko">' in korean
    assert "<h1>주간 집계</h1>" in korean and "주간 집계 보고하기" in korean
    assert '<label for="area">행정구역</label>' in korean and "국가 전체" in korean
    # The series' title: the disease and country from the reference data, the level's label.
    assert "뎅기열, 베트남, 보고 행정구역의 합계(전국 합계 미보고)" in korean
    assert ">태국</option>" in korean and ">뎅기열</option>" in korean
    assert "Weekly counts" not in headings(korean) and "Report weekly counts" not in korean

    in_language("id")
    cases = client.get("/surveillance/cases", headers=thai).text
    assert "<h1>Laporan kasus</h1>" in cases and "Waktu penyelesaian laboratorium" in cases
    assert "laporan kasus, terbaru lebih dulu" in cases and ">Demam dengue</option>" in cases
    assert "Laboratory turnaround" not in cases and "Report cases" not in cases
    with session_factory() as session:
        case = session.scalars(
            select(CaseReport).where(CaseReport.country_code == "THA").order_by(CaseReport.id)
        ).first()
        assert case is not None
        case_id, classification = case.id, case.classification
        reported = case.report_date
    one = client.get(f"/surveillance/cases/{case_id}", headers=thai).text
    shown = {"suspected": "suspek", "probable": "probabel", "confirmed": "konfirmasi"}
    assert f"<td>{shown[classification]}</td>" in one  # a Python label, translated
    assert "Hasil laboratorium" in one and "Demam dengue (dengue)" in one
    with i18n.use_language("id"):
        assert i18n.format_day(reported) in one  # the date as Indonesian writes it
    assert "Laboratory results" not in headings(one)


def test_signals_in_korean_and_indonesian(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    with unit_of_work(session_factory) as session:
        arrange_signals(session, operator)
    with session_factory() as session:
        signal_id = session.scalars(
            select(Signal)
            .where(Signal.country_code == "THA", Signal.method == "noufaily")
            .order_by(Signal.week.desc())
        ).first()
        assert signal_id is not None
        thai_signal = signal_id.id
    eoc = {**login(make_user(Role.EOC_OFFICER, "THA")), **HTML}

    in_language("ko")
    queue = client.get("/surveillance/signals", headers=eoc).text
    assert "<h1>신호</h1>" in queue and ">모든 국가</option>" in queue
    assert ">신규</span>" in queue or ">새 요청</span>" in queue  # the status, a Python label
    assert ">검증</button>" in queue and ">기각</button>" in queue  # the triage buttons
    assert "태국, TH-10" in queue and "뎅기열" in queue
    assert "베트남에서 선별 평가" in queue  # a signal the Thai officer does not triage
    assert "Signals" not in headings(queue) and "No signal matches." not in queue

    in_language("id")
    detail = client.get(f"/surveillance/signals/{thai_signal}", headers=eoc).text
    assert "Demam dengue di TH-10, Thailand, 2024-W" in detail  # the title, from Python
    assert "<h2>Triase</h2>" in detail and "Kurva epidemi" in detail
    assert "Buka kejadian dari sinyal ini" in detail and ">Verifikasi</button>" in detail
    for english in ("Triage", "Epicurve"):
        assert english not in headings(detail)


def sitrep() -> SitrepData:
    return SitrepData(
        title="Dengue outbreak, Chiang Mai",
        country="Thailand",
        hazard="Dengue",
        status="open",
        risk_level="high",
        risk_confidence="moderate",
        opened_on=dt.date(2026, 10, 20),
        generated_at=dt.datetime(2026, 11, 26, 10, 5, tzinfo=dt.UTC),
        generated_by="Duangjai Srisuk",
        period_start=dt.date(2026, 9, 28),
        period_end=dt.date(2026, 11, 1),
        epicurve=(EpicurvePoint("2026-W40", 3), EpicurvePoint("2026-W41", 1234, 5)),
        areas=(AreaRow("TH-50", "Chiang Mai", 1237, 5),),
        lab=LabSummary(tests=(LabTestCount("pcr", "positive", 3),), positivity=0.253),
        timeliness=(TimelinessMetric("detection", 7, TimelinessStatus.MET, 4),),
    )


def test_the_sitrep_is_written_in_the_language_of_the_request() -> None:
    english = render_html(sitrep())
    assert '<html lang="en">' in english and ">Epidemic curve</h2>" in english
    with i18n.use_language("ko"):
        korean = render_html(sitrep())
    assert '<html lang="ko">' in korean
    assert ">유행 곡선</h2>" in korean and ">실험실 검사 요약</h2>" in korean
    assert ">양성</th>" in korean and ">탐지</th>" in korean and ">달성</td>" in korean
    assert "2026. 9. 28." in korean and "1,237" in korean
    assert "사례 단위 세부 정보는 제외됩니다." in korean  # the exclusion note
    assert "Epidemic curve" not in headings(korean) and "Page " not in korean
    with i18n.use_language("id"):
        indonesian = render_html(sitrep())
    assert '<html lang="id">' in indonesian and ">Kurva epidemi</h2>" in indonesian
    assert "Positivitas: <strong>25,3%</strong>" in indonesian  # the decimal comma
    assert "1.234" in indonesian and "28 Sep 2026 sampai 1 Nov 2026" in indonesian
    assert "Halaman " in indonesian and "counter(pages)" in indonesian
    for heading in headings(english):
        if heading not in ("Dengue outbreak, Chiang Mai", "7-1-7 timeliness"):
            assert heading not in headings(indonesian), heading


@pytest.mark.usefixtures("demo_data")
def test_the_sitrep_follows_the_cookie_of_the_request(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    from healthbridge.eoc import demo as eoc_demo
    from healthbridge.eoc.models import Event

    with unit_of_work(session_factory) as session:
        eoc_demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        event = session.scalars(
            select(Event).where(Event.country_code == "THA", Event.disease_code == "dengue")
        ).first()
        assert event is not None
        event_id = event.id
    thai = login(make_user(Role.EOC_OFFICER, "THA"))
    in_language("ko")
    report = client.get(f"/eoc/events/{event_id}/sitrep.html", headers=thai)
    assert report.status_code == 200
    assert '<html lang="ko">' in report.text and ">유행 곡선</h2>" in report.text
