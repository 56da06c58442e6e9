"""UHC progress: the indicators we track (loaded here) and each country's values by year.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The indicator definitions as shipped in cooperation/uhc/data/indicators.json on this date,
#: frozen here so that this revision always builds the same database.
INDICATORS: list[dict[str, Any]] = [
    {
        "code": "UHC_INDEX_REPORTED",
        "name": "UHC service coverage index",
        "short_name": "UHC service coverage index",
        "sdg_target": "3.8",
        "sdg_indicator": "3.8.1",
        "unit": "index (0–100)",
        "min_value": 0,
        "max_value": 100,
        "higher_is_better": True,
        "position": 1,
        "description": (
            "Coverage of essential health services: the geometric mean of 14 tracer "
            "indicators of reproductive, maternal, newborn and child health, infectious "
            "diseases, noncommunicable diseases, and service capacity and access. WHO "
            "reports it every two years."
        ),
    },
    {
        "code": "FINPROTECTION_CATA_TOT_10_POP",
        "name": (
            "Population with household spending on health greater than 10% of total "
            "household budget or income"
        ),
        "short_name": "Catastrophic spending above 10%",
        "sdg_target": "3.8",
        "sdg_indicator": "3.8.2",
        "unit": "% of population",
        "min_value": 0,
        "max_value": 100,
        "higher_is_better": False,
        "position": 2,
        "description": (
            "Share of the population living in households whose out-of-pocket health "
            "spending exceeds 10% of their total consumption or income. Measured from "
            "household surveys, so years vary by country."
        ),
    },
    {
        "code": "FINPROTECTION_CATA_TOT_25_POP",
        "name": (
            "Population with household spending on health greater than 25% of total "
            "household budget or income"
        ),
        "short_name": "Catastrophic spending above 25%",
        "sdg_target": "3.8",
        "sdg_indicator": "3.8.2",
        "unit": "% of population",
        "min_value": 0,
        "max_value": 100,
        "higher_is_better": False,
        "position": 3,
        "description": (
            "Share of the population living in households whose out-of-pocket health "
            "spending exceeds 25% of their total consumption or income. Measured from "
            "household surveys, so years vary by country."
        ),
    },
    {
        "code": "GHED_OOPSCHE_SHA2011",
        "name": "Out-of-pocket expenditure as percentage of current health expenditure",
        "short_name": "Out-of-pocket share of health spending",
        "sdg_target": "3.8",
        "sdg_indicator": None,
        "unit": "% of current health expenditure",
        "min_value": 0,
        "max_value": 100,
        "higher_is_better": False,
        "position": 4,
        "description": (
            "Share of current health expenditure paid directly by households at the point "
            "of use, from the WHO Global Health Expenditure Database (System of Health "
            "Accounts 2011)."
        ),
    },
    {
        "code": "HWF_0001",
        "name": "Medical doctors (per 10 000 population)",
        "short_name": "Medical doctors per 10,000",
        "sdg_target": "3.c",
        "sdg_indicator": "3.c.1",
        "unit": "per 10,000 population",
        "min_value": 0,
        "max_value": 1000,
        "higher_is_better": True,
        "position": 5,
        "description": (
            "Density of medical doctors (generalists and specialists), from the National "
            "Health Workforce Accounts. Values above 1,000 per 10,000 (one person in ten) "
            "are refused as implausible."
        ),
    },
    {
        "code": "HWF_0006",
        "name": "Nursing and midwifery personnel (per 10 000 population)",
        "short_name": "Nurses and midwives per 10,000",
        "sdg_target": "3.c",
        "sdg_indicator": "3.c.1",
        "unit": "per 10,000 population",
        "min_value": 0,
        "max_value": 1000,
        "higher_is_better": True,
        "position": 6,
        "description": (
            "Density of nursing and midwifery personnel, from the National Health Workforce "
            "Accounts. Values above 1,000 per 10,000 (one person in ten) are refused as "
            "implausible."
        ),
    },
    {
        "code": "WHS4_100",
        "name": (
            "Diphtheria tetanus toxoid and pertussis (DTP3) immunization coverage among "
            "1-year-olds (%)"
        ),
        "short_name": "DTP3 immunisation coverage",
        "sdg_target": "3.b",
        "sdg_indicator": "3.b.1",
        "unit": "% of 1-year-olds",
        "min_value": 0,
        "max_value": 100,
        "higher_is_better": True,
        "position": 7,
        "description": (
            "Share of surviving infants who received the third dose of a diphtheria, "
            "tetanus and pertussis containing vaccine, from the WHO/UNICEF estimates of "
            "national immunization coverage (WUENIC)."
        ),
    },
]


def upgrade() -> None:
    indicators = op.create_table(
        "uhc_indicators",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("short_name", sa.String(length=80), nullable=False),
        sa.Column("sdg_target", sa.String(length=10), nullable=False),
        sa.Column("sdg_indicator", sa.String(length=10), nullable=True),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=False),
        sa.Column("max_value", sa.Float(), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_uhc_indicators")),
    )
    op.create_table(
        "uhc_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=3), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_uhc_observations_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["uhc_indicators.code"],
            name=op.f("fk_uhc_observations_indicator_code_uhc_indicators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uhc_observations")),
        sa.UniqueConstraint(
            "country_code",
            "indicator_code",
            "year",
            name=op.f("uq_uhc_observations_country_code_indicator_code_year"),
        ),
    )
    with op.batch_alter_table("uhc_observations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_uhc_observations_country_code"), ["country_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_uhc_observations_indicator_code"), ["indicator_code"], unique=False
        )
    op.bulk_insert(indicators, INDICATORS)


def downgrade() -> None:
    with op.batch_alter_table("uhc_observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uhc_observations_indicator_code"))
        batch_op.drop_index(batch_op.f("ix_uhc_observations_country_code"))
    op.drop_table("uhc_observations")
    op.drop_table("uhc_indicators")
