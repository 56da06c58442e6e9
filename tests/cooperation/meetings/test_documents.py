"""Documents of meetings: upload rules, text extraction, and full-text search on both databases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.meetings import documents, search
from healthbridge.cooperation.meetings.documents import Upload
from healthbridge.cooperation.meetings.models import Document
from healthbridge.errors import Forbidden, Invalid, NotFound
from healthbridge.paging import PageRequest
from healthbridge.policy import Principal

MakeMeeting = Callable[..., int]


def upload(
    session: Session,
    actor: Principal,
    meeting_id: int,
    content: bytes,
    *,
    filename: str = "statement.txt",
    content_type: str | None = "text/plain",
    kind: str = "joint_statement",
    title: str | None = None,
    language: str = "en",
    text_: str | None = None,
) -> tuple[Document, bool]:
    return documents.add_document(
        session=session,
        actor=actor,
        meeting_id=meeting_id,
        upload=Upload(
            filename=filename,
            content_type=content_type,
            content=content,
            kind=kind,
            title=title,
            language=language,
            text=text_,
        ),
    )


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Document)) or 0


# --- text extraction ----------------------------------------------------------------------------


def test_html_text_drops_tags_scripts_and_decodes_entities() -> None:
    html = (
        "<html><head><title>x</title><style>p{}</style></head><body>"
        "<h1>Joint&nbsp;statement</h1><p>Health &amp; <b>dialogue</b>\n  channel</p>"
        "<script>alert('no')</script><ul><li>One</li><li>Two</li></ul></body></html>"
    )
    assert documents.html_text(html) == "Joint statement\nHealth & dialogue channel\nOne\nTwo"


@pytest.mark.parametrize(
    ("filename", "declared", "expected"),
    [
        ("a.txt", "text/plain; charset=utf-8", "text/plain"),
        ("a.md", None, "text/markdown"),
        ("a.md", "application/octet-stream", "text/markdown"),
        ("a.html", "", "text/html"),
        ("a.pdf", "Application/PDF", "application/pdf"),
        ("unknown", None, "application/octet-stream"),
    ],
)
def test_media_types(filename: str, declared: str | None, expected: str) -> None:
    assert documents.media_type_of(filename, declared) == expected


def test_a_malformed_media_type_is_refused() -> None:
    with pytest.raises(Invalid) as refused:
        documents.media_type_of("a.txt", "not a type")
    assert [e.field for e in refused.value.errors] == ["file"]


def test_text_is_decoded_in_the_declared_charset_or_refused() -> None:
    latin = "Café".encode("latin-1")
    assert documents.extract_text(latin, "text/plain", "text/plain; charset=latin-1") == "Café"
    with pytest.raises(Invalid) as refused:
        documents.extract_text(latin, "text/plain", "text/plain")
    assert [e.field for e in refused.value.errors] == ["file"]
    assert documents.extract_text(b"%PDF-1.7", "application/pdf") is None
    assert documents.extract_text("\ufeffa\x00b\r\n".encode(), "text/plain") == "ab"


# --- upload -------------------------------------------------------------------------------------


def test_upload_stores_content_checksum_and_text_and_audits(
    session: Session, secretariat: Principal, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    content = b"Joint statement\n\nWe agree on the dialogue channel."
    document, created = upload(session, secretariat, meeting_id, content, title="  ")
    session.commit()
    assert created
    fresh = documents.get_document(
        session=session, actor=secretariat, document_id=document.id, with_content=True
    )
    assert fresh.content == content
    assert fresh.checksum == hashlib.sha256(content).hexdigest()
    assert fresh.size == len(content)
    assert fresh.media_type == "text/plain"
    assert fresh.title == "statement"  # from the file name
    assert fresh.text == "Joint statement\n\nWe agree on the dialogue channel."
    assert fresh.uploaded_by == "secretariat@example.org (token)"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "document.upload")).one()
    assert entry.detail["sha256"] == fresh.checksum


def test_the_same_file_twice_is_stored_once(
    session: Session, secretariat: Principal, make_meeting: MakeMeeting
) -> None:
    meeting_id, other = make_meeting(), make_meeting(title="Other")
    first, created = upload(session, secretariat, meeting_id, b"same bytes")
    again, created_again = upload(
        session, secretariat, meeting_id, b"same bytes", filename="renamed.txt", kind="minutes"
    )
    assert created and not created_again
    assert again.id == first.id
    _, on_other_meeting = upload(session, secretariat, other, b"same bytes")
    assert on_other_meeting
    assert count(session) == 2


def test_html_and_pdf_documents_get_their_text(
    session: Session, secretariat: Principal, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    html, _ = upload(
        session,
        secretariat,
        meeting_id,
        b"<p>Primary <em>health</em> care</p>",
        filename="x.html",
        content_type="text/html",
    )
    pdf, _ = upload(
        session,
        secretariat,
        meeting_id,
        b"%PDF-1.7 binary",
        filename="slides.pdf",
        content_type="application/pdf",
        kind="presentation",
    )
    given, _ = upload(
        session,
        secretariat,
        meeting_id,
        b"%PDF-1.7 other",
        filename="minutes.pdf",
        content_type="application/pdf",
        kind="minutes",
        text_="Minutes: laboratory capacity",
    )
    assert html.text == "Primary health care"
    assert pdf.text is None
    assert given.text == "Minutes: laboratory capacity"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"kind": "poem"}, ["kind"]),
        ({"language": "English!"}, ["language"]),
        ({"content": b""}, ["file"]),
        ({"text_": "nul\x00"}, ["text"]),
        ({"kind": "poem", "language": "??"}, ["kind", "language"]),
    ],
)
def test_bad_uploads_are_refused_naming_fields(
    session: Session,
    secretariat: Principal,
    make_meeting: MakeMeeting,
    changes: dict[str, object],
    fields: list[str],
) -> None:
    meeting_id = make_meeting()
    arguments: dict[str, object] = {"content": b"text"} | changes
    content = arguments.pop("content")
    assert isinstance(content, bytes)
    with pytest.raises(Invalid) as refused:
        upload(session, secretariat, meeting_id, content, **arguments)  # type: ignore[arg-type]
    assert [e.field for e in refused.value.errors] == fields
    assert count(session) == 0


def test_upload_needs_a_writer_and_a_meeting(
    session: Session, secretariat: Principal, viewer: Principal, make_meeting: MakeMeeting
) -> None:
    meeting_id = make_meeting()
    with pytest.raises(Forbidden):
        upload(session, viewer, meeting_id, b"x")
    with pytest.raises(NotFound):
        upload(session, secretariat, meeting_id + 100, b"x")
    with pytest.raises(NotFound):
        documents.get_document(session=session, actor=viewer, document_id=12345)


# --- search -------------------------------------------------------------------------------------


def test_fts5_queries() -> None:
    assert search.fts5_query("dialogue channel") == '"dialogue" "channel"'
    assert search.fts5_query('"health security" OR lab') == '("health security" OR "lab")'
    assert search.fts5_query("a or b or c") == '("a" OR "b" OR "c")'
    assert search.fts5_query("covid -vaccine") == '"covid" NOT "vaccine"'
    assert search.fts5_query('say "no""') == '"say" "no"'
    assert search.fts5_query("-only -negative") is None
    assert search.fts5_query("!!! ...") is None
    assert search.fts5_query('x"y') == '"x""y"'
    assert search.fts5_query("or") is None


def test_snippets_are_escaped_html_with_marks() -> None:
    raw = f"<b>{search.MARK_START}dialogue{search.MARK_END}</b> & more"
    assert search.snippet_html(raw) == "&lt;b&gt;<mark>dialogue</mark>&lt;/b&gt; &amp; more"


@pytest.fixture
def library(session: Session, secretariat: Principal, make_meeting: MakeMeeting) -> dict[str, int]:
    """Three documents on two meetings, committed."""
    first, second = make_meeting(), make_meeting(title="Second meeting")
    ids = {
        "statement": upload(
            session,
            secretariat,
            first,
            b"Ministers agreed to keep the health dialogue channel and to train a "
            b"biomanufacturing workforce. <script>",
            title="Joint statement on biomanufacturing",
        )[0].id,
        "minutes": upload(
            session,
            secretariat,
            second,
            b"The dialogue on laboratories continued. A channel for data was set up.",
            title="Minutes",
            kind="minutes",
        )[0].id,
        "slides": upload(
            session,
            secretariat,
            second,
            b"%PDF",
            filename="slides.pdf",
            content_type="application/pdf",
            kind="presentation",
            title="Vaccine slides",
            text_="Vaccine security and self-reliance",
        )[0].id,
    }
    session.commit()
    return ids


def found(session: Session, actor: Principal, q: str | None, **filters: object) -> list[int]:
    hits, total = search.search_documents(
        session=session,
        actor=actor,
        page=PageRequest(),
        q=q,
        **filters,  # type: ignore[arg-type]
    )
    assert total == len(hits)
    return [hit.document.id for hit in hits]


def test_search_finds_words_in_title_and_text_on_both_databases(
    session: Session, viewer: Principal, library: dict[str, int]
) -> None:
    assert found(session, viewer, "biomanufacturing") == [library["statement"]]
    assert found(session, viewer, "BIOMANUFACTURING workforce") == [library["statement"]]
    assert found(session, viewer, "vaccine") == [library["slides"]]
    assert set(found(session, viewer, "dialogue channel")) == {
        library["statement"],
        library["minutes"],
    }
    assert found(session, viewer, '"dialogue channel"') == [library["statement"]]
    assert set(found(session, viewer, "biomanufacturing or laboratories")) == {
        library["statement"],
        library["minutes"],
    }
    assert found(session, viewer, "dialogue -laboratories") == [library["statement"]]
    assert found(session, viewer, "nothing-like-this") == []
    assert found(session, viewer, "!!!") == []
    assert found(session, viewer, "dialogue", kind="minutes") == [library["minutes"]]
    assert found(session, viewer, "dialogue", meeting_id=999) == []


def test_search_ranks_and_marks_the_matches(
    session: Session, viewer: Principal, library: dict[str, int]
) -> None:
    hits, total = search.search_documents(
        session=session, actor=viewer, page=PageRequest(), q="biomanufacturing"
    )
    assert total == 1
    [hit] = hits
    assert hit.rank is not None and hit.rank > 0
    assert hit.snippet_html is not None
    assert "<mark>biomanufacturing</mark>" in hit.snippet_html
    assert "<script>" not in hit.snippet_html
    assert hit.meeting_title == "Senior officials' meeting on health"

    # Best first.
    ranked, _ = search.search_documents(
        session=session, actor=viewer, page=PageRequest(), q="dialogue"
    )
    assert len(ranked) == 2
    assert ranked[0].rank is not None and ranked[1].rank is not None
    assert ranked[0].rank >= ranked[1].rank


def test_search_pages(session: Session, viewer: Principal, library: dict[str, int]) -> None:
    first, total = search.search_documents(
        session=session, actor=viewer, page=PageRequest(limit=1), q="dialogue"
    )
    second, _ = search.search_documents(
        session=session, actor=viewer, page=PageRequest(limit=1, offset=1), q="dialogue"
    )
    assert total == 2
    assert len(first) == len(second) == 1
    assert first[0].document.id != second[0].document.id


def test_without_a_query_every_document_is_listed_newest_first(
    session: Session, viewer: Principal, library: dict[str, int]
) -> None:
    assert found(session, viewer, None) == [
        library["slides"],
        library["minutes"],
        library["statement"],
    ]
    assert found(session, viewer, "  ", kind="presentation") == [library["slides"]]


def test_the_sqlite_index_follows_the_documents_and_can_be_rebuilt(
    session: Session, viewer: Principal, library: dict[str, int]
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        assert search.rebuild_index(session=session) == 0
        return
    indexed = session.scalar(text("SELECT count(*) FROM documents_fts"))
    assert indexed == 3
    session.execute(text("DELETE FROM documents_fts"))
    assert found(session, viewer, "biomanufacturing") == []
    assert search.rebuild_index(session=session) == 3
    assert found(session, viewer, "biomanufacturing") == [library["statement"]]
