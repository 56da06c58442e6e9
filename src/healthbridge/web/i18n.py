"""The interface's languages: message catalogues (gettext ``.po`` files read with Babel), the
language of the current request, and dates and numbers formatted for it.

The catalogues live in ``healthbridge/locale/<language>/LC_MESSAGES/messages.po`` (English is
the source language and needs none); ``scripts/extract-messages`` collects the marked strings
of the templates and the Python code into ``locale/messages.pot`` and merges them into each
catalogue. They are read once, at first use, straight from the ``.po`` files: nothing to compile.

The language of a request is the one the user chose (the ``hb_lang`` cookie, set by
``/language/{code}``), else the best match of the browser's ``Accept-Language``, else English.
:func:`use_language` sets it for the rendering of one page; templates call ``_()`` /
``ngettext()`` and the filters ``date`` and ``number``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from gettext import c2py
from importlib import resources
from typing import IO

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from starlette.types import ASGIApp, Receive, Scope, Send

from healthbridge import language as current_request

#: The languages of the interface: code → the language's own name (shown in the switch).
LANGUAGES: dict[str, str] = {"en": "English", "ko": "한국어", "id": "Bahasa Indonesia"}
DEFAULT_LANGUAGE = current_request.DEFAULT_LANGUAGE
#: The cookie that remembers the user's choice (a year).
LANGUAGE_COOKIE = "hb_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class Catalogue:
    """One language's translations: msgid → msgstr, and plural forms."""

    language: str
    messages: dict[str, str]
    plurals: dict[str, tuple[str, ...]]
    plural_rule: Callable[[int], int]

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get(singular)
        if forms:
            index = self.plural_rule(n)
            if 0 <= index < len(forms) and forms[index]:
                return forms[index]
        return singular if n == 1 else plural


def catalogue_path(language: str) -> str:
    """Where ``language``'s ``.po`` file is, inside the package."""
    return f"locale/{language}/LC_MESSAGES/messages.po"


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of ``language`` (empty for English and for a language without one)."""
    source = resources.files("healthbridge").joinpath(catalogue_path(language))
    if language == DEFAULT_LANGUAGE or not source.is_file():
        return Catalogue(language, {}, {}, lambda n: 0 if n == 1 else 1)
    with source.open("rb") as handle:
        return read_catalogue(handle, language)


def read_catalogue(handle: IO[bytes], language: str) -> Catalogue:
    """A catalogue from the ``.po`` text in ``handle``; its plural rule is the one its header
    states (``Plural-Forms``, as Babel writes it for each language: one form for Korean,
    Indonesian, Thai, Vietnamese, Lao, Khmer, Burmese and Malay, two for Tetum, Filipino's rule)."""
    parsed = read_po(handle, locale=language)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for entry in parsed:
        if not entry.id or entry.fuzzy:
            continue
        if isinstance(entry.id, tuple):
            forms = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            plurals[entry.id[0]] = tuple(str(f) for f in forms)
        elif entry.string:
            messages[str(entry.id)] = str(entry.string)
    rule: Callable[[int], int] = c2py(parsed.plural_expr)
    return Catalogue(language, messages, plurals, rule)


def current_language() -> str:
    """The language pages are being rendered in."""
    return current_request.current()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Render in ``language`` inside the block."""
    with current_request.using(language if language in LANGUAGES else DEFAULT_LANGUAGE):
        yield


def gettext(message: str) -> str:
    """``message`` in the current language (itself when it has no translation)."""
    return catalogue(current_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular`` / ``plural`` for ``n``, in the current language."""
    return catalogue(current_language()).ngettext(singular, plural, n)


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice if known, else the best match of ``Accept-Language``, else English."""
    if cookie in LANGUAGES:
        return cookie
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("in",):  # the old code of Indonesian
            primary = "id"
        if primary in LANGUAGES and weight > 0:
            ranked.append((-weight, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def localname(record: object) -> str:
    """A reference record's name (country, disease: ``name_en`` and ``names``, as attributes or
    keys) in the current language; the template filter ``localname``."""
    if isinstance(record, dict):
        names, english = record.get("names"), record.get("name_en")
    else:
        names, english = getattr(record, "names", None), getattr(record, "name_en", None)
    return current_request.localized(names, str(english if english is not None else ""))


class LanguageMiddleware:
    """Sets the language of each HTTP request (cookie, else ``Accept-Language``) for all that
    handles it: page modules, services naming reference data, error pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = accept = None
        for name, value in scope.get("headers", ()):
            if name == b"accept-language":
                accept = value.decode("latin-1")
            elif name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, item = part.strip().partition("=")
                    if key == LANGUAGE_COOKIE:
                        cookie = item.strip()
        with current_request.using(choose_language(cookie, accept)):
            await self.app(scope, receive, send)


def _locale() -> Locale:
    return Locale.parse(current_language())


def format_day(value: dt.date | dt.datetime | None, form: str = "medium") -> str:
    """A date (or the date of a time) as the current language writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, format=form, locale=_locale(), tzinfo=dt.UTC)
    return format_date(value, format=form, locale=_locale())


def format_number(value: float | int | None, digits: int | None = None) -> str:
    """A number with the current language's separators (``digits`` decimals when given)."""
    if value is None:
        return ""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def format_share(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage in the current language (0.253 → 25.3 %)."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=_locale())
