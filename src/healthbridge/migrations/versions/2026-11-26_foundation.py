"""Foundation: reference data tables, accounts, tokens and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 06:21:52.895182
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=80), nullable=True),
        sa.Column("object_id", sa.String(length=200), nullable=True),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_entries_entry_hash")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entries_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_entries_country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "countries",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("alpha2", sa.String(length=2), nullable=False),
        sa.Column("numeric", sa.String(length=3), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("official_name_en", sa.String(length=200), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("local_names", sa.JSON(), nullable=False),
        sa.Column("capital", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("uses_mmwr_weeks", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_countries")),
        sa.UniqueConstraint("alpha2", name=op.f("uq_countries_alpha2")),
    )
    op.create_table(
        "diseases",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("icd10", sa.String(length=10), nullable=False),
        sa.Column("icd10_codes", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("transmission", sa.String(length=40), nullable=False),
        sa.Column("ihr_always_notifiable", sa.Boolean(), nullable=False),
        sa.Column("incubation_min_days", sa.Integer(), nullable=True),
        sa.Column("incubation_max_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_diseases")),
    )
    with op.batch_alter_table("diseases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_diseases_icd10"), ["icd10"], unique=False)

    op.create_table(
        "case_classifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["disease_code"],
            ["diseases.code"],
            name=op.f("fk_case_classifications_disease_code_diseases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_classifications")),
        sa.UniqueConstraint(
            "disease_code", "level", name=op.f("uq_case_classifications_disease_code_level")
        ),
    )
    with op.batch_alter_table("case_classifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_classifications_disease_code"), ["disease_code"], unique=False
        )

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("group_code", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_memberships_country_code_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint(
            "country_code", "group_code", name=op.f("uq_memberships_country_code_group_code")
        ),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memberships_country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "organisations",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("acronym", sa.String(length=40), nullable=True),
        sa.Column("name_en", sa.String(length=240), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["organisations.code"],
            name=op.f("fk_organisations_parent_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_organisations")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisations_country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "subdivisions",
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_subdivisions_country_code_countries"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_subdivisions")),
    )
    with op.batch_alter_table("subdivisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subdivisions_country_code"), ["country_code"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=True),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_users_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_users_organisation_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_country_code"), ["country_code"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_tokens_token_digest")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
    _forbid_audit_changes()


APPEND_ONLY_MESSAGE = "audit_entries is append-only"


def _forbid_audit_changes() -> None:
    """Refuse UPDATE and DELETE on the audit log inside the database itself."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_country_code"))

    op.drop_table("users")
    with op.batch_alter_table("subdivisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subdivisions_country_code"))

    op.drop_table("subdivisions")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_country_code"))

    op.drop_table("organisations")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_country_code"))

    op.drop_table("memberships")
    with op.batch_alter_table("case_classifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_classifications_disease_code"))

    op.drop_table("case_classifications")
    with op.batch_alter_table("diseases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_diseases_icd10"))

    op.drop_table("diseases")
    op.drop_table("countries")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_country_code"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_at"))
        batch_op.drop_index(batch_op.f("ix_audit_entries_action"))

    op.drop_table("audit_entries")
