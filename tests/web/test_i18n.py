"""The interface's languages: the catalogues are complete and up to date, the language of a
request (cookie, Accept-Language), the switch that remembers it, pages rendered in Korean and
Indonesian, dates and numbers per locale, and no unmarked text in the translated templates."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import ClassVar

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from healthbridge import language as request_language
from healthbridge.accounts.models import User
from healthbridge.policy import Role
from healthbridge.web import i18n
from healthbridge.web.i18n_catalogues import extract_catalogue, merged, render_po

PACKAGE = Path(str(resources.files("healthbridge")))
TRANSLATED = ("ko", "id")
#: Every template of the interface: all their text goes through the catalogue.
TEMPLATES = sorted(
    path.relative_to(PACKAGE / "templates").as_posix()
    for path in (PACKAGE / "templates").rglob("*.html")
)
HTML = {"accept": "text/html"}


@cache
def _template() -> Catalog:
    return extract_catalogue(PACKAGE)


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
    # A template that holds only attributes (included inside a tag) is no text either.
    text = re.sub(r'\b[\w:-]+="[^"]*"', " ", text)
    for chunk in re.split(r"\s{2,}|\n", text):
        chunk = chunk.strip()
        # Names are not translated: the product's, and the API's.
        if re.search(r"[A-Za-z]{2,}", re.sub(r"\b(HealthBridge|API)\b", "", chunk)):
            found.append(chunk)
    return found


def test_every_template_is_checked() -> None:
    assert len(TEMPLATES) > 80 and "eoc/event.html" in TEMPLATES


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_have_no_unmarked_text(name: str) -> None:
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


def test_reference_names_follow_the_language() -> None:
    thailand = {"name_en": "Thailand", "names": {"ko": "태국", "id": "Thailand"}}

    class Disease:
        name_en = "Measles"
        names: ClassVar[dict[str, str]] = {"ko": "홍역", "id": "Campak"}

    with i18n.use_language("ko"):
        assert i18n.localname(thailand) == "태국"
        assert i18n.localname(Disease()) == "홍역"
        assert request_language.localized({}, "Cholera") == "Cholera"
    with i18n.use_language("id"):
        assert i18n.localname(Disease()) == "Campak"
    assert i18n.localname(Disease()) == "Measles"
    assert request_language.localized({"ko": "홍역"}, "Measles", "ko") == "홍역"


def test_the_language_holds_for_the_whole_request(
    client: TestClient, make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> None:
    """Page modules and services (country names of the map) see the request's language."""
    headers = {**HTML, **login(make_user(Role.VIEWER, None))}
    client.cookies.set(i18n.LANGUAGE_COOKIE, "ko")
    korean = client.get("/situation/panels/map", headers=headers).text
    assert "태국" in korean and "베트남" in korean and ">Thailand<" not in korean
    client.cookies.delete(i18n.LANGUAGE_COOKIE)
    english = client.get("/situation/panels/map", headers=headers).text
    assert "Thailand" in english and "태국" not in english


@pytest.mark.parametrize(
    ("code", "forms", "samples"),
    [
        ("th", 1, {1: 0, 2: 0, 11: 0}),
        ("vi", 1, {1: 0, 5: 0}),
        ("ms", 1, {1: 0, 5: 0}),
        ("km", 1, {1: 0, 5: 0}),
        ("lo", 1, {1: 0, 5: 0}),
        ("my", 1, {1: 0, 5: 0}),
        ("tet", 2, {1: 0, 2: 1}),
        ("fil", 2, {1: 0, 2: 0, 3: 0, 4: 1, 6: 1, 9: 1, 10: 0, 14: 1}),
    ],
)
def test_catalogues_for_the_other_languages_of_the_region(
    code: str, forms: int, samples: dict[int, int]
) -> None:
    """A new language's catalogue states its plural rule, and the loader follows it."""
    started = merged(_template(), None, code)
    assert started.num_plurals == forms
    text = render_po(started)
    # Babel writes the rule it knows (Tetum's is gettext's default: no header needed).
    assert f"nplurals={forms};".encode() in text or code == "tet"
    loaded = i18n.read_catalogue(io.BytesIO(text), code)
    assert {n: loaded.plural_rule(n) for n in samples} == samples
    assert loaded.gettext("Sign out") == "Sign out"  # untranslated: English until translated
