"""Catalogue and stock pages through the HTTP client: the regional stock picture (filters, the
expiring-soon panel, the chart and its table), the catalogue, a lot with its ledger, and the
forms to receive and move stock and to add items, for those allowed, with refusals shown next
to what was typed."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, sign_in

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Principal, Role
from healthbridge.resources import demo, ledger, stock
from healthbridge.resources.models import Lot

MakeUser = Callable[..., User]


@pytest.fixture
def loaded(session_factory: sessionmaker[Session], operator: Principal) -> None:
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)


def _lot(session_factory: sessionmaker[Session], number: str) -> int:
    with session_factory() as session:
        found = session.scalar(select(Lot.id).where(Lot.lot_number == number))
        assert found is not None
        return found


def test_the_stock_picture_for_a_reader(
    client: TestClient, make_user: MakeUser, loaded: None, session_factory: sessionmaker[Session]
) -> None:
    sign_in(client, make_user(Role.VIEWER, "IDN"))
    page = client.get("/resources", headers=HTML)
    assert page.status_code == 200
    html = page.text
    assert '<a href="/resources"' in html  # in the navigation
    assert html.count("<h1") == 1
    assert 'data-testid="expiring"' in html and 'data-figure="' in html
    expired = _lot(session_factory, "ORS-VN-2501")
    row = re.search(rf'<tr data-lot="{expired}">.*?</tr>', html, re.S)
    assert row is not None and 'data-flag="expired"' in row.group(0)
    assert 'data-item="ors-sachet" data-holder="ARRMS-THA"' in html
    assert 'data-testid="receipt-form"' not in html  # a viewer moves nothing
    filtered = client.get("/resources?country=KOR&kind=vaccine", headers=HTML).text
    assert 'data-holder="KOR-NAT"' in filtered and 'data-holder="ARRMS-THA"' not in filtered
    bad = client.get("/resources?expiring_within=soon&kind=drug", headers=HTML)
    assert bad.status_code == 422
    assert "<code>expiring_within</code>" in bad.text and "<code>kind</code>" in bad.text

    lot = client.get(f"/resources/lots/{expired}", headers=HTML)
    assert lot.status_code == 200 and 'data-flag="expired"' in lot.text
    assert "Receipt" in lot.text and 'data-testid="movement-form"' not in lot.text
    assert client.get("/resources/lots/999999", headers=HTML).status_code == 404

    items = client.get("/resources/items?kind=vaccine", headers=HTML)
    assert items.status_code == 200
    assert (
        'data-item="mr-vaccine-10dose"' in items.text and 'data-item="ors-sachet"' not in items.text
    )
    assert 'data-team="KOR-EMT2"' in items.text
    assert 'data-testid="item-form"' not in items.text


def test_receiving_and_moving_stock_through_the_forms(
    client: TestClient, make_user: MakeUser, loaded: None, session_factory: sessionmaker[Session]
) -> None:
    token = sign_in(client, make_user(Role.LOGISTICS_OFFICER, "THA"))
    page = client.get("/resources", headers=HTML).text
    form = re.search(r'data-testid="receipt-form".*?</form>', page, re.S)
    assert form is not None
    # Only the holders a Thai officer manages are offered.
    assert 'value="THA-NAT"' in form.group(0) and 'value="VNM-NAT"' not in form.group(0)
    receipt = {
        "holder": "THA-NAT",
        "item": "ors-sachet",
        "lot_number": "ORS-TH-FORM",
        "expires_on": "2026-13-01",
        "quantity": "250",
        "csrf_token": token,
    }
    bad = client.post("/resources/lots", data=receipt, headers=HTML)
    assert bad.status_code == 422 and "<code>expires_on</code>" in bad.text
    assert 'value="ORS-TH-FORM"' in bad.text
    receipt["expires_on"] = (stock.today().replace(year=stock.today().year + 1)).isoformat()
    made = client.post("/resources/lots", data=receipt, headers=HTML, follow_redirects=False)
    assert made.status_code == 303, made.text
    lot_id = _lot(session_factory, "ORS-TH-FORM")
    assert made.headers["location"] == f"/resources/lots/{lot_id}"

    lot_page = client.get(f"/resources/lots/{lot_id}", headers=HTML).text
    assert 'data-testid="movement-form"' in lot_page and "250 sachet" in lot_page
    url = f"/resources/lots/{lot_id}/movements"
    too_much = client.post(
        url, data={"kind": "issue", "quantity": "251", "csrf_token": token}, headers=HTML
    )
    assert too_much.status_code == 409 and "holds 250" in too_much.text
    assert 'value="251"' in too_much.text
    no_reason = client.post(
        url, data={"kind": "adjustment", "quantity": "-3", "csrf_token": token}, headers=HTML
    )
    assert no_reason.status_code == 422 and "<code>reason</code>" in no_reason.text
    done = client.post(
        url,
        data={"kind": "transfer", "quantity": "50", "to_holder": "ARRMS-THA", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303
    with session_factory() as session:
        assert ledger.balance(session, lot_id) == 200
    # Not Viet Nam's stock; and no form without the CSRF token.
    vnm_lot = _lot(session_factory, "ORS-VN-2501")
    refused = client.post(
        f"/resources/lots/{vnm_lot}/movements",
        data={"kind": "issue", "quantity": "1", "csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 403
    assert (
        client.post(url, data={"kind": "issue", "quantity": "1"}, headers=HTML).status_code == 403
    )


def test_adding_an_item_through_the_catalogue_page(
    client: TestClient, make_user: MakeUser, loaded: None
) -> None:
    thai = make_user(Role.LOGISTICS_OFFICER, "THA")
    token = sign_in(client, thai)
    assert 'data-testid="item-form"' not in client.get("/resources/items", headers=HTML).text
    item = {"code": "zinc", "name": "Zinc", "kind": "medicine", "unit_of_issue": "tablet"}
    assert (
        client.post(
            "/resources/items", data={**item, "csrf_token": token}, headers=HTML
        ).status_code
        == 403
    )
    token = sign_in(client, make_user(Role.LOGISTICS_OFFICER, None))
    assert 'data-testid="item-form"' in client.get("/resources/items", headers=HTML).text
    bad = client.post(
        "/resources/items",
        data={**item, "pack_size": "0", "atc_code": "zz", "csrf_token": token},
        headers=HTML,
    )
    assert bad.status_code == 422
    assert "<code>pack_size</code>" in bad.text and "<code>atc_code</code>" in bad.text
    assert 'value="Zinc"' in bad.text
    taken = client.post(
        "/resources/items", data={**item, "code": "ors-sachet", "csrf_token": token}, headers=HTML
    )
    assert taken.status_code == 409
    made = client.post(
        "/resources/items",
        data={**item, "who_eml": "true", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert made.status_code == 303
    listed = client.get("/resources/items?q=zinc", headers=HTML).text
    assert 'data-item="zinc"' in listed
