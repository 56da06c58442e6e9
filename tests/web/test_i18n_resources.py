"""The resource mobilisation pages in Korean and Indonesian: headings and labels, the labels
defined in Python (plan, request and shipment statuses, priorities, objectives, kinds of
holder, movements), the chart's series, country names and dates in the language of the
``hb_lang`` cookie, and no English heading left."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, sign_in
from tests.resources.plan_data import make_world

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.policy import Role
from healthbridge.resources.models import AllocationPlan, Lot
from healthbridge.web import i18n

MakeUser = Callable[..., User]


@dataclass(frozen=True)
class Allocated:
    plan_id: int
    csrf: str


@pytest.fixture
def in_language(client: TestClient) -> Iterator[Callable[[str], None]]:
    """Choose the interface's language by the cookie the language switch sets."""

    def choose(language: str) -> None:
        client.cookies.set(i18n.LANGUAGE_COOKIE, language)

    yield choose
    client.cookies.delete(i18n.LANGUAGE_COOKIE)


@pytest.fixture
def allocated(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> Allocated:
    """The plan world (approved requests from Lao PDR, critical, and Viet Nam, high; a Thai one
    submitted) and a proposed allocation plan, run by a regional logistics officer."""
    with unit_of_work(session_factory) as session:
        make_world(session)
    csrf = sign_in(client, make_user(Role.LOGISTICS_OFFICER, None))
    ran = client.post("/resources/plans", data={"csrf_token": csrf}, follow_redirects=False)
    assert ran.status_code == 303
    return Allocated(int(ran.headers["location"].rsplit("/", 1)[1]), csrf)


def _day(language: str, session_factory: sessionmaker[Session], plan_id: int) -> str:
    with session_factory() as session, i18n.use_language(language):
        plan = session.get(AllocationPlan, plan_id)
        assert plan is not None
        return i18n.format_day(plan.today)


def test_a_plan_and_the_request_board_in_korean(
    client: TestClient,
    allocated: Allocated,
    session_factory: sessionmaker[Session],
    in_language: Callable[[str], None],
) -> None:
    in_language("ko")
    page = client.get(f"/resources/plans/{allocated.plan_id}", headers=HTML).text
    assert '<html lang="ko">' in page
    assert f"<h1>배분 계획 {allocated.plan_id} " in page
    # The status, the objectives and the priorities are labels marked in Python.
    assert '<span class="badge status" data-testid="plan-status">제안됨</span>' in page
    assert '<th scope="row">우선순위 가중 전달량</th>' in page
    assert '<th scope="row">긴급</th>' in page and '<th scope="row">높음</th>' in page
    # The requesting countries by their Korean names; the day as Korean writes it.
    assert '<th scope="row">라오스</th>' in page and '<th scope="row">베트남</th>' in page
    assert f"{_day('ko', session_factory, allocated.plan_id)} 기준으로" in page
    assert "배분 내역 3건" in page and ">계획 승인</button>" in page
    figure = re.search(r'data-figure="([^"]+)"', page)
    assert figure is not None
    names = [trace["name"] for trace in json.loads(unescape(figure.group(1)))["data"]]
    assert names == ["최적 계획", "선착순"]
    for english in (
        "Objective values",
        "Lines of the optimal plan",
        "Fill rates by item",
        "Optimal plan",
        "Approve the plan",
        "Proposed",
        "Viet Nam",
    ):
        assert english not in page, english

    board = client.get("/resources/requests", headers=HTML).text
    assert "<h1>자원 요청</h1>" in board and "요청 3건" in board
    assert "<td>승인됨</td>" in board and "<td>제출됨</td>" in board
    assert '<span class="badge priority-critical">긴급</span>' in board
    assert "<td>라오스</td>" in board and ">베트남</option>" in board
    assert '<label for="f-country">요청 국가</label>' in board
    for english in ("Resource requests", "Needed by", "Asking country", "Approved", "Critical"):
        assert english not in board, english


def test_shipments_and_the_stock_in_indonesian(
    client: TestClient,
    allocated: Allocated,
    session_factory: sessionmaker[Session],
    in_language: Callable[[str], None],
) -> None:
    approved = client.post(
        f"/resources/plans/{allocated.plan_id}/decision",
        data={"csrf_token": allocated.csrf, "decision": "approve", "note": ""},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    in_language("id")
    shipments = client.get("/resources/shipments", headers=HTML).text
    assert '<html lang="id">' in shipments and "<h1>Pengiriman</h1>" in shipments
    assert "3 pengiriman, yang paling cepat tiba terlebih dahulu" in shipments
    assert shipments.count('<td data-testid="shipment-status">Direncanakan') == 3
    assert ">Kirim</button>" in shipments and "Surat jalan atau nomor pelacakan" in shipments
    for english in ("Shipments", "Planned", "Dispatch", "Waybill or tracking", "Expected on"):
        assert english not in shipments, english

    stock = client.get("/resources", headers=HTML).text
    assert "<h1>Stok regional</h1>" in stock
    assert '<h2 id="stock-title">Stok menurut barang dan pemegang</h2>' in stock
    # Kinds of holder marked in Python; Viet Nam as Indonesian names it.
    assert "Stok nasional" in stock and "Cadangan regional" in stock
    assert "<td>Vietnam</td>" in stock and "<td>Korea Selatan</td>" in stock
    assert "Segera kedaluwarsa" in stock
    for english in ("Regional stock", "Expiring soon", "Stock by item and holder", "Viet Nam"):
        assert english not in stock, english

    with session_factory() as session:
        lot_id = session.scalar(select(Lot.id).where(Lot.holder_code == "VNM-NAT"))
    lot = client.get(f"/resources/lots/{lot_id}", headers=HTML).text
    # The movements are labels marked in Python; the number as Indonesian writes it.
    assert "<td>Penerimaan</td>" in lot and "Buku besar (1 mutasi)" in lot
    assert '<dd data-testid="lot-balance">500 ' in lot and "Pemegang" in lot
    assert "VNM-NAT, Vietnam" in lot
    for english in ("Ledger", "Receipt", "Balance", "Expires on"):
        assert english not in lot, english
