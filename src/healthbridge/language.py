"""The language of the current request, readable from any layer (a service naming countries
for a page, a page module writing a message) without importing the web layer, and the names of
reference data in it.

The web layer sets it once per request (:mod:`healthbridge.web.i18n`'s middleware, from the
user's choice or ``Accept-Language``); everything else reads :func:`current`. English is the
source language: a reference record's ``name_en`` is its English name and ``names`` holds the
others (``{"ko": "태국", "id": "Thailand"}``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

DEFAULT_LANGUAGE = "en"

_current: ContextVar[str] = ContextVar("healthbridge_language", default=DEFAULT_LANGUAGE)


def current() -> str:
    """The language of the current request (English outside a request)."""
    return _current.get()


@contextmanager
def using(language: str) -> Iterator[None]:
    """``language`` is the current one inside the block."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def localized(names: Mapping[str, str] | None, english: str, language: str | None = None) -> str:
    """A reference record's name in ``language`` (the current one by default), else English."""
    language = language or current()
    if language == DEFAULT_LANGUAGE or not names:
        return english
    return names.get(language) or english
