"""The dialogue channel's pages (meetings, commitments) in Korean and Indonesian: headings,
labels defined in Python (meeting types, statuses, kinds), country names and dates in the
language of the ``hb_lang`` cookie, and no English heading left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.commitments.arrange import make_commitment
from tests.cooperation.meetings.builders import meeting_body

from healthbridge.accounts.models import User
from healthbridge.cooperation.commitments import service as commitments
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.meetings.schemas import MeetingCreate
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.web import i18n

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
HTML = {"accept": "text/html"}
ARRANGER = Principal(email="arranger", role=Role.REGIONAL_ADMIN, country=None)
TODAY = commitments.today()


@dataclass(frozen=True)
class Dialogue:
    meeting_id: int
    overdue_id: int


@pytest.fixture
def dialogue(session_factory: sessionmaker[Session]) -> Dialogue:
    """A senior officials' meeting in Bangkok (10–11 March 2025, Korea a participant) with an
    overdue agreement owed by Thailand and a follow-up owed by Viet Nam."""
    with unit_of_work(session_factory) as session:
        meeting = meetings.create_meeting(
            session=session,
            actor=ARRANGER,
            meeting_in=MeetingCreate.model_validate(meeting_body()),
        )
        overdue = make_commitment(
            session,
            ARRANGER,
            meeting.id,
            text="Send the lab assessment",
            status="agreed",
            due_on=TODAY - dt.timedelta(days=3),
        )
        make_commitment(
            session,
            ARRANGER,
            meeting.id,
            text="Share the UHC figures",
            kind="follow_up",
            owed_by_country="VNM",
            due_on=TODAY + dt.timedelta(days=9),
        )
        return Dialogue(meeting.id, overdue.id)


@pytest.fixture
def in_language(client: TestClient) -> Iterator[Callable[[str], None]]:
    """Choose the interface's language by the cookie the language switch sets."""

    def choose(language: str) -> None:
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)

    yield choose
    client.cookies.delete(i18n.LANGUAGE_COOKIE)


def test_the_calendar_and_a_meeting_in_korean(
    client: TestClient,
    dialogue: Dialogue,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
) -> None:
    writer = {**HTML, **login(make_user(Role.SECRETARIAT, None))}
    in_language("ko")
    calendar = client.get("/meetings", params={"month": "2025-03"}, headers=writer).text
    assert '<html lang="ko">' in calendar and "<h1>회의</h1>" in calendar
    assert '<h2 id="month-heading">2025년 3월</h2>' in calendar
    assert '<th scope="col">월</th>' in calendar and "새 회의" in calendar
    assert "예정 및 진행 중" in calendar and "지난 회의 1건" in calendar
    # A meeting type marked in Python; the dates as Korean writes them; Thailand in Korean.
    assert "<td>고위관리회의</td>" in calendar
    assert "2025년 3월 10일" in calendar and "Bangkok, 태국" in calendar
    assert '<span class="planned-mark">(예정)</span>' in calendar
    for english in ("Upcoming and current", "New meeting", "Co-chairs", "March 2025"):
        assert english not in calendar, english

    page = client.get(f"/meetings/{dialogue.meeting_id}", headers=writer).text
    for heading in ("참가자", "대표단", "의제", "문서", "약속", "문서 업로드"):
        assert f">{heading}</h" in page, heading
    assert "참가자 3명" in page and "대한민국" in page and "<strong>결과:</strong>" in page
    assert '<span class="tag meeting-status meeting-status-planned">예정</span>' in page
    for english in ("Participants", "Delegates", "Agenda", "Upload a document", "No documents"):
        assert english not in page, english


def test_the_commitment_tracker_and_its_fragment_in_korean(
    client: TestClient,
    dialogue: Dialogue,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
) -> None:
    thai = {**HTML, **login(make_user(Role.FOCAL_POINT, "THA"))}
    in_language("ko")
    html = client.get("/commitments", headers=thai).text
    assert "<h1>약속</h1>" in html and "약속 2건(기한순)" in html
    assert 'aria-current="page">전체</a>' in html and ">기한 경과</a>" in html
    # Statuses and kinds (labels marked in Python), the overdue badge, Viet Nam in Korean.
    assert '<span class="badge badge-agreed">합의됨</span>' in html
    assert "<td>후속 조치</td>" in html and "3일 경과" in html and "기한 임박" in html
    assert "<td>베트남</td>" in html and '<label for="owed_by">이행 주체</label>' in html
    assert '<optgroup label="국가">' in html and ">태국</option>" in html
    # (Organisations' names, e.g. the Ministry of Health of Viet Nam, are data: not translated.)
    for english in ("Owed by", "Any status", "Overdue by", "Follow-up", ">Viet Nam<"):
        assert english not in html, english

    fragment = client.get(
        f"/meetings/{dialogue.meeting_id}/commitments", headers={**thai, "hx-request": "true"}
    ).text
    assert "이 회의의 약속 2건" in fragment and '<h3 id="mc-add-heading">약속 추가</h3>' in fragment
    assert '<option value="">지역 전체</option>' in fragment
    assert "Add commitment" not in fragment and "The region" not in fragment


def test_a_commitment_and_the_scorecard_in_indonesian(
    client: TestClient,
    dialogue: Dialogue,
    make_user: MakeUser,
    login: Login,
    in_language: Callable[[str], None],
) -> None:
    thai = {**HTML, **login(make_user(Role.FOCAL_POINT, "THA"))}
    in_language("id")
    detail = client.get(f"/commitments/{dialogue.overdue_id}", headers=thai).text
    assert '<html lang="id">' in detail and "<title>Komitmen #" in detail
    for heading in ("Riwayat status", "Bukti", "Ubah status"):
        assert f"<h2>{heading}</h2>" in detail, heading
    assert '<dd data-testid="status"><span class="badge badge-agreed">Disepakati</span>' in detail
    assert "<dd>Kesepakatan</dd>" in detail and "Belum ada bukti." in detail
    assert '<label for="evidence_url">Tautan (http atau https)</label>' in detail
    assert ">Simpan status</button>" in detail and "Terlambat 3 hari" in detail
    for english in ("Status history", "Evidence", "Change the status", "Save status"):
        assert english not in detail, english

    scorecard = client.get("/commitments/scorecard", headers=thai).text
    assert "<h1>Kartu skor komitmen</h1>" in scorecard
    assert "Kartu skor: 2 negara dan organisasi yang berkewajiban" in scorecard
    # Viet Nam as Indonesian names it; the chart's series names translated too.
    assert '<a href="/commitments?owed_by=VNM">Vietnam</a>' in scorecard
    assert '"on_time": "Dipenuhi tepat waktu"' in scorecard
    assert '<th scope="col">Tingkat ketepatan waktu</th>' in scorecard
    for english in ("Commitment scorecard", "On-time rate", "Viet Nam", "Delivered late"):
        assert english not in scorecard, english
