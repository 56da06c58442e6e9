"""Fault tests (issue #8): the real server killed with SIGKILL in the middle of a large import
and of an allocation approval, and PostgreSQL restarted under traffic.

Each test runs a real ``uvicorn`` process (no TestClient) on a database of its own and checks
the database directly after the fault:

- a case-report import killed mid-request left either none or all of its rows and its batch
  record, and nothing committed before was lost; re-sending the file then completes it, and
  re-sending it again stores nothing twice;
- an approval killed mid-request left the plan either approved with every shipment or still
  proposed with none; every lot's ledger balances (the sum of its movements, never negative,
  never below what planned shipments hold); re-sending the approval approves it exactly once;
- after ``pg_ctl restart -m fast`` of a private cluster (never the suite's shared server),
  requests during the outage answer 503 problem+json (no hang, no dropped connection), later
  ones succeed again without restarting the app (``pool_pre_ping``), and every write
  acknowledged with 2xx is stored.

The kills land at fractions (early, late) of the measured duration of the same request on a
warm server, so the invariants are checked at several points whatever the machine's speed; a
request that finishes before its kill is sent again (fresh) with half the delay. Sizes are
CI-sized; ``bench/faults.py`` runs the same tests larger (``HEALTHBRIDGE_FAULT_IMPORT_ROWS``,
``HEALTHBRIDGE_FAULT_PLAN_LINES``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.fault_harness import Launcher, Server, postgres_missing, private_postgres, server
from tests.resources import plan_data

from healthbridge import flows, migrate
from healthbridge.accounts import service as accounts
from healthbridge.accounts.schemas import UserCreate
from healthbridge.db import make_engine, make_session_factory, unit_of_work, utcnow
from healthbridge.interop.cases_csv import COLUMNS
from healthbridge.policy import Role, operator_principal
from healthbridge.resources.models import (
    AllocationPlan,
    PlanLine,
    ResourceRequest,
    Shipment,
    StockMovement,
)
from healthbridge.surveillance.models import CaseImportBatch, CaseReport, LabResult

#: Case reports in the large import (every other one with a lab result).
IMPORT_ROWS = int(os.environ.get("HEALTHBRIDGE_FAULT_IMPORT_ROWS", "20000"))
#: Plan lines (each its own request) in the approval.
PLAN_LINES = int(os.environ.get("HEALTHBRIDGE_FAULT_PLAN_LINES", "1000"))
#: Where the SIGKILL lands, as fractions of the measured duration of the same request.
KILL_AT = (0.2, 0.85)
REQUEST_TIMEOUT = 120.0
K = TypeVar("K")

# --- shared helpers -------------------------------------------------------------------------------


@dataclass
class InFlight:
    """A request sent from a thread; ``response`` or ``error`` once it ended."""

    thread: threading.Thread
    response: httpx.Response | None = None
    error: BaseException | None = None
    sent_at: float = field(default_factory=time.monotonic)


def send_in_thread(call: Callable[[], httpx.Response]) -> InFlight:
    flight = InFlight(thread=threading.Thread(target=lambda: None))

    def run() -> None:
        try:
            flight.response = call()
        except BaseException as exc:
            flight.error = exc

    flight.thread = threading.Thread(target=run, daemon=True)
    flight.sent_at = time.monotonic()
    flight.thread.start()
    return flight


def kill_during(
    srv: Server, prepare: Callable[[int], tuple[K, Callable[[], httpx.Response]]], delay: float
) -> K:
    """Send a request, SIGKILL the server ``delay`` seconds later, and check the request was
    still in flight: its response never arrived, the client saw the connection die.

    ``prepare(n)`` gives a fresh request (and a key naming what it changes). Should one finish
    before the kill (a machine faster than the calibration), it stands as a completed request
    and the next is sent with half the delay, so the kill always lands mid-request.
    """
    for n in range(4):
        key, call = prepare(n)
        flight = send_in_thread(call)
        flight.thread.join(timeout=delay)
        if not flight.thread.is_alive():
            assert flight.response is not None and flight.response.status_code == 200, flight
            delay /= 2
            continue
        srv.kill()
        flight.thread.join(timeout=30)
        assert not flight.thread.is_alive()
        assert flight.response is None, f"a response came from a killed server: {flight.response}"
        assert isinstance(flight.error, httpx.TransportError), repr(flight.error)
        return key
    raise AssertionError(f"every request ended before the kill (last delay {delay:.3f}s)")


def make_token(database_url: str, role: Role, country: str | None) -> dict[str, str]:
    """A user of ``role`` and bearer headers for them, made directly in the database."""
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            user = accounts.create_user(
                session=session,
                actor=operator_principal("fault-tests"),
                user_in=UserCreate(
                    email=f"{role.value}.{country or 'region'}@example.org",
                    full_name=f"Fault {role.value}",
                    role=role,
                    country=country,
                    password="correct horse battery staple",
                ),
            )
            _token, secret = accounts.issue_token(
                session=session, user=user, kind="api", name="faults", expires_at=None
            )
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def launcher() -> Iterator[Launcher]:
    """Forks the servers (the application imported once for the module)."""
    forks = Launcher()
    yield forks
    forks.close()


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database, to inspect what the server left."""
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


def scalar(engine: Engine, statement: Any) -> Any:
    with Session(engine) as session:
        return session.scalar(statement)


# --- SIGKILL in the middle of a large import ------------------------------------------------------


def cases_file(prefix: str, rows: int) -> bytes:
    """A case-reports CSV of ``rows`` Thai dengue cases ``<prefix>-<n>``, every other one with a
    lab result, spread over 2024."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    first = dt.date(2024, 1, 1)
    for n in range(rows):
        onset = first + dt.timedelta(days=n % 300)
        row = {
            "country": "THA",
            "case_id": f"{prefix}-{n:07d}",
            "disease": "dengue",
            "classification": ("suspected", "probable", "confirmed")[n % 3],
            "onset_date": onset.isoformat(),
            "report_date": (onset + dt.timedelta(days=2)).isoformat(),
            "notification_date": (onset + dt.timedelta(days=3)).isoformat(),
            "area": ("TH-10", "TH-50", "TH-90")[n % 3],
            "age_group": "15-24",
            "sex": "F" if n % 2 else "M",
            "outcome": "recovered",
            "hospitalised": "no",
            "travelled": "no",
        }
        if n % 2 == 0:
            row |= {
                "sample_id": f"S-{prefix}-{n}",
                "specimen": "serum",
                "test_type": "RT-PCR",
                "pathogen": "DENV",
                "subtype": "DENV-2",
                "result": "pos",
                "sample_date": (onset + dt.timedelta(days=1)).isoformat(),
                "result_date": (onset + dt.timedelta(days=2)).isoformat(),
                "laboratory": "Bangkok lab",
            }
        writer.writerow(row)
    return out.getvalue().encode()


@dataclass(frozen=True)
class Stored:
    """What the database holds of one file: its cases and labs, and its batch records."""

    cases: int
    labs: int
    batches: int


def stored(engine: Engine, prefix: str, data: bytes) -> Stored:
    digest = hashlib.sha256(data).hexdigest()
    with Session(engine) as session:
        cases = session.scalar(select(func.count()).where(CaseReport.case_id.like(f"{prefix}-%")))
        labs = session.scalar(select(func.count()).where(LabResult.sample_id.like(f"S-{prefix}-%")))
        batches = session.scalar(select(func.count()).where(CaseImportBatch.sha256 == digest))
        # Every stored case of the file points at a batch record of that file.
        orphans = session.scalar(
            select(func.count())
            .select_from(CaseReport)
            .outerjoin(CaseImportBatch, CaseImportBatch.id == CaseReport.batch_id)
            .where(CaseReport.case_id.like(f"{prefix}-%"))
            .where((CaseImportBatch.id.is_(None)) | (CaseImportBatch.sha256 != digest))
        )
    assert orphans == 0
    return Stored(int(cases or 0), int(labs or 0), int(batches or 0))


def whole(rows: int, batches: int = 1) -> Stored:
    return Stored(cases=rows, labs=(rows + 1) // 2, batches=batches)


def test_sigkill_during_a_large_import_leaves_it_whole_or_absent(
    launcher: Launcher, database_url: str, db: Engine, tmp_path: Path
) -> None:
    headers = make_token(database_url, Role.EPIDEMIOLOGIST, "THA")

    def post(srv: Server, name: str, data: bytes) -> Callable[[], httpx.Response]:
        return lambda: httpx.post(
            f"{srv.url}/api/v1/cases/import",
            headers=headers,
            files={"file": (name, data, "text/csv")},
            data={"format": "csv"},
            timeout=REQUEST_TIMEOUT,
        )

    with server(launcher, database_url, tmp_path / "data") as srv:
        warm = post(srv, "warm.csv", cases_file("WARM", 20))()
        assert warm.status_code == 200, warm.text
        # Committed before any fault: a file of the same size, which also times the import.
        before = cases_file("BEFORE", IMPORT_ROWS)
        started = time.monotonic()
        answer = post(srv, "before.csv", before)()
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        assert answer.json()["cases_created"] == IMPORT_ROWS
        assert stored(db, "BEFORE", before) == whole(IMPORT_ROWS)

        for attempt, fraction in enumerate(KILL_AT):

            def prepare(n: int, attempt: int = attempt) -> tuple[tuple[str, bytes], Any]:
                prefix = f"KILL{attempt}x{n}"
                data = cases_file(prefix, IMPORT_ROWS)
                return (prefix, data), post(srv, f"{prefix}.csv", data)

            prefix, data = kill_during(srv, prepare, fraction * took)

            # No half batch: the file's rows and its batch record are all there or none is.
            after_kill = stored(db, prefix, data)
            print(f"import of {took:.2f}s killed at {fraction * took:.2f}s: {after_kill}")
            assert after_kill in (Stored(0, 0, 0), whole(IMPORT_ROWS)), after_kill
            # Nothing committed before was lost.
            assert stored(db, "BEFORE", before) == whole(IMPORT_ROWS)

            srv.start()
            again = post(srv, f"{prefix}.csv", data)()
            assert again.status_code == 200, again.text
            report = again.json()
            if after_kill.cases == 0:
                assert report["cases_created"] == IMPORT_ROWS and report["same_file_as"] is None
            else:
                assert report["cases_unchanged"] == IMPORT_ROWS
                assert report["same_file_as"] is not None
            assert stored(db, prefix, data) == whole(IMPORT_ROWS, after_kill.batches + 1)

            # Once more: recognised as already imported, nothing stored twice.
            third = post(srv, f"{prefix}.csv", data)()
            assert third.status_code == 200, third.text
            assert third.json()["cases_unchanged"] == IMPORT_ROWS
            assert third.json()["cases_created"] == 0 and third.json()["same_file_as"]
            assert stored(db, prefix, data) == whole(IMPORT_ROWS, after_kill.batches + 2)


# --- SIGKILL in the middle of an allocation approval ----------------------------------------------

REQUESTING = ("LAO", "VNM", "KHM")
LOTS = 10
LOT_STOCK = 100_000
LINE_QUANTITY = 5


def arrange_stock(engine: Engine) -> list[int]:
    """The regional reserve with :data:`LOTS` lots of ORS, and the requesting countries'
    national stockpiles (the shipments' destinations). The lots' ids."""
    with unit_of_work(make_session_factory(engine)) as session:
        plan_data.add_item(session)
        plan_data.add_holder(session, "ARRMS-THA", "regional_reserve", "THA")
        for country in REQUESTING:
            plan_data.add_holder(session, f"{country}-NAT", "national_stockpile", country)
        session.flush()
        return [plan_data.add_lot(session, "ARRMS-THA", f"R-{n}", LOT_STOCK) for n in range(LOTS)]


def propose_plan(engine: Engine, lots: list[int], lines: int) -> int:
    """A proposed plan of ``lines`` lines, each serving its own approved request in full (as
    :func:`healthbridge.resources.plans.propose` would store it, without solving)."""
    now = utcnow()
    with unit_of_work(make_session_factory(engine)) as session:
        requests = [
            ResourceRequest(
                country_code=REQUESTING[n % len(REQUESTING)],
                kind="item",
                item_code="ors-sachet",
                quantity=LINE_QUANTITY,
                priority="high",
                needed_by=plan_data.TODAY + dt.timedelta(days=14),
                delivery_point="central store",
                status="approved",
                requested_at=now,
                requested_by="someone@example.org",
                updated_at=now,
                skills=[],
                languages=[],
            )
            for n in range(lines)
        ]
        session.add_all(requests)
        session.flush()
        plan = AllocationPlan(
            status="proposed",
            today=plan_data.TODAY,
            problem={},
            summary={},
            created_at=now,
            created_by="fault-tests",
        )
        plan.lines = [
            PlanLine(
                lot_id=lots[n % len(lots)],
                request_id=request.id,
                quantity=LINE_QUANTITY,
                arrives_on=plan_data.TODAY + dt.timedelta(days=3),
            )
            for n, request in enumerate(requests)
        ]
        session.add(plan)
        session.flush()
        return plan.id


@dataclass(frozen=True)
class PlanState:
    status: str
    shipments: int
    #: Requests of the plan's lines with exactly one shipment (served once, in full).
    served: int


def plan_state(engine: Engine, plan_id: int) -> PlanState:
    with Session(engine) as session:
        plan = session.get(AllocationPlan, plan_id)
        assert plan is not None
        lines = select(PlanLine.id).where(PlanLine.plan_id == plan_id)
        shipments = session.scalar(select(func.count()).where(Shipment.plan_line_id.in_(lines)))
        requests = select(PlanLine.request_id).where(PlanLine.plan_id == plan_id)
        per_request = (
            select(Shipment.request_id, func.sum(Shipment.quantity).label("total"))
            .where(Shipment.request_id.in_(requests))
            .group_by(Shipment.request_id)
            .subquery()
        )
        served = session.scalar(
            select(func.count())
            .select_from(per_request)
            .where(per_request.c.total == LINE_QUANTITY)
        )
        return PlanState(plan.status, int(shipments or 0), int(served or 0))


def assert_ledger_balances(engine: Engine, lots: list[int], movements: int) -> None:
    """Every lot's balance (the sum of its movements, the ledger's only record of a quantity)
    is its stock, not negative, and covers what planned shipments hold; no movement was added or
    lost (an approval moves no stock)."""
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == movements
        balances = dict(
            session.execute(
                select(StockMovement.lot_id, func.sum(StockMovement.quantity)).group_by(
                    StockMovement.lot_id
                )
            ).all()
        )
        held = dict(
            session.execute(
                select(Shipment.lot_id, func.sum(Shipment.quantity))
                .where(Shipment.status == "planned")
                .group_by(Shipment.lot_id)
            ).all()
        )
    for lot in lots:
        assert balances[lot] == LOT_STOCK
        assert 0 <= held.get(lot, 0) <= balances[lot]


def test_sigkill_during_an_approval_leaves_the_plan_whole_or_proposed(
    launcher: Launcher, database_url: str, db: Engine, tmp_path: Path
) -> None:
    headers = make_token(database_url, Role.LOGISTICS_OFFICER, None)
    lots = arrange_stock(db)
    with Session(db) as session:
        movements = int(session.scalar(select(func.count()).select_from(StockMovement)) or 0)

    def approve(srv: Server, plan_id: int) -> Callable[[], httpx.Response]:
        return lambda: httpx.post(
            f"{srv.url}/api/v1/resources/plans/{plan_id}/decision",
            headers=headers,
            json={"decision": "approve", "note": "fault test"},
            timeout=REQUEST_TIMEOUT,
        )

    with server(launcher, database_url, tmp_path / "data") as srv:
        warm = approve(srv, propose_plan(db, lots, 5))()
        assert warm.status_code == 200, warm.text
        # Approved before any fault: a plan of the same size, which also times the approval.
        first = propose_plan(db, lots, PLAN_LINES)
        started = time.monotonic()
        answer = approve(srv, first)()
        took = time.monotonic() - started
        assert answer.status_code == 200, answer.text
        done = PlanState("approved", PLAN_LINES, PLAN_LINES)
        assert plan_state(db, first) == done
        assert_ledger_balances(db, lots, movements)

        def prepare(n: int) -> tuple[int, Callable[[], httpx.Response]]:
            plan_id = propose_plan(db, lots, PLAN_LINES)
            return plan_id, approve(srv, plan_id)

        for fraction in KILL_AT:
            plan_id = kill_during(srv, prepare, fraction * took)

            # Approved with every shipment, or still proposed with none.
            after_kill = plan_state(db, plan_id)
            print(f"approval of {took:.2f}s killed at {fraction * took:.2f}s: {after_kill}")
            assert after_kill in (PlanState("proposed", 0, 0), done), after_kill
            assert plan_state(db, first) == done
            assert_ledger_balances(db, lots, movements)

            srv.start()
            again = approve(srv, plan_id)()
            if after_kill.status == "proposed":
                assert again.status_code == 200, again.text
                assert again.json()["status"] == "approved"
                again = approve(srv, plan_id)()
            # Approved once: approving again is refused, and changes nothing.
            assert again.status_code == 409, again.text
            assert again.headers["content-type"].startswith("application/problem+json")
            assert plan_state(db, plan_id) == done
            assert_ledger_balances(db, lots, movements)


# --- PostgreSQL restarted during traffic ----------------------------------------------------------

#: Seconds a request may take before the test calls it a hang.
TRAFFIC_TIMEOUT = 15.0


@dataclass(frozen=True)
class Exchange:
    """One request of the traffic loop and how it ended."""

    kind: str
    case_id: str | None
    started: float
    ended: float
    status: int | None
    content_type: str
    error: str | None = None


def traffic(base: str, headers: dict[str, str], stop: threading.Event, log: list[Exchange]) -> None:
    """Reads and small writes (one case report each), one after the other, until ``stop``."""
    with httpx.Client(base_url=base, headers=headers, timeout=TRAFFIC_TIMEOUT) as client:
        n = 0
        while not stop.is_set():
            n += 1
            case_id = f"TRAFFIC-{n:05d}" if n % 2 else None
            started = time.monotonic()
            try:
                if case_id:
                    response = client.post(
                        "/api/v1/cases",
                        json={
                            "country": "THA",
                            "case_id": case_id,
                            "disease": "dengue",
                            "classification": "suspected",
                            "report_date": "2024-03-01",
                            "area": "TH-10",
                        },
                    )
                else:
                    response = client.get("/api/v1/cases", params={"limit": 5})
            except httpx.HTTPError as exc:
                log.append(
                    Exchange(
                        "write" if case_id else "read",
                        case_id,
                        started,
                        time.monotonic(),
                        None,
                        "",
                        repr(exc),
                    )
                )
                continue
            log.append(
                Exchange(
                    "write" if case_id else "read",
                    case_id,
                    started,
                    time.monotonic(),
                    response.status_code,
                    response.headers.get("content-type", ""),
                )
            )
            time.sleep(0.01)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for traffic"
        time.sleep(0.02)


def test_postgres_restart_during_traffic_fails_cleanly_and_recovers(
    launcher: Launcher, tmp_path: Path
) -> None:
    missing = postgres_missing()
    if missing:
        if os.environ.get("HEALTHBRIDGE_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required but no private cluster can start: {missing}")
        pytest.skip(f"needs PostgreSQL's binaries for a private cluster: {missing}")
    with private_postgres() as cluster:
        url = cluster.url()
        engine = make_engine(url, pool_size=2)
        try:
            migrate.upgrade(engine)
            with unit_of_work(make_session_factory(engine)) as session:
                flows.seed_reference_data(session=session)
        finally:
            engine.dispose()
        headers = make_token(url, Role.EPIDEMIOLOGIST, "THA")
        log: list[Exchange] = []
        stop = threading.Event()
        with server(launcher, url, tmp_path / "data") as srv:
            loop = threading.Thread(target=traffic, args=(srv.url, headers, stop, log))
            loop.start()
            try:
                wait_for(lambda: sum(e.status == 201 for e in log) >= 10)
                restart_began = time.monotonic()
                cluster.restart()
                restarted = time.monotonic()
                wait_for(lambda: sum(e.status == 201 and e.started > restarted for e in log) >= 10)
            finally:
                stop.set()
                loop.join(timeout=TRAFFIC_TIMEOUT + 5)
            assert not loop.is_alive()

        during = [e for e in log if e.ended >= restart_began and e.started <= restarted]
        after = [e for e in log if e.started > restarted]
        print(
            f"{len(log)} requests; during the restart "
            f"{sorted({(e.status, e.content_type) for e in during}, key=str)}"
        )
        # Nothing hung or lost its connection: every request was answered, in time.
        assert all(e.error is None for e in log), [e for e in log if e.error]
        assert all(e.ended - e.started < TRAFFIC_TIMEOUT for e in log)
        # A failure is a clean 503 problem+json (the database is unavailable), never a 500.
        failed = [e for e in log if e.status not in (200, 201)]
        assert failed, "no request met the restart: the test proved nothing"
        for e in failed:
            assert e.status == 503, e
            assert e.content_type.startswith("application/problem+json"), e
        # Once the server is back, every request succeeds, without restarting the app.
        assert after and all(e.status in (200, 201) for e in after), after
        # Every write acknowledged with 201 is stored.
        acknowledged = {e.case_id for e in log if e.status == 201}
        engine = make_engine(url, pool_size=1)
        try:
            with Session(engine) as session:
                found = set(
                    session.scalars(
                        select(CaseReport.case_id).where(CaseReport.case_id.like("TRAFFIC-%"))
                    )
                )
        finally:
            engine.dispose()
        assert acknowledged <= found, sorted(acknowledged - found)
