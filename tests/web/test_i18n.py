"""The interface's languages: the catalogues are complete and up to date, the language of a
request (cookie, Accept-Language), the switch that remembers it, pages rendered in Korean and
Indonesian, dates and numbers per locale, and no unmarked text in the translated templates."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from healthbridge.accounts.models import User
from healthbridge.policy import Role
from healthbridge.web import i18n
from healthbridge.web.i18n_catalogues import extract_catalogue, merged, render_po

PACKAGE = Path(str(resources.files("healthbridge")))
TRANSLATED = ("ko", "id")
#: Templates whose every text goes through the catalogue (the rest follow, issue #7).
TRANSLATED_TEMPLATES = (
    "base.html",
    "login.html",
    "error.html",
    "situation/room.html",
    "situation/panel_map.html",
    "situation/panel_events.html",
    "situation/panel_cases.html",
    "situation/panel_timeliness.html",
    "situation/panel_requests.html",
    "situation/panel_commitments.html",
    "situation/panel_sitreps.html",
)
HTML = {"accept": "text/html"}


def _po(language: str) -> bytes:
    return (PACKAGE / i18n.catalogue_path(language)).read_bytes()


def test_the_catalogues_are_up_to_date_and_complete() -> None:
    template = extract_catalogue(PACKAGE)
    assert len(template) > 20
    assert (PACKAGE / "locale" / "messages.pot").read_bytes() == render_po(template), (
        "run scripts/extract-messages"
    )
    for language in TRANSLATED:
        assert _po(language) == render_po(merged(template, _po(language), language)), (
            f"the {language} catalogue is out of date: run scripts/extract-messages"
        )
        missing = [
            entry.id
            for entry in read_po(
                resources.files("healthbridge").joinpath(i18n.catalogue_path(language)).open("rb"),
                locale=language,
            )
            if entry.id
            and not (all(entry.string) if isinstance(entry.string, tuple) else entry.string)
        ]
        assert missing == [], f"untranslated in {language}: {missing}"


def _unmarked_text(source: str) -> list[str]:
    """Text of a template shown to users without going through the catalogue."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S | re.I)
    found = []
    for attribute in re.findall(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"', source):
        if re.search(r"[A-Za-z]", re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", attribute)):
            found.append(attribute)
    text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text)
    for chunk in re.split(r"\s{2,}|\n", text):
        chunk = chunk.strip()
        # Names are not translated: the product's, and the API's.
        if re.search(r"[A-Za-z]{2,}", re.sub(r"\b(HealthBridge|API)\b", "", chunk)):
            found.append(chunk)
    return found


@pytest.mark.parametrize("name", TRANSLATED_TEMPLATES)
def test_translated_templates_have_no_unmarked_text(name: str) -> None:
    source = (PACKAGE / "templates" / name).read_text()
    assert _unmarked_text(source) == []


def test_the_unmarked_text_check_finds_what_it_should() -> None:
    found = _unmarked_text('<p>Sign out</p><a title="Go home">{{ _("x") }}</a> · HealthBridge')
    assert sorted(found) == ["Go home", "Sign out"]
    assert _unmarked_text('<p>{{ _("Sign out") }}</p>{% trans %}Hello{% endtrans %}') == []


def test_choosing_the_language() -> None:
    assert i18n.choose_language("ko", "id") == "ko"
    assert i18n.choose_language("xx", "id-ID,id;q=0.9,en;q=0.8") == "id"
    assert i18n.choose_language(None, "fr-FR, ko;q=0.5, en;q=0.4") == "ko"
    assert i18n.choose_language(None, "in") == "id"
    assert i18n.choose_language(None, "ko;q=0") == "en"
    assert i18n.choose_language(None, None) == "en"


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_any_header_gives_a_known_language(cookie: str | None, header: str | None) -> None:
    assert i18n.choose_language(cookie, header) in i18n.LANGUAGES


def test_dates_and_numbers_follow_the_language() -> None:
    day = dt.date(2026, 11, 26)
    with i18n.use_language("en"):
        assert i18n.format_day(day) == "Nov 26, 2026"
        assert i18n.format_number(1234567.5, 1) == "1,234,567.5"
    with i18n.use_language("ko"):
        assert i18n.format_day(day) == "2026. 11. 26."
        assert i18n.gettext("Sign out") == "로그아웃"
    with i18n.use_language("id"):
        assert i18n.format_day(day) == "26 Nov 2026"
        assert i18n.format_number(1234567.5, 1) == "1.234.567,5"
        assert i18n.format_share(0.253) == "25,3%"
        assert i18n.gettext("Sign out") == "Keluar"
        assert i18n.gettext("A text nobody translated") == "A text nobody translated"
    assert i18n.current_language() == "en"


def test_pages_in_korean_and_indonesian(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> None:
    headers = {**HTML, **login(make_user(Role.EOC_OFFICER, "THA"))}
    english = client.get("/eoc", headers=headers).text
    assert '<html lang="en">' in english and ">Meetings</a>" in english
    switched = client.get("/language/ko?next=/eoc", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/eoc"
    assert "hb_lang=ko" in switched.headers["set-cookie"]
    client.cookies.set(i18n.LANGUAGE_COOKIE, "ko")
    korean = client.get("/eoc", headers=headers).text
    assert '<html lang="ko">' in korean
    assert ">회의</a>" in korean and "로그아웃" in korean and "비상대응센터 담당관" in korean
    client.cookies.delete(i18n.LANGUAGE_COOKIE)
    indonesian = client.get("/eoc", headers={**headers, "accept-language": "id-ID,id"}).text
    assert '<html lang="id">' in indonesian and ">Pertemuan</a>" in indonesian
    assert client.get("/language/fr", follow_redirects=False).status_code == 404
    away = client.get("/language/id?next=//evil.example", follow_redirects=False)
    assert away.headers["location"] == "/"


def test_refusals_are_told_in_the_users_language(client: TestClient) -> None:
    client.cookies.set(i18n.LANGUAGE_COOKIE, "ko")
    form = client.get("/login", headers=HTML).text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert nonce is not None
    wrong = client.post(
        "/login",
        data={"email": "nobody@example.org", "password": "wrong", "csrf_token": nonce.group(1)},
        headers=HTML,
    )
    assert "이메일 또는 비밀번호가 올바르지 않습니다." in wrong.text
    client.cookies.set(i18n.LANGUAGE_COOKIE, "id")
    missing = client.get("/no/such/page", headers=HTML)
    assert missing.status_code == 404 and "Tidak ditemukan" in missing.text
