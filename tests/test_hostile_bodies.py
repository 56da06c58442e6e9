"""Oversized and compressed uploads (issue #8): every upload family (weekly CSV, DHIS2 JSON,
case CSV / FHIR bundle, IATI XML, GHO CSV) refuses a body over ``max_body_bytes`` with a 413
problem+json, declared or streamed, and a gzip bomb (``Content-Encoding: gzip``) with a 415,
and stores nothing: not a row, not an audit entry.

No upload takes a ZIP or gzip file; the one archive HealthBridge reads is a backup, whose
restore refuses a ZIP bomb before inflating it past a bound."""

from __future__ import annotations

import gzip
import json
import resource
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.cooperation.projects.payloads import IDENTIFIER, project_payload

from healthbridge import backup
from healthbridge.accounts.models import User
from healthbridge.audit.models import AuditEntry
from healthbridge.cooperation.projects.models import Project
from healthbridge.cooperation.uhc.models import UhcObservation
from healthbridge.policy import Role, operator_principal
from healthbridge.surveillance.models import CaseImportBatch, CaseReport, WeeklyCount
from problem_assertions import assert_problem

LIMIT = 8 * 1024
STORED = (WeeklyCount, CaseReport, CaseImportBatch, Project, UhcObservation, AuditEntry)


def weekly_csv(rows: int) -> bytes:
    lines = ["country,area,disease,week,cases,deaths"]
    lines += [f"THA,,dengue,{2010 + i // 52}-W{i % 52 + 1:02d},{i},0" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def dhis2_files(values: int) -> dict[str, Any]:
    mapping = {
        "dataElements": {"deDengueCas": {"disease": "dengue", "measure": "cases"}},
        "orgUnits": {"ouThailand1": {"country": "THA", "area": None}},
    }
    data = {
        "dataValues": [
            {
                "dataElement": "deDengueCas",
                "period": f"{2010 + i // 52}W{i % 52 + 1}",
                "orgUnit": "ouThailand1",
                "value": str(i),
            }
            for i in range(values)
        ]
    }
    return {
        "file": ("values.json", json.dumps(data).encode(), "application/json"),
        "mapping": ("mapping.json", json.dumps(mapping).encode(), "application/json"),
    }


def cases_csv(cases: int) -> bytes:
    lines = ["country,case_id,disease,classification,report_date"]
    lines += [f"THA,TH-{i:05d},dengue,confirmed,2024-02-12" for i in range(cases)]
    return ("\n".join(lines) + "\n").encode()


def fhir_bundle(patients: int) -> bytes:
    entries = [
        {"resource": {"resourceType": "Patient", "id": f"p{i}", "gender": "female"}}
        for i in range(patients)
    ]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode()


def iati_xml(exported: bytes, size: int) -> bytes:
    """The exported activity file under another identifier, padded to ``size`` bytes."""
    data = exported.replace(IDENTIFIER.encode(), IDENTIFIER.replace("001", "777").encode())
    return data + b"\n" * max(0, size - len(data))


def gho_csv(rows: int) -> bytes:
    lines = ["IndicatorCode,SpatialDimValueCode,Period,FactValueNumeric"]
    lines += [
        f"UHC_INDEX_REPORTED,{['THA', 'VNM', 'IDN', 'PHL'][i // 200]},{1900 + i % 200},50"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


#: Each upload family: its path, and its multipart fields of a body of about ``size`` bytes
#: (IATI's are made in the test, from the export of a stored project).
UPLOADS: dict[str, tuple[str, Callable[[int], dict[str, Any]]]] = {
    "weekly-csv": (
        "/api/v1/weekly-counts/import",
        lambda size: {"file": ("w.csv", weekly_csv(size // 25), "text/csv")},
    ),
    "dhis2-json": ("/api/v1/weekly-counts/import/dhis2", lambda size: dhis2_files(size // 90)),
    "cases-csv": (
        "/api/v1/cases/import",
        lambda size: {"file": ("c.csv", cases_csv(size // 40), "text/csv")},
    ),
    "fhir-bundle": (
        "/api/v1/cases/import",
        lambda size: {
            "file": ("c.json", fhir_bundle(size // 70), "application/fhir+json"),
            "format": (None, b"fhir"),
        },
    ),
    "gho-csv": (
        "/api/v1/uhc-indicators/import",
        lambda size: {"file": ("uhc.csv", gho_csv(size // 30), "text/csv")},
    ),
}


@pytest.fixture
def small_app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app(max_body_bytes=LIMIT)


@pytest.fixture
def small_client(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as test_client:
        yield test_client


@pytest.fixture
def admin(make_user: Callable[..., User], login: Callable[[User], dict[str, str]]) -> Any:
    return login(make_user(Role.REGIONAL_ADMIN, None))


def stored(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in STORED
        }


def multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    """The multipart/form-data body of ``fields`` (as httpx's ``files=``), and its type."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, content, *kind) in fields.items():
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if kind:
            head += f"Content-Type: {kind[0]}\r\n"
        parts.append(head.encode() + b"\r\n" + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_oversized_and_compressed_uploads_are_refused_and_store_nothing(
    small_client: TestClient, admin: dict[str, str], session_factory: sessionmaker[Session]
) -> None:
    created = small_client.post("/api/v1/projects", headers=admin, json=project_payload())
    assert created.status_code == 201, created.text
    exported = small_client.get("/api/v1/projects/iati.xml", headers=admin).content
    uploads = {
        **UPLOADS,
        "iati-xml": (
            "/api/v1/projects/import",
            lambda size: {"file": ("a.xml", iati_xml(exported, size), "application/xml")},
        ),
    }
    reached = {}
    for family, (path, fields_of) in uploads.items():
        # Under the limit the upload reaches its route (stored, or refused for what it says).
        small_body, small_kind = multipart(fields_of(LIMIT // 4))
        assert len(small_body) < LIMIT
        small = small_client.post(
            path, headers={**admin, "Content-Type": small_kind}, content=small_body
        )
        reached[family] = small.status_code
        before = stored(session_factory)

        body, kind = multipart(fields_of(2 * LIMIT))
        assert LIMIT < len(body) < 4 * LIMIT, family
        headers = {**admin, "Content-Type": kind}
        declared = small_client.post(path, headers=headers, content=body)
        assert str(LIMIT) in assert_problem(declared, 413)["detail"], family

        def chunks(body: bytes = body) -> Iterator[bytes]:
            for start in range(0, len(body), 1024):
                yield body[start : start + 1024]

        streamed = small_client.post(path, headers=headers, content=chunks())
        assert streamed.request.headers.get("transfer-encoding") == "chunked"
        assert str(LIMIT) in assert_problem(streamed, 413)["detail"], family

        # A small body that inflates to 200 times the limit.
        bomb = gzip.compress(small_body[:-2] + b" " * (200 * LIMIT) + small_body[-2:])
        assert len(bomb) < LIMIT
        compressed = small_client.post(
            path,
            headers={**admin, "Content-Type": small_kind, "Content-Encoding": "gzip"},
            content=bomb,
        )
        assert "Content-Encoding" in assert_problem(compressed, 415)["detail"], family
        assert stored(session_factory) == before, family
    # The small files are good ones: the limit alone refused the big ones.
    assert reached == dict.fromkeys(uploads, 200)


# --- backups: ZIP bombs ------------------------------------------------------------------------


def zip_with(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def manifest_of(*tables: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "format": backup.FORMAT,
            "format_version": backup.FORMAT_VERSION,
            "alembic_revision": "0017",
            "tables": list(tables),
        }
    ).encode()


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def test_a_manifest_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = b'{"format": "' + b" " * (backup.MAX_MANIFEST_BYTES + 1) + b'"}'
    archive = zip_with(tmp_path / "bomb.zip", {backup.MANIFEST: bomb})
    assert archive.stat().st_size < 100_000
    before = peak_kib()
    with pytest.raises(backup.BackupError, match="would inflate to") as raised:
        backup.restore_backup(cast(Engine, None), archive, actor=operator_principal("t"))
    assert peak_kib() - before < 8 * 1024  # KiB: the 16 MiB manifest was never read
    assert "manifest.json" in raised.value.detail


def test_a_table_file_bomb_is_refused_past_one_row_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "MAX_ROW_BYTES", 1024 * 1024)
    table = {"name": "t", "file": "tables/t.jsonl", "rows": 1, "sha256": "0" * 64}
    archive = zip_with(
        tmp_path / "bomb.zip",
        {backup.MANIFEST: manifest_of(table), "tables/t.jsonl": b"0" * (64 * 1024 * 1024)},
    )
    assert archive.stat().st_size < 200_000
    with zipfile.ZipFile(archive) as zf:
        manifest = backup.read_manifest(zf, archive)
        before = peak_kib()
        with pytest.raises(backup.BackupError, match="longer than 1,048,576 bytes"):
            backup.verify_archive(zf, manifest, archive)
        assert peak_kib() - before < 32 * 1024  # KiB: the 64 MiB line was never held whole
    # Rows up to the bound still read, a last one without its line feed as well.
    fine = zip_with(
        tmp_path / "fine.zip",
        {backup.MANIFEST: manifest_of(table), "tables/t.jsonl": b"1" * 1024 * 1024},
    )
    with zipfile.ZipFile(fine) as zf:
        lines = list(backup._lines(zf, "tables/t.jsonl", fine))
    assert [len(line) for line in lines] == [1024 * 1024]


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_members_compressed_otherwise_than_a_backup_are_refused(
    tmp_path: Path, method: int
) -> None:
    archive = zip_with(tmp_path / "other.zip", {backup.MANIFEST: manifest_of()}, method)
    with zipfile.ZipFile(archive) as zf, pytest.raises(backup.BackupError, match="method"):
        backup.read_manifest(zf, archive)
