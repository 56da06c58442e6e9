"""Case-based surveillance: case reports, their lab results, and the batches that brought them.

A case is unique by (country, the country's case id); a lab test by (country, sample id, test
type, pathogen): re-sending a file updates rows instead of adding them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("countries", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=320), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_import_batches")),
    )
    op.create_index(
        op.f("ix_case_import_batches_sha256"), "case_import_batches", ["sha256"], unique=False
    )
    op.create_table(
        "case_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("disease_code", sa.String(length=40), nullable=False),
        sa.Column("classification", sa.String(length=12), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("notification_date", sa.Date(), nullable=True),
        sa.Column("area_code", sa.String(length=10), nullable=True),
        sa.Column("age_group", sa.String(length=16), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("hospitalised", sa.Boolean(), nullable=True),
        sa.Column("travelled", sa.Boolean(), nullable=True),
        sa.Column("travel_countries", sa.String(length=120), nullable=True),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("source_format", sa.String(length=8), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('suspected', 'probable', 'confirmed')",
            name=op.f("ck_case_reports_classification_known"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('alive', 'recovered', 'died', 'unknown')",
            name=op.f("ck_case_reports_outcome_known"),
        ),
        sa.CheckConstraint(
            "sex IS NULL OR sex IN ('female', 'male', 'other', 'unknown')",
            name=op.f("ck_case_reports_sex_known"),
        ),
        sa.CheckConstraint(
            "source_format IN ('csv', 'fhir', 'api')",
            name=op.f("ck_case_reports_source_format_known"),
        ),
        sa.ForeignKeyConstraint(
            ["area_code"],
            ["subdivisions.code"],
            name=op.f("fk_case_reports_area_code_subdivisions"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["case_import_batches.id"],
            name=op.f("fk_case_reports_batch_id_case_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_case_reports_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["disease_code"], ["diseases.code"], name=op.f("fk_case_reports_disease_code_diseases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reports")),
        sa.UniqueConstraint(
            "country_code", "case_id", name=op.f("uq_case_reports_country_code_case_id")
        ),
    )
    op.create_index(op.f("ix_case_reports_area_code"), "case_reports", ["area_code"], unique=False)
    op.create_index(op.f("ix_case_reports_batch_id"), "case_reports", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_case_reports_disease_code"), "case_reports", ["disease_code"], unique=False
    )
    op.create_index(
        op.f("ix_case_reports_report_date"), "case_reports", ["report_date"], unique=False
    )
    op.create_index(
        "ix_case_reports_rollup",
        "case_reports",
        ["country_code", "disease_code", "week"],
        unique=False,
    )
    op.create_table(
        "lab_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_report_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("sample_id", sa.String(length=64), nullable=False),
        sa.Column("specimen", sa.String(length=60), nullable=True),
        sa.Column("test_type", sa.String(length=12), nullable=False),
        sa.Column("pathogen", sa.String(length=80), nullable=False),
        sa.Column("subtype", sa.String(length=60), nullable=True),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("sample_date", sa.Date(), nullable=False),
        sa.Column("result_date", sa.Date(), nullable=True),
        sa.Column("turnaround_days", sa.Integer(), nullable=True),
        sa.Column("laboratory", sa.String(length=160), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "result IN ('positive', 'negative', 'indeterminate', 'pending')",
            name=op.f("ck_lab_results_result_known"),
        ),
        sa.CheckConstraint(
            "test_type IN ('pcr', 'rdt', 'culture', 'sequencing', 'serology')",
            name=op.f("ck_lab_results_test_type_known"),
        ),
        sa.CheckConstraint(
            "result_date IS NULL OR result_date >= sample_date",
            name=op.f("ck_lab_results_result_after_sample"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["case_import_batches.id"],
            name=op.f("fk_lab_results_batch_id_case_import_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["case_report_id"],
            ["case_reports.id"],
            name=op.f("fk_lab_results_case_report_id_case_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_lab_results_country_code_countries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lab_results")),
        sa.UniqueConstraint(
            "country_code",
            "sample_id",
            "test_type",
            "pathogen",
            name=op.f("uq_lab_results_country_code_sample_id_test_type_pathogen"),
        ),
    )
    op.create_index(op.f("ix_lab_results_batch_id"), "lab_results", ["batch_id"], unique=False)
    op.create_index(
        op.f("ix_lab_results_case_report_id"), "lab_results", ["case_report_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lab_results_case_report_id"), table_name="lab_results")
    op.drop_index(op.f("ix_lab_results_batch_id"), table_name="lab_results")
    op.drop_table("lab_results")
    op.drop_index("ix_case_reports_rollup", table_name="case_reports")
    op.drop_index(op.f("ix_case_reports_report_date"), table_name="case_reports")
    op.drop_index(op.f("ix_case_reports_disease_code"), table_name="case_reports")
    op.drop_index(op.f("ix_case_reports_batch_id"), table_name="case_reports")
    op.drop_index(op.f("ix_case_reports_area_code"), table_name="case_reports")
    op.drop_table("case_reports")
    op.drop_index(op.f("ix_case_import_batches_sha256"), table_name="case_import_batches")
    op.drop_table("case_import_batches")
