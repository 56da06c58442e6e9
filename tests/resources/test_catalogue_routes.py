"""The catalogue and stock API: reading for everyone, the catalogue changed by regional
logistics, stock and teams by the holder's logistics officers; 422 naming the field, 409 for
state conflicts, 404 for the unseen, 403 for others; lists paginated with Link headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.problem_assertions import assert_problem

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.resources import demo, stock
from healthbridge.resources.models import StockMovement

Headers = dict[str, str]
MakeUser = Callable[..., User]
Login = Callable[[User], Headers]
TODAY = stock.today()


def _fields(body: dict[str, object]) -> list[str]:
    errors = body.get("errors")
    assert isinstance(errors, list), body
    return [str(e["field"]) for e in errors]


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


def test_the_catalogue_is_read_by_all_and_changed_by_regional_logistics(
    client: TestClient, make_user: MakeUser, login: Login, loaded: None
) -> None:
    viewer = login(make_user(Role.VIEWER, "VNM"))
    thai = login(make_user(Role.LOGISTICS_OFFICER, "THA"))
    regional = login(make_user(Role.LOGISTICS_OFFICER, None))

    listed = client.get("/api/v1/resources/items?limit=3&kind=medicine", headers=viewer)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 3 and [i["code"] for i in body["items"]] == [
        "iv-ringer-lactate-1l",
        "ors-sachet",
        "oseltamivir-75mg",
    ]
    found = client.get("/api/v1/resources/items?q=ATC&cold_chain=2_8c", headers=viewer).json()
    assert found["total"] == 0
    page = client.get("/api/v1/resources/items?limit=2", headers=viewer)
    assert 'rel="next"' in page.headers["link"]
    assert _fields(
        assert_problem(client.get("/api/v1/resources/items?kind=drug", headers=viewer), 422)
    ) == ["kind"]
    ors = client.get("/api/v1/resources/items/ors-sachet", headers=viewer).json()
    assert ors["atc_code"] == "A07CA" and ors["min_shelf_life_days"] == 90
    assert_problem(client.get("/api/v1/resources/items/nothing", headers=viewer), 404)

    new = {
        "code": "zinc-20mg",
        "name": "Zinc 20 mg tablet",
        "kind": "medicine",
        "atc_code": "A12CB01",
        "who_eml": True,
        "unit_of_issue": "tablet",
        "pack_size": 100,
    }
    assert_problem(client.post("/api/v1/resources/items", json=new, headers=thai), 403)
    made = client.post("/api/v1/resources/items", json=new, headers=regional)
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True
    assert_problem(client.post("/api/v1/resources/items", json=new, headers=regional), 409)
    bad = client.post(
        "/api/v1/resources/items",
        json={**new, "code": "Zinc!", "atc_code": "12", "kind": "food", "extra": 1},
        headers=regional,
    )
    assert {"kind", "extra"} <= set(_fields(assert_problem(bad, 422)))
    bad_values = client.post(
        "/api/v1/resources/items", json={**new, "code": "Zinc!", "atc_code": "12"},
        headers=regional,
    )  # fmt: skip
    assert _fields(assert_problem(bad_values, 422)) == ["code", "atc_code"]
    changed = client.patch(
        "/api/v1/resources/items/zinc-20mg",
        json={"active": False, "min_shelf_life_days": 60},
        headers=regional,
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert changed.json()["min_shelf_life_days"] == 60
    assert client.get("/api/v1/resources/items?q=zinc", headers=viewer).json()["total"] == 0
    assert (
        client.get("/api/v1/resources/items?q=zinc&include_inactive=true", headers=viewer).json()[
            "total"
        ]
        == 1
    )
    assert_problem(
        client.patch("/api/v1/resources/items/zinc-20mg", json={"pack_size": 0}, headers=regional),
        422,
    )
    assert_problem(client.patch("/api/v1/resources/items/nothing", json={}, headers=regional), 404)


def test_holders_transit_times_and_teams(
    client: TestClient, make_user: MakeUser, login: Login, loaded: None
) -> None:
    viewer = login(make_user(Role.VIEWER, "VNM"))
    korean = login(make_user(Role.LOGISTICS_OFFICER, "KOR"))
    regional = login(make_user(Role.LOGISTICS_OFFICER, None))

    holders = client.get("/api/v1/resources/holders?kind=regional_reserve", headers=viewer)
    assert [h["code"] for h in holders.json()["items"]] == ["ARRMS-LAO", "ARRMS-THA"]
    assert client.get("/api/v1/resources/holders?limit=5", headers=viewer).json()["total"] == 17
    holder = {"code": "WFP-HUB", "name": "WFP hub", "kind": "partner", "country": "MYS"}
    assert_problem(client.post("/api/v1/resources/holders", json=holder, headers=korean), 403)
    assert (
        client.post("/api/v1/resources/holders", json=holder, headers=regional).status_code == 201
    )
    assert_problem(client.post("/api/v1/resources/holders", json=holder, headers=regional), 409)

    times = client.get("/api/v1/resources/transit-times?origin=THA", headers=viewer).json()
    assert len(times) == 14
    assert {"origin_code": "THA", "destination_code": "THA", "days": 0} in times
    put = client.put(
        "/api/v1/resources/transit-times",
        json={"entries": [{"origin": "THA", "destination": "LAO", "days": 5}]},
        headers=regional,
    )
    assert put.json() == {"created": 0, "updated": 1}
    bad = client.put(
        "/api/v1/resources/transit-times",
        json={"entries": [{"origin": "THA", "destination": "XXX", "days": 1}]},
        headers=regional,
    )
    assert _fields(assert_problem(bad, 422)) == ["entries[0].destination"]
    assert_problem(
        client.put("/api/v1/resources/transit-times", json={"entries": []}, headers=korean), 403
    )

    team = {"code": "KOR-EMT3", "name": "Korea EMT type 3", "holder": "KOR-NAT",
            "team_type": "emt_type_3", "members": 80, "skills": ["surgery"],
            "languages": ["ko", "en"], "available_from": TODAY.isoformat()}  # fmt: skip
    made = client.post("/api/v1/resources/teams", json=team, headers=korean)
    assert made.status_code == 201, made.text
    assert_problem(client.post("/api/v1/resources/teams", json=team, headers=korean), 409)
    reserve_team = {**team, "code": "AR-1", "holder": "ARRMS-THA"}
    assert_problem(client.post("/api/v1/resources/teams", json=reserve_team, headers=korean), 403)
    assert_problem(client.post("/api/v1/resources/teams", json=team, headers=viewer), 403)
    team_id = made.json()["id"]
    later = (TODAY + dt.timedelta(days=30)).isoformat()
    patched = client.patch(
        f"/api/v1/resources/teams/{team_id}",
        json={"members": 90, "available_until": later},
        headers=korean,
    )
    assert patched.json()["members"] == 90 and patched.json()["available_until"] == later
    earlier = (TODAY - dt.timedelta(days=1)).isoformat()
    bad_window = client.patch(
        f"/api/v1/resources/teams/{team_id}", json={"available_until": earlier}, headers=korean
    )
    assert _fields(assert_problem(bad_window, 422)) == ["available_until"]
    assert_problem(client.patch("/api/v1/resources/teams/999999", json={}, headers=korean), 404)
    listed = client.get("/api/v1/resources/teams?holder=KOR-NAT", headers=viewer).json()
    assert [t["code"] for t in listed["items"]] == ["KOR-EMT2", "KOR-EMT3"]


def test_stock_lots_receipts_and_movements(
    client: TestClient,
    make_user: MakeUser,
    login: Login,
    loaded: None,
    session_factory: sessionmaker[Session],
) -> None:
    viewer = login(make_user(Role.VIEWER, "IDN"))
    thai = login(make_user(Role.LOGISTICS_OFFICER, "THA"))
    regional = login(make_user(Role.LOGISTICS_OFFICER, None))

    picture = client.get("/api/v1/resources/stock?item=ors-sachet", headers=viewer).json()
    assert picture["on"] == TODAY.isoformat() and picture["within"] == 90
    lines = {line["holder_code"]: line for line in picture["lines"]}
    assert lines["VNM-NAT"]["expired_quantity"] == 15_000
    assert lines["PHL-NAT"]["short_dated_quantity"] == 10_000
    assert lines["ARRMS-THA"]["balance"] == 100_000
    soon = client.get("/api/v1/resources/stock?expiring_within=60", headers=viewer).json()
    assert {(x["item_code"], x["holder_code"]) for x in soon["lines"]} == {
        ("ors-sachet", "VNM-NAT"),
        ("ors-sachet", "PHL-NAT"),
        ("rdt-dengue-ns1", "THA-NAT"),
    }
    assert_problem(client.get("/api/v1/resources/stock?expiring_within=-1", headers=viewer), 422)
    assert_problem(client.get("/api/v1/resources/stock?kind=drug", headers=viewer), 422)

    lots = client.get("/api/v1/resources/lots?limit=2&country=THA", headers=viewer)
    assert lots.json()["total"] == 7 and 'rel="next"' in lots.headers["link"]
    first = lots.json()["items"][0]
    assert first["lot_number"] == "NS1-TH-2602" and first["short_dated"] is True

    receipt = {"holder": "THA-NAT", "item": "ors-sachet", "lot_number": "ORS-TH-2699",
               "expires_on": (TODAY + dt.timedelta(days=365)).isoformat(), "quantity": 500,
               "reference": "GRN-99"}  # fmt: skip
    assert_problem(client.post("/api/v1/resources/lots", json=receipt, headers=viewer), 403)
    assert_problem(
        client.post(
            "/api/v1/resources/lots", json={**receipt, "holder": "ARRMS-THA"}, headers=thai
        ),
        403,
    )
    made = client.post("/api/v1/resources/lots", json=receipt, headers=thai)
    assert made.status_code == 201, made.text
    lot = made.json()
    assert lot["balance"] == 500 and [m["kind"] for m in lot["movements"]] == ["receipt"]
    again = client.post("/api/v1/resources/lots", json=receipt, headers=thai).json()
    assert again["id"] == lot["id"] and again["balance"] == 1000
    moved_expiry = client.post(
        "/api/v1/resources/lots", json={**receipt, "expires_on": "2030-01-01"}, headers=thai
    )
    assert _fields(assert_problem(moved_expiry, 422)) == ["expires_on"]
    bad = client.post(
        "/api/v1/resources/lots", json={**receipt, "holder": "NOPE", "item": "nope"}, headers=thai
    )
    assert_problem(bad, 422)
    assert _fields(bad.json()) == ["holder", "item"]
    assert_problem(
        client.post("/api/v1/resources/lots", json={**receipt, "quantity": 0}, headers=thai), 422
    )

    url = f"/api/v1/resources/lots/{lot['id']}/movements"
    issued = client.post(url, json={"kind": "issue", "quantity": 300}, headers=thai)
    assert issued.status_code == 201 and issued.json()["balance"] == 700
    moved = client.post(
        url, json={"kind": "transfer", "quantity": 200, "to_holder": "ARRMS-THA"}, headers=thai
    ).json()
    assert [m["kind"] for m in moved["movements"]] == ["transfer_out", "transfer_in"]
    assert moved["balance"] == 500
    assert_problem(client.post(url, json={"kind": "issue", "quantity": 501}, headers=thai), 409)
    assert_problem(client.post(url, json={"kind": "write_off", "quantity": 1}, headers=thai), 409)
    no_reason = client.post(url, json={"kind": "adjustment", "quantity": -1}, headers=thai)
    assert _fields(assert_problem(no_reason, 422)) == ["reason"]
    assert_problem(
        client.post(url, json={"kind": "issue", "quantity": 1}, headers=login(
            make_user(Role.LOGISTICS_OFFICER, "VNM"))),
        403,
    )  # fmt: skip
    assert_problem(
        client.post(
            "/api/v1/resources/lots/999999/movements",
            json={"kind": "issue", "quantity": 1},
            headers=regional,
        ),
        404,
    )
    detail = client.get(f"/api/v1/resources/lots/{lot['id']}", headers=viewer).json()
    assert [(m["kind"], m["quantity"]) for m in detail["movements"]] == [
        ("receipt", 500),
        ("receipt", 500),
        ("issue", -300),
        ("transfer_out", -200),
    ]
    assert_problem(client.get("/api/v1/resources/lots/999999", headers=viewer), 404)
    with session_factory() as session:
        # The refused attempts stored nothing.
        total = session.scalar(select(func.count(StockMovement.id)))
        assert total == len(demo.LOTS) + 5
