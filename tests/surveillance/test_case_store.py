"""The bulk writer's refusal of a concurrent duplicate, whichever driver raised it (COPY and
executemany on PostgreSQL raise psycopg's errors, SQLite its own)."""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
from sqlalchemy.exc import IntegrityError

from healthbridge.surveillance.case_store import _is_integrity_error


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
        psycopg.errors.ForeignKeyViolation("insert or update violates foreign key constraint"),
        psycopg.IntegrityError("integrity"),
        sqlite3.IntegrityError("UNIQUE constraint failed: case_reports.country_code"),
        IntegrityError("INSERT", {}, Exception("unique")),
    ],
)
def test_integrity_errors_of_every_driver_are_recognised(error: Exception) -> None:
    assert _is_integrity_error(error)


@pytest.mark.parametrize(
    "error", [ValueError("x"), psycopg.errors.QueryCanceled("cancelled"), OSError("disk")]
)
def test_other_errors_are_not(error: Exception) -> None:
    assert not _is_integrity_error(error)
