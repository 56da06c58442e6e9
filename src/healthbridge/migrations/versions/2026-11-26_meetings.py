"""Meetings of the dialogue channel: series, meetings, participants, agenda and documents.

Documents are searched in full text: on SQLite through an FTS5 virtual table (``documents_fts``,
whose rowid is the document's id, kept in sync by the service), on PostgreSQL through a GIN index
on ``to_tsvector('simple', title || ' ' || text)``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_EXPRESSION = (
    "to_tsvector('simple'::regconfig, (coalesce(title, '') || ' ') || coalesce(text, ''))"
)


def _party_columns(table: str) -> list[sa.SchemaItem]:
    """A country or an organisation, each referenced by its code."""
    return [
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f(f"fk_{table}_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f(f"fk_{table}_organisation_code_organisations"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "meeting_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("meeting_type", sa.String(length=32), nullable=False),
        sa.Column("rhythm_months", sa.Integer(), nullable=False),
        sa.Column("fixed_co_chair_code", sa.String(length=3), nullable=True),
        sa.Column("rotation_rule", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fixed_co_chair_code"],
            ["countries.code"],
            name=op.f("fk_meeting_series_fixed_co_chair_code_countries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_series")),
        sa.UniqueConstraint("code", name=op.f("uq_meeting_series_code")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("meeting_type", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column("number_in_series", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("theme", sa.Text(), nullable=True),
        sa.Column("source_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"], ["meeting_series.id"], name=op.f("fk_meetings_series_id_meeting_series")
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_meetings_country_code_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("title", "starts_on", name=op.f("uq_meetings_title_starts_on")),
        sa.UniqueConstraint(
            "series_id", "number_in_series", name=op.f("uq_meetings_series_id_number_in_series")
        ),
    )
    op.create_index(op.f("ix_meetings_starts_on"), "meetings", ["starts_on"])
    op.create_index(op.f("ix_meetings_meeting_type"), "meetings", ["meeting_type"])
    op.create_index(op.f("ix_meetings_series_id"), "meetings", ["series_id"])
    op.create_index(op.f("ix_meetings_country_code"), "meetings", ["country_code"])

    participant_role = sa.Column("role", sa.String(length=20), nullable=False)
    for table, extra in (("meeting_co_chairs", []), ("meeting_participants", [participant_role])):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("meeting_id", sa.Integer(), nullable=False),
            sa.Column("position", sa.Integer(), nullable=False),
            *_party_columns(table),
            *extra,
            sa.ForeignKeyConstraint(
                ["meeting_id"], ["meetings.id"], name=op.f(f"fk_{table}_meeting_id_meetings")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        )
        op.create_index(op.f(f"ix_{table}_meeting_id"), table, ["meeting_id"])

    op.create_table(
        "meeting_delegates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        *_party_columns("meeting_delegates"),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_delegates_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_delegates")),
    )
    op.create_index(op.f("ix_meeting_delegates_meeting_id"), "meeting_delegates", ["meeting_id"])

    op.create_table(
        "meeting_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("presenter", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_agenda_items_meeting_id_meetings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_agenda_items")),
    )
    op.create_index(
        op.f("ix_meeting_agenda_items_meeting_id"), "meeting_agenda_items", ["meeting_id"]
    )

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_documents_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "meeting_id", "checksum", name=op.f("uq_documents_meeting_id_checksum")
        ),
    )
    op.create_index(op.f("ix_documents_meeting_id"), "documents", ["meeting_id"])
    op.create_index(op.f("ix_documents_checksum"), "documents", ["checksum"])

    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_documents_search",
            "documents",
            [sa.text(SEARCH_EXPRESSION)],
            postgresql_using="gin",
        )
    else:
        # The FTS5 table keeps its own copy of the searched text; its rowid is documents.id.
        op.execute(
            "CREATE VIRTUAL TABLE documents_fts USING fts5("
            "title, text, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_documents_search", table_name="documents")
    else:
        op.execute("DROP TABLE IF EXISTS documents_fts")
    op.drop_table("documents")
    op.drop_table("meeting_agenda_items")
    op.drop_table("meeting_delegates")
    op.drop_table("meeting_participants")
    op.drop_table("meeting_co_chairs")
    op.drop_table("meetings")
    op.drop_table("meeting_series")
