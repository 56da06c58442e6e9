"""Importing the catalogue from CSV and JSON: upserts by code, a second import changes nothing,
every problem named by row and column, nothing stored when one is wrong; junk never raises
anything but :class:`Invalid` (hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work
from healthbridge.errors import Forbidden, Invalid
from healthbridge.policy import Principal, Role
from healthbridge.resources import catalogue_import
from healthbridge.resources.catalogue import item_errors
from healthbridge.resources.models import Item

REGIONAL = Principal(email="log@asean", role=Role.LOGISTICS_OFFICER, country=None)
THAI = Principal(email="log@tha", role=Role.LOGISTICS_OFFICER, country="THA")

CSV = (
    "\ufeffCode,Name,Kind,ATC_code,who_eml,unit_of_issue,pack_size,cold_chain,min_shelf_life_days\n"
    "ors-sachet,Oral rehydration salts,medicine,a07ca,true,sachet,1,none,90\n"
    "\n"
    'mr-vaccine-10dose,"Measles-rubella vaccine, 10 doses",Vaccine,J07BD53,yes,vial,50,2_8c,180\n'
    "body-bag,Body bag,other,,,piece,,,\n"
)


def _import(session_factory: sessionmaker[Session], data: bytes, filename: str) -> object:
    with unit_of_work(session_factory) as session:
        return catalogue_import.import_catalogue(
            session=session, actor=REGIONAL, data=data, filename=filename
        )


def _items(session_factory: sessionmaker[Session]) -> dict[str, tuple[object, ...]]:
    with session_factory() as session:
        return {
            i.code: (i.name, i.kind, i.atc_code, i.who_eml, i.pack_size, i.cold_chain,
                     i.min_shelf_life_days)
            for i in session.scalars(select(Item))
        }  # fmt: skip


def test_a_csv_is_upserted_by_code_and_a_second_import_changes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    first = _import(session_factory, CSV.encode(), "catalogue.csv")
    assert first == catalogue_import.CatalogueImportReport("catalogue.csv", 3, 3, 0, 0)
    assert _items(session_factory) == {
        "ors-sachet": ("Oral rehydration salts", "medicine", "A07CA", True, 1, "none", 90),
        "mr-vaccine-10dose": (
            "Measles-rubella vaccine, 10 doses", "vaccine", "J07BD53", True, 50, "2_8c", 180,
        ),
        "body-bag": ("Body bag", "other", None, False, 1, "none", 0),
    }  # fmt: skip
    again = _import(session_factory, CSV.encode(), "catalogue.csv")
    assert again == catalogue_import.CatalogueImportReport("catalogue.csv", 3, 0, 0, 3)
    changed = json.dumps(
        {
            "items": [
                {"code": "body-bag", "name": "Body bag, adult", "kind": "other",
                 "unit_of_issue": "piece", "pack_size": 10},
                {"code": "n95", "name": "N95 respirator", "kind": "ppe", "unit_of_issue": "piece",
                 "who_eml": False, "min_shelf_life_days": "0", "atc_code": None},
            ]
        }
    )  # fmt: skip
    report = _import(session_factory, changed.encode(), "more.json")
    assert report == catalogue_import.CatalogueImportReport("more.json", 2, 1, 1, 0)
    items = _items(session_factory)
    assert items["body-bag"] == ("Body bag, adult", "other", None, False, 10, "none", 0)
    assert items["n95"][1] == "ppe" and len(items) == 4
    with session_factory() as session:
        imports = session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "catalogue.import")
        )
        assert imports == 3


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (
            "code,name,kind,unit_of_issue,pack_size,who_eml\n"
            "ors,ORS,medicine,sachet,1,true\n"
            "ORS X,,drug,sachet,0,maybe\n"
            "ors,Again,medicine,sachet,1,no\n",
            "bad.csv",
            [
                ("code", 3),
                ("name", 3),
                ("kind", 3),
                ("who_eml", 3),
                ("pack_size", 3),
                ("code", 4),
            ],
        ),
        ("code,name,colour\n", "header.csv", [("colour", 1), ("kind", 1), ("unit_of_issue", 1)]),
        ("", "empty.csv", [("file", 1)]),
        ("code,name,kind,unit_of_issue\nx,X,other,u,extra\n", "wide.csv", [("file", 2)]),
        ('code,name,kind,unit_of_issue\nx,"X,other,u\n', "quote.csv", [("file", 2)]),
        (
            "code,name,kind,unit_of_issue,pack_size,min_shelf_life_days\nx,X\x00,other,u,1.5,-3\n",
            "control.csv",
            [("name", 2), ("pack_size", 2), ("min_shelf_life_days", 2)],
        ),
        (
            '[{"code": "x", "name": 5, "kind": "other", "unit_of_issue": "u", "who_eml": 1}]',
            "types.json",
            [("name", 1), ("who_eml", 1)],
        ),
        ('[{"code": "x"}, 7, {"colour": "red"}]', "shape.json", [("item", 2), ("colour", 3)]),
        ('{"things": []}', "object.json", [("file", None)]),
        ("[1, 2", "broken.json", [("file", None)]),
    ],
)
def test_every_problem_is_named_and_nothing_is_stored(
    session_factory: sessionmaker[Session],
    data: str,
    filename: str,
    expected: list[tuple[str, int | None]],
) -> None:
    with pytest.raises(Invalid) as refused:
        _import(session_factory, data.encode(), filename)
    assert [(e.field, e.row) for e in refused.value.errors] == expected
    assert "nothing was imported" in refused.value.detail or filename in refused.value.detail
    assert _items(session_factory) == {}


def test_bytes_that_are_not_utf8_and_strangers_are_refused(
    session_factory: sessionmaker[Session],
) -> None:
    with pytest.raises(Invalid) as refused:
        _import(session_factory, b"code,name\n\xff\xfe", "latin.csv")
    assert refused.value.errors[0].field == "file"
    with pytest.raises(Forbidden), unit_of_work(session_factory) as session:
        catalogue_import.import_catalogue(
            session=session, actor=THAI, data=CSV.encode(), filename="c.csv"
        )
    assert _items(session_factory) == {}


HEADER = "code,name,kind,atc_code,who_eml,unit_of_issue,pack_size,cold_chain,min_shelf_life_days"
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["ors", "medicine", "true", "2_8c", "A07CA", "-1", "1e3", "", '"', ","]),
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(cells, max_size=11), max_size=6).map(
            lambda rows: "\n".join([HEADER, *(",".join(r) for r in rows)]).encode(
                "utf-8", "replace"
            )
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.sampled_from(["code", "name", "kind", "x"]), inner, max_size=4)
            ),
            max_leaves=12,
        ).map(lambda doc: json.dumps(doc).encode()),
    ),
    name=st.sampled_from(["f.csv", "f.json", "f.txt"]),
)
def test_junk_never_raises_anything_but_invalid(data: bytes, name: str) -> None:
    try:
        parsed = catalogue_import.read_catalogue(data, filename=name)
    except Invalid as refused:
        assert refused.errors and all(e.field for e in refused.errors)
        return
    for item in parsed.items:
        assert item_errors(item) == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(st.lists(cells, min_size=9, max_size=9), min_size=1, max_size=4),
)
def test_junk_stores_nothing(session_factory: sessionmaker[Session], rows: list[list[str]]) -> None:
    # A good row before the junk: only a wholly good file is stored.
    good = "ok-item,OK,other,,false,piece,1,none,0"
    data = "\n".join([HEADER, good, *(",".join(r) for r in rows)]).encode()
    before = _items(session_factory)
    try:
        _import(session_factory, data, "junk.csv")
    except Invalid:
        assert _items(session_factory) == before
    else:
        assert "ok-item" in _items(session_factory)
