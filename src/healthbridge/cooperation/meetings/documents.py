"""Documents of meetings: upload (idempotent by checksum), the text searched, and the content.

The content is stored in the row (``LargeBinary``), so that a document and its bytes commit or
roll back together. The text that search reads is extracted from text formats (plain, Markdown,
HTML with its tags stripped); for other formats (PDF, slides) the uploader may give it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from healthbridge.audit import service as audit
from healthbridge.cooperation.meetings import search
from healthbridge.cooperation.meetings import service as meetings
from healthbridge.cooperation.meetings.models import DOCUMENT_KINDS, Document
from healthbridge.errors import FieldError, Invalid, NotFound
from healthbridge.policy import Action, Principal, authorize

#: Formats whose text HealthBridge reads itself.
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/html"})
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
#: Control characters search has no use for (NUL in particular PostgreSQL cannot store); the
#: private-use characters are the search's own match markers.
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT_CHARACTERS = 2_000_000


@dataclass(frozen=True)
class Upload:
    """A file as it arrived, and what the uploader said about it."""

    filename: str
    content_type: str | None
    content: bytes
    kind: str
    title: str | None = None
    language: str = "en"
    text: str | None = None


class _TextOfHtml(HTMLParser):
    """The visible text of an HTML document: no tags, no scripts or styles, entities decoded."""

    SKIPPED = frozenset({"script", "style", "template", "noscript", "head"})
    BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "title"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:  # in HTML a line break in text is only a space
            self.parts.append(re.sub(r"\s+", " ", data))


def html_text(html: str) -> str:
    """The visible text of ``html``, one line per block, spaces collapsed."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def media_type_of(filename: str, declared: str | None) -> str:
    """The media type: the declared one without parameters, or guessed from the file name."""
    value = (declared or "").split(";", 1)[0].strip().lower()
    if not value or value == "application/octet-stream":
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        if filename.lower().endswith((".md", ".markdown")):
            guessed = "text/markdown"
        value = guessed or value or "application/octet-stream"
    if not MEDIA_TYPE.match(value) or len(value) > 120:
        raise Invalid(
            f"'{declared}' is not a media type",
            errors=[FieldError("file", "its Content-Type is not a media type")],
        )
    return value


def _charset(declared: str | None) -> str:
    for parameter in (declared or "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def extract_text(content: bytes, media_type: str, declared: str | None = None) -> str | None:
    """The text of a document of a text format (``None`` for other formats).

    Raises :class:`Invalid` naming ``file`` when the bytes are not text in the declared charset.
    """
    if media_type not in TEXT_TYPES:
        return None
    charset = _charset(declared)
    try:
        decoded = content.decode(charset).removeprefix("\ufeff")
    except (LookupError, UnicodeError):
        raise Invalid(
            f"the file is not {charset} text",
            errors=[FieldError("file", f"not readable as {charset} text")],
        ) from None
    if media_type == "text/html":
        decoded = html_text(decoded)
    return clean_text(decoded)


def clean_text(text: str | None) -> str | None:
    """Text without control characters, trimmed and bounded; ``None`` when nothing is left."""
    if text is None:
        return None
    text = _UNWANTED.sub("", text.replace("\r\n", "\n")).strip()
    return text[:MAX_TEXT_CHARACTERS] or None


def _filename(raw: str) -> str:
    """The last part of a file name as a browser may send it, without path or control chars."""
    name = PureWindowsPath(PurePosixPath(raw).name).name
    name = _UNWANTED.sub("", name).strip().strip(".") or "document"
    return name[-255:]


def _validated(upload: Upload) -> tuple[str, str, str]:
    """``(kind, language, title)``, or :class:`Invalid` naming every bad field."""
    errors: list[FieldError] = []
    if upload.kind not in DOCUMENT_KINDS:
        errors.append(FieldError("kind", f"one of: {', '.join(DOCUMENT_KINDS)}"))
    language = upload.language.strip() or "en"
    if not LANGUAGE.match(language) or len(language) > 16:
        errors.append(FieldError("language", "a language tag such as en, ko or id"))
    title = (upload.title or "").strip() or PurePosixPath(_filename(upload.filename)).stem
    if len(title) > 300 or _UNWANTED.search(title):
        errors.append(FieldError("title", "at most 300 characters, no control characters"))
    if upload.text and _CONTROL.search(upload.text):
        errors.append(FieldError("text", "contains a control character"))
    if not upload.content:
        errors.append(FieldError("file", "the file is empty"))
    if errors:
        raise Invalid("the document cannot be stored", errors=errors)
    return upload.kind, language, title


def add_document(
    *, session: Session, actor: Principal, meeting_id: int, upload: Upload
) -> tuple[Document, bool]:
    """Store a document of a meeting; ``(document, created)``.

    The same content (by SHA-256) uploaded again to the same meeting returns the stored document
    and stores nothing. The text searched is the ``text`` given, else the text extracted from a
    text format.
    """
    authorize(actor, Action.MEETING_WRITE, object_type="meeting", object_id=str(meeting_id))
    meeting = meetings.get_meeting(session=session, actor=actor, meeting_id=meeting_id)
    kind, language, title = _validated(upload)
    checksum = hashlib.sha256(upload.content).hexdigest()
    existing = session.scalars(
        select(Document).where(Document.meeting_id == meeting.id, Document.checksum == checksum)
    ).first()
    if existing is not None:
        return existing, False
    filename = _filename(upload.filename)
    media_type = media_type_of(filename, upload.content_type)
    given = upload.text if upload.text and upload.text.strip() else None
    text = clean_text(given) or extract_text(upload.content, media_type, upload.content_type)
    document = Document(
        meeting_id=meeting.id,
        kind=kind,
        title=title,
        language=language,
        filename=filename,
        media_type=media_type,
        size=len(upload.content),
        checksum=checksum,
        content=upload.content,
        text=text,
        uploaded_by=actor.actor_label,
    )
    session.add(document)
    session.flush()
    search.index_document(session=session, document=document)
    audit.record(
        session=session,
        actor=actor,
        action="document.upload",
        object_type="document",
        object_id=document.id,
        country=meeting.country_code,
        detail={
            "meeting_id": meeting.id,
            "kind": kind,
            "filename": filename,
            "size": document.size,
            "sha256": checksum,
        },
    )
    return document, True


def get_document(
    *, session: Session, actor: Principal, document_id: int, with_content: bool = False
) -> Document:
    """One document's metadata (and its content when asked); :class:`NotFound` when unknown."""
    authorize(actor, Action.COOPERATION_READ)
    options = [undefer(Document.content)] if with_content else []
    document = session.get(Document, document_id, options=options)
    if document is None:
        raise NotFound(f"no document with id {document_id}")
    return document
