"""Full-text search of meeting documents, ranked, with a snippet around the matches.

One query language on both databases, that of web search engines (PostgreSQL's
``websearch_to_tsquery``): words must all occur, ``"a phrase"`` in that order, ``or`` between
alternatives, ``-word`` excluded. On PostgreSQL the query runs against the GIN index
``ix_documents_search`` and is ranked with ``ts_rank``; on SQLite it is translated into an FTS5
query against ``documents_fts`` and ranked with BM25 (titles weigh more than text).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from healthbridge.cooperation.meetings.models import SEARCH_VECTOR_SQL, Document, Meeting
from healthbridge.paging import PageRequest
from healthbridge.policy import Action, Principal, authorize

#: Private-use characters around the matches in raw snippets; documents never contain them
#: (text extraction removes them), so they can be told apart from the text.
MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_TOKENS = 24
#: FTS5's BM25 weights of the columns (title, text).
TITLE_WEIGHT, TEXT_WEIGHT = 4.0, 1.0
_HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
#: The SQLite FTS5 table (created by the migration; no model describes it).
_FTS = table("documents_fts", column("rowid"), column("title"), column("text"))
_FTS_NAME: ColumnClause[Any] = literal_column("documents_fts")
_TERM = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class Hit:
    """A document found, its rank (higher is better) and a snippet (HTML, matches marked)."""

    document: Document
    rank: float | None
    snippet_html: str | None
    meeting_title: str | None


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def index_document(*, session: Session, document: Document) -> None:
    """Put a document's title and text into the search index (SQLite keeps its own copy)."""
    if not _sqlite(session):
        return  # PostgreSQL indexes the row itself
    params = {"id": document.id, "title": document.title, "text": document.text or ""}
    session.execute(text("DELETE FROM documents_fts WHERE rowid = :id"), {"id": document.id})
    session.execute(
        text("INSERT INTO documents_fts (rowid, title, text) VALUES (:id, :title, :text)"), params
    )


def rebuild_index(*, session: Session) -> int:
    """Rebuild the SQLite search index from the documents table; the number indexed."""
    if not _sqlite(session):
        return 0
    session.execute(text("DELETE FROM documents_fts"))
    session.execute(
        text(
            "INSERT INTO documents_fts (rowid, title, text) "
            "SELECT id, title, coalesce(text, '') FROM documents"
        )
    )
    return session.scalar(select(func.count()).select_from(Document)) or 0


def _quoted(term: str) -> str | None:
    if not _WORD.search(term):
        return None  # punctuation only: FTS5 would find no token in it
    return '"' + term.replace('"', '""') + '"'


def fts5_query(q: str) -> str | None:
    """The FTS5 query for a web-search style query, or ``None`` when it asks for nothing.

    >>> fts5_query('dialogue "health security" or biomanufacturing -covid')
    '"dialogue" ("health security" OR "biomanufacturing") NOT "covid"'
    """
    clauses: list[str] = []
    excluded: list[str] = []
    pending_or = False
    for match in _TERM.finditer(q):
        phrase, word = match.group(1), match.group(2)
        if word is not None and word.lower() == "or":
            pending_or = bool(clauses)
            continue
        negative = word is not None and word.startswith("-") and len(word) > 1
        quoted = _quoted(phrase if phrase is not None else word.removeprefix("-"))
        if quoted is None:
            continue
        if negative:
            excluded.append(quoted)
        elif pending_or:
            previous = clauses.pop().removeprefix("(").removesuffix(")")
            clauses.append(f"({previous} OR {quoted})")
        else:
            clauses.append(quoted)
        pending_or = False
    if not clauses:
        return None
    return " ".join(clauses) + "".join(f" NOT {term}" for term in excluded)


def snippet_html(raw: str | None) -> str | None:
    """A raw snippet as HTML: the text escaped, the matches in ``<mark>``."""
    if raw is None:
        return None
    return html.escape(raw).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _leading_text(document: Document, length: int = 240) -> str | None:
    text_ = (document.text or "").strip()
    if not text_:
        return None
    return html.escape(text_[:length] + ("…" if len(text_) > length else ""))


def _filters(meeting_id: int | None, kind: str | None) -> list[Any]:
    conditions: list[Any] = []
    if meeting_id is not None:
        conditions.append(Document.meeting_id == meeting_id)
    if kind:
        conditions.append(Document.kind == kind)
    return conditions


def _meeting_titles(session: Session, documents: Sequence[Document]) -> dict[int, str]:
    ids = {d.meeting_id for d in documents if d.meeting_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Meeting.id, Meeting.title).where(Meeting.id.in_(ids)))
    return {row.id: row.title for row in rows}


def _hits(session: Session, ranked: Sequence[tuple[int, float | None, str | None]]) -> list[Hit]:
    ids = [row[0] for row in ranked]
    documents = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}
    titles = _meeting_titles(session, list(documents.values()))
    return [
        Hit(
            document=documents[id_],
            rank=rank,
            snippet_html=snippet_html(raw),
            meeting_title=titles.get(documents[id_].meeting_id or 0),
        )
        for id_, rank, raw in ranked
        if id_ in documents
    ]


def _search_sqlite(
    session: Session, query: str, page: PageRequest, conditions: list[Any]
) -> tuple[list[tuple[int, float | None, str | None]], int]:
    fts = query and fts5_query(query)
    if not fts:
        return [], 0
    # FTS5 names the table itself for MATCH, bm25() and snippet().
    matches = _FTS_NAME.op("MATCH")(bindparam("fts", fts))
    joined = select(Document.id).join(_FTS, _FTS.c.rowid == Document.id).where(matches, *conditions)
    total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    score = func.bm25(_FTS_NAME, TITLE_WEIGHT, TEXT_WEIGHT)
    snippet = func.snippet(_FTS_NAME, -1, MARK_START, MARK_END, "…", SNIPPET_TOKENS)
    rows = session.execute(
        joined.add_columns(score.label("score"), snippet.label("snippet"))
        .order_by(score, Document.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return [(row.id, -float(row.score), row.snippet) for row in rows], total


def _search_postgresql(
    session: Session, query: str, page: PageRequest, conditions: list[Any]
) -> tuple[list[tuple[int, float | None, str | None]], int]:
    tsquery = func.websearch_to_tsquery(literal_column("'simple'::regconfig"), query)
    vector: ColumnClause[Any] = literal_column(SEARCH_VECTOR_SQL)
    matching = select(Document.id).where(vector.op("@@")(tsquery), *conditions)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    rank = func.ts_rank(vector, tsquery)
    rows = session.execute(
        matching.add_columns(rank.label("rank"))
        .order_by(rank.desc(), Document.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    ids = [row.id for row in rows]
    # Headlines are costly: made for the page's rows only.
    headline = func.ts_headline(
        literal_column("'simple'::regconfig"),
        func.coalesce(func.nullif(Document.text, ""), Document.title),
        tsquery,
        _HEADLINE_OPTIONS,
    )
    headlines: dict[int, str] = {
        id_: headline_
        for id_, headline_ in session.execute(
            select(Document.id, headline).where(Document.id.in_(ids))
        )
    }
    return [(row.id, float(row.rank), headlines.get(row.id)) for row in rows], total


def search_documents(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    q: str | None = None,
    meeting_id: int | None = None,
    kind: str | None = None,
) -> tuple[list[Hit], int]:
    """Documents matching ``q`` (best first, with snippets), or every document (newest first)."""
    authorize(actor, Action.COOPERATION_READ)
    conditions = _filters(meeting_id, kind)
    query = (q or "").strip()
    if not query:
        listed = select(Document).where(*conditions)
        total = session.scalar(select(func.count()).select_from(listed.subquery())) or 0
        documents = session.scalars(
            listed.order_by(Document.uploaded_at.desc(), Document.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        ).all()
        titles = _meeting_titles(session, documents)
        return [
            Hit(d, None, _leading_text(d), titles.get(d.meeting_id or 0)) for d in documents
        ], total
    run = _search_sqlite if _sqlite(session) else _search_postgresql
    ranked, total = run(session, query, page, conditions)
    return _hits(session, ranked), total
