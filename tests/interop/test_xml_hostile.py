"""Hostile XML (issue #8): every XML HealthBridge parses refuses external entities, DTDs with
entities (billion laughs, quadratic blow-up), external DTDs and XInclude, with a clear error;
no local file is ever read into a document, and nothing expands.

The parses are ``iati_import.parse`` (IATI uploads, ``POST /projects/import`` and the CLI) and
``cap.validate_cap`` (CAP alerts); the XSDs are HealthBridge's own shipped files.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts.models import User
from healthbridge.cooperation.projects.models import Project
from healthbridge.errors import Invalid
from healthbridge.interop import cap, iati_import
from healthbridge.policy import Role
from problem_assertions import assert_problem

SECRET = "TOP-SECRET-7f3a9c-do-not-leak"
IATI_ROOT = b'<iati-activities version="2.03">{body}</iati-activities>'
CAP_ROOT = b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">{body}</alert>'
#: How much more memory (peak resident size, KiB) refusing one hostile file may take.
MEMORY_BOUND_KIB = 64 * 1024


@pytest.fixture
def secret_files(tmp_path: Path) -> dict[str, Path]:
    """A local file with a secret, and a DTD that would put it into an entity if loaded."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak "{SECRET}">\n<!ENTITY file SYSTEM "{secret.as_uri()}">\n')
    return {"secret": secret, "dtd": dtd}


def payloads(files: dict[str, Path], root: bytes) -> dict[str, bytes]:
    """Every attack, its root element shaped as ``root`` (IATI's or CAP's)."""
    secret, dtd = files["secret"].as_uri(), files["dtd"].as_uri()
    name = b"iati-activities" if root.startswith(b"<iati") else b"alert"

    def doc(subset: str, body: str = "", system: str = "") -> bytes:
        doctype = b"<!DOCTYPE " + name
        if system:
            doctype += f' SYSTEM "{system}"'.encode()
        if subset:
            doctype += b" [" + subset.encode() + b"]"
        head = b'<?xml version="1.0" encoding="UTF-8"?>\n' + doctype + b">\n"
        return head + root.replace(b"{body}", body.encode())

    laughs = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 11)
    )
    return {
        "xxe-file": doc(f'<!ENTITY xxe SYSTEM "{secret}">', "&xxe;"),
        "xxe-parameter-entity": doc(f'<!ENTITY % ext SYSTEM "{dtd}"> %ext;', "&leak;&file;"),
        "external-dtd": doc("", "&leak;&file;", system=dtd),
        "external-dtd-public": (
            b'<?xml version="1.0"?>\n<!DOCTYPE '
            + name
            + f' PUBLIC "-//EVIL//DTD x//EN" "{dtd}">\n'.encode()
            + root.replace(b"{body}", b"&leak;")
        ),
        "xxe-network": doc('<!ENTITY net SYSTEM "http://127.0.0.1:9/leak">', "&net;"),
        "billion-laughs": doc(laughs, "&l10;"),
        "quadratic-blowup": doc(f'<!ENTITY a "{"A" * 50_000}">', "&a;" * 20_000),
        "empty-doctype": doc(""),
    }


def refuse_each(
    read: Callable[[bytes], Any], documents: dict[str, bytes], field: str
) -> dict[str, Invalid]:
    """Every document refused with an ``Invalid`` naming ``field``, the secret nowhere in it,
    within a bounded amount of memory."""
    refused: dict[str, Invalid] = {}
    for attack, data in documents.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with pytest.raises(Invalid) as raised:
            read(data)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        assert grown < MEMORY_BOUND_KIB, f"{attack}: {grown} KiB more at peak"
        error = raised.value
        assert error.errors and error.errors[0].field == field, (attack, error.errors)
        text = error.detail + "".join(e.message for e in error.errors)
        assert SECRET not in text, attack
        assert "hahaha" not in text and "AAAA" not in text, attack
        refused[attack] = error
    return refused


def test_iati_files_with_a_doctype_are_refused_and_nothing_is_read(
    secret_files: dict[str, Path],
) -> None:
    refused = refuse_each(iati_import.parse, payloads(secret_files, IATI_ROOT), "file")
    for attack, error in refused.items():
        assert "DOCTYPE" in error.detail, (attack, error.detail)
        assert error.errors[0].row == 1


def test_cap_alerts_with_a_doctype_are_refused_and_nothing_is_read(
    secret_files: dict[str, Path],
) -> None:
    refused = refuse_each(cap.validate_cap, payloads(secret_files, CAP_ROOT), "alert")
    for attack, error in refused.items():
        assert "DOCTYPE" in error.detail, (attack, error.detail)


def test_an_undeclared_entity_is_not_well_formed_and_xinclude_is_never_processed(
    secret_files: dict[str, Path],
) -> None:
    """Without a DOCTYPE an entity is simply undefined; an XInclude stays an element."""
    secret = secret_files["secret"].as_uri()
    with pytest.raises(Invalid, match="not well-formed"):
        iati_import.parse(IATI_ROOT.replace(b"{body}", b"&leak;"))
    xinclude = (
        f'<iati-activities version="2.03" xmlns:xi="http://www.w3.org/2001/XInclude">'
        f'<xi:include href="{secret}" parse="text"/></iati-activities>'
    ).encode()
    document = iati_import.parse(xinclude)
    from lxml import etree

    assert SECRET.encode() not in etree.tostring(document)


def test_a_hostile_iati_upload_is_a_422_problem_that_stores_nothing(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    session_factory: sessionmaker[Session],
    secret_files: dict[str, Path],
) -> None:
    editor = login(make_user(Role.SECRETARIAT, None))
    documents = payloads(secret_files, IATI_ROOT)
    for attack in ("xxe-file", "xxe-parameter-entity", "external-dtd", "billion-laughs"):
        response = client.post(
            "/api/v1/projects/import",
            files={"file": ("activities.xml", documents[attack], "application/xml")},
            headers=editor,
        )
        body = assert_problem(response, 422)
        assert "DOCTYPE" in body["detail"], attack
        assert SECRET not in response.text, attack
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 0


def test_deeply_nested_xml_is_refused_without_recursing() -> None:
    """libxml2's safeguards stay on (no ``huge_tree``): nesting past its depth limit is not
    well-formed, whichever reader parses it."""
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    iati_deep = IATI_ROOT.replace(b"{body}", deep)
    with pytest.raises(Invalid, match="not well-formed") as raised:
        iati_import.parse(iati_deep)
    assert raised.value.errors[0].field == "file"
    with pytest.raises(Invalid, match="not well-formed"):
        cap.validate_cap(CAP_ROOT.replace(b"{body}", deep))
