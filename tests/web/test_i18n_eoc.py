"""The EOC's pages in Korean and Indonesian: the board, an event's page with its timeline, the
assessments (the rapid risk assessment's scales, the Annex 2 questions, the 7-1-7 targets), the
assistance board and the task list; the reference names (country, disease) in the language
too, and no English heading left."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_assessment_pages import RRA, make_event
from tests.eoc.test_pages import HTML, sign_in

from healthbridge.accounts.models import User
from healthbridge.analytics.eoc import ihr_annex2, timeliness
from healthbridge.eoc import assessment_pages
from healthbridge.policy import Role
from healthbridge.web import i18n

MakeUser = Callable[..., User]

#: Per page: English headings and labels that must be gone once translated.
ENGLISH = {
    "board": ["<h1>EOC board</h1>", "Open an event", "Every disease", ">Verified <"],
    "event": [">Timeline<", ">Next steps<", ">Linked records and notes<", ">Sharing<"],
    "assessments": [
        ">Rapid risk assessment<",
        ">IHR Annex 2 decision<",
        "Is the event unusual or unexpected?",
        ">Highly likely<",
        ">Pending<",
    ],
    "assistance": ["<h1>Assistance board</h1>", "Field investigation team", "Asking country"],
    "tasks": ["<h1>My tasks</h1>", "No task is assigned to you."],
}
#: Per language and page: the translations that must be there.
EXPECTED = {
    "ko": {
        "board": ["<h1>EOC 현황판</h1>", "사건 개시", "홍역", "태국", "검증됨"],
        "event": [">경과<", ">다음 단계<", "홍역", "태국", "위험 평가", "위험도: 높음"],
        "assessments": [
            ">신속 위험 평가<",
            "사건이 이례적이거나 예상하지 못한 것입니까?",
            "가능성 높음 × 보통",
            "탐지(≤ 7일)",
            ">대기 중<",
        ],
        "assistance": ["<h1>지원 현황판</h1>", "현장 역학조사팀", "요청 국가"],
        "tasks": ["<h1>내 작업</h1>", "귀하에게 배정된 작업이 없습니다."],
    },
    "id": {
        "board": ["<h1>Papan EOC</h1>", "Buka kejadian", "Campak", "Terverifikasi"],
        "event": [">Lini masa<", ">Langkah berikutnya<", "Campak", "Risiko: Tinggi"],
        "assessments": [
            ">Penilaian risiko cepat<",
            "Apakah kejadian ini tidak biasa atau tidak terduga?",
            "Sangat mungkin × Sedang",
            "Deteksi (≤ 7 hari)",
            ">Menunggu<",
        ],
        "assistance": ["<h1>Papan bantuan</h1>", "Tim penyelidikan lapangan", "Negara peminta"],
        "tasks": ["<h1>Tugas saya</h1>", "Tidak ada tugas yang ditugaskan kepada Anda."],
    },
}


@pytest.mark.parametrize("language", ["ko", "id"])
def test_the_eoc_pages_in_korean_and_indonesian(
    language: str,
    client: TestClient,
    make_user: MakeUser,
    session_factory: sessionmaker[Session],
) -> None:
    event_id = make_event(session_factory)
    token = sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    recorded = client.post(
        f"/eoc/events/{event_id}/risk-assessments",
        data={**RRA, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert recorded.status_code == 303
    pages = {
        "board": "/eoc",
        "event": f"/eoc/events/{event_id}",
        "assessments": f"/eoc/events/{event_id}/assessments",
        "assistance": "/eoc/assistance",
        "tasks": "/eoc/tasks",
    }
    english = {name: client.get(path, headers=HTML).text for name, path in pages.items()}
    for name, texts in ENGLISH.items():
        assert all(text in english[name] for text in texts), name  # the checks can fail
    client.cookies.set(i18n.LANGUAGE_COOKIE, language)
    for name, path in pages.items():
        shown = client.get(path, headers=HTML)
        assert shown.status_code == 200
        assert f'<html lang="{language}">' in shown.text
        missing = [text for text in EXPECTED[language][name] if text not in shown.text]
        assert missing == [], name
        left = [text for text in ENGLISH[name] if text in shown.text]
        assert left == [], name


def test_the_marked_labels_word_what_the_analytics_word() -> None:
    """The pages translate the Annex 2 questions and the early-response actions from their own
    marked copies: they must stay the analytics' words, or the page shows the copy."""
    assert {str(q): text for q, text in assessment_pages.QUESTION_LABELS.items()} == {
        str(q): text for q, text in ihr_annex2.QUESTION_TEXT.items()
    }
    assert {str(a): text for a, text in assessment_pages.EARLY_ACTION_LABELS.items()} == {
        str(a): text for a, text in timeliness.ACTION_LABELS.items()
    }
    steps = assessment_pages.BOTTLENECK_STEP_LABELS
    late = (timeliness.Step.NOTIFICATION.value, timeliness.EarlyResponseAction.COORDINATION.label)
    assert assessment_pages._bottlenecks(late) == [
        steps[timeliness.Step.NOTIFICATION],
        assessment_pages.EARLY_ACTION_LABELS[timeliness.EarlyResponseAction.COORDINATION],
    ]
    with i18n.use_language("ko"):
        assert i18n.gettext(ihr_annex2.Question.UNUSUAL.text) == (
            "사건이 이례적이거나 예상하지 못한 것입니까?"
        )
