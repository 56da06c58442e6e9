"""Building the message catalogues: extraction of the marked text of the templates and the
code, merging into each language's ``.po`` file, and writing them reproducibly (no dates, no
line numbers: a catalogue changes only when its messages do). Used by
``scripts/extract-messages`` and the tests; never at run time."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [
    ("**/templates/**.html", "jinja2"),
    ("**.py", "python"),
]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
#: Catalogues are dated once: their dates never change what they say.
FIXED = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


def _fresh(language: str | None = None) -> Catalog:
    catalog = Catalog(
        locale=language,
        project="HealthBridge",
        version="",
        copyright_holder="HealthBridge",
        msgid_bugs_address="",
        creation_date=FIXED,
        revision_date=FIXED,
        fuzzy=False,
    )
    return catalog


def extract_catalogue(package: Path) -> Catalog:
    """Every marked message of the package's templates and Python modules."""
    catalog = _fresh()
    found = extract_from_dir(
        str(package),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        if message in ("", ()):
            continue
        catalog.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def merged(template: Catalog, existing: bytes | None, language: str) -> Catalog:
    """``template``'s messages with the translations ``existing`` has for them."""
    known: dict[object, str | tuple[str, ...]] = {}
    if existing:
        for entry in read_po(io.BytesIO(existing), locale=language):
            if entry.id:
                string = entry.string
                known[entry.id] = (
                    tuple(str(s) for s in string)
                    if isinstance(string, (tuple, list))
                    else str(string or "")
                )
    catalog = _fresh(language)
    for entry in template:
        if not entry.id:
            continue
        empty: str | tuple[str, ...] = (
            ("",) * catalog.num_plurals if isinstance(entry.id, tuple) else ""
        )
        string = known.get(entry.id, empty)
        catalog.add(entry.id, string, entry.locations, auto_comments=entry.auto_comments)
    return catalog


def render_po(catalog: Catalog) -> bytes:
    """The ``.po`` text of ``catalog``: sorted, without locations or dates that would change."""
    out = io.BytesIO()
    write_po(out, catalog, sort_output=True, no_location=True, width=100, omit_header=False)
    # The Babel version that wrote it is no part of what it says.
    lines = out.getvalue().splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith(b'"Generated-By:'))
