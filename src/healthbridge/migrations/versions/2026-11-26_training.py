"""Capacity building: training programmes, courses, trainees and completions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "training_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("organiser_code", sa.String(length=40), nullable=False),
        sa.Column("host_country_code", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["organiser_code"],
            ["organisations.code"],
            name=op.f("fk_training_programmes_organiser_code_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["host_country_code"],
            ["countries.code"],
            name=op.f("fk_training_programmes_host_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_training_programmes_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_training_programmes_commitment_id_commitments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_training_programmes_code")),
    )
    op.create_index(
        op.f("ix_training_programmes_host_country_code"),
        "training_programmes",
        ["host_country_code"],
    )
    op.create_index(
        op.f("ix_training_programmes_project_id"), "training_programmes", ["project_id"]
    )
    op.create_index(
        op.f("ix_training_programmes_commitment_id"), "training_programmes", ["commitment_id"]
    )

    op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=3), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programmes.id"],
            name=op.f("fk_training_courses_programme_id_training_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
        sa.UniqueConstraint(
            "programme_id",
            "title",
            "starts_on",
            name=op.f("uq_training_courses_programme_id_title_starts_on"),
        ),
    )
    op.create_index(op.f("ix_training_courses_programme_id"), "training_courses", ["programme_id"])

    op.create_table(
        "trainees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_trainees_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_code"],
            ["organisations.code"],
            name=op.f("fk_trainees_organisation_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainees")),
        sa.UniqueConstraint("country_code", "email", name=op.f("uq_trainees_country_code_email")),
    )
    op.create_index(op.f("ix_trainees_country_code"), "trainees", ["country_code"])

    op.create_table(
        "training_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("trainee_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("certificate_number", sa.String(length=40), nullable=True),
        sa.Column("certificate_issued_on", sa.Date(), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_enrolments_course_id_training_courses"),
        ),
        sa.ForeignKeyConstraint(
            ["trainee_id"],
            ["trainees.id"],
            name=op.f("fk_training_enrolments_trainee_id_trainees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_enrolments")),
        sa.UniqueConstraint(
            "certificate_number", name=op.f("uq_training_enrolments_certificate_number")
        ),
        sa.UniqueConstraint(
            "course_id", "trainee_id", name=op.f("uq_training_enrolments_course_id_trainee_id")
        ),
    )
    op.create_index(op.f("ix_training_enrolments_course_id"), "training_enrolments", ["course_id"])
    op.create_index(
        op.f("ix_training_enrolments_trainee_id"), "training_enrolments", ["trainee_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_training_enrolments_trainee_id"), table_name="training_enrolments")
    op.drop_index(op.f("ix_training_enrolments_course_id"), table_name="training_enrolments")
    op.drop_table("training_enrolments")
    op.drop_index(op.f("ix_trainees_country_code"), table_name="trainees")
    op.drop_table("trainees")
    op.drop_index(op.f("ix_training_courses_programme_id"), table_name="training_courses")
    op.drop_table("training_courses")
    op.drop_index(op.f("ix_training_programmes_commitment_id"), table_name="training_programmes")
    op.drop_index(op.f("ix_training_programmes_project_id"), table_name="training_programmes")
    op.drop_index(
        op.f("ix_training_programmes_host_country_code"), table_name="training_programmes"
    )
    op.drop_table("training_programmes")
