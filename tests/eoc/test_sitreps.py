"""Situation reports of events: every demo event's report renders as HTML and as a PDF whose
text holds its title and figures; the laboratory summary goes only to the event's own country;
an unseen event is 404 here too."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from typer.testing import CliRunner, Result

from healthbridge.accounts.models import User
from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.eoc import assistance_demo, demo
from healthbridge.eoc.assistance_models import AssistanceRequest
from healthbridge.eoc.models import Event
from healthbridge.policy import Principal, Role
from healthbridge.resources.models import Holder, Item, Lot, ResourceRequest, Shipment
from healthbridge.settings import get_settings
from healthbridge.surveillance import case_demo
from healthbridge.surveillance import demo as weekly_demo

Run = Callable[..., Result]
Headers = dict[str, str]


@pytest.fixture
def events(session_factory: sessionmaker[Session], operator: Principal) -> list[Event]:
    """The surveillance demo (weekly counts, signals, cases with lab results) and the events."""
    with unit_of_work(session_factory) as session:
        weekly_demo.load_demo(session=session, actor=operator)
        case_demo.load_demo(session=session, actor=operator)
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        found = list(
            session.scalars(select(Event).options(selectinload(Event.areas)).order_by(Event.id))
        )
        session.expunge_all()
    return found


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_every_demo_events_report_renders_as_html_and_pdf(
    events: list[Event], cli: Run, tmp_path: object
) -> None:
    for event in events:
        html = cli("report", "sitrep", str(event.id), "--format", "html", "--output", "-")
        assert html.exit_code == 0, html.output
        page = html.stdout_bytes.decode()
        assert event.title.replace("&", "&amp;") in page or event.title in page
        assert "Laboratory summary" in page
        pdf = cli("report", "sitrep", str(event.id), "--format", "pdf", "--output", "-")
        assert pdf.exit_code == 0, pdf.output
        assert pdf.stdout_bytes.startswith(b"%PDF")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.stdout_bytes)).pages)
        assert event.title.split(",")[0].split(" ")[0] in text
    # An event with counts draws them: the Bangkok dengue event's epicurve has weeks.
    dengue = next(e for e in events if e.disease_code == "dengue" and e.country_code == "THA")
    page = cli("report", "sitrep", str(dengue.id), "--output", "-").stdout_bytes.decode()
    assert "<svg" in page and "2026-W" in page
    assert cli("report", "sitrep", "99999").exit_code != 0
    assert cli("report", "sitrep", str(dengue.id), "--format", "docx").exit_code != 0


def test_the_lab_summary_stays_with_the_events_country(
    events: list[Event],
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], Headers],
) -> None:
    dengue = next(e for e in events if e.disease_code == "dengue" and e.country_code == "THA")
    thai = login(make_user(Role.EPIDEMIOLOGIST, "THA"))
    viet = login(make_user(Role.EOC_OFFICER, "VNM"))
    # Three recent Bangkok dengue cases with a PCR result each (two positive).
    rows = [
        f"THA,SIT-{n},dengue,confirmed,2026-11-0{n + 2},TH-10,S-{n},pcr,DENV,{result},"
        f"2026-11-0{n + 2},2026-11-0{n + 4}"
        for n, result in ((1, "positive"), (2, "positive"), (3, "negative"))
    ]
    header = "country,case_id,disease,classification,report_date,area,sample_id,test_type,"
    header += "pathogen,result,sample_date,result_date"
    imported = client.post(
        "/api/v1/cases/import",
        files={"file": ("recent.csv", ("\n".join([header, *rows]) + "\n").encode())},
        data={"format": "csv"},
        headers=thai,
    )
    assert imported.status_code == 200, imported.text
    own = client.get(f"/eoc/events/{dengue.id}/sitrep.html", headers=thai)
    assert own.status_code == 200
    assert "No lab results yet." not in own.text and "66.7%" in own.text  # 2 of 3 positive
    # Not shared with Viet Nam: 404, not the report.
    assert client.get(f"/eoc/events/{dengue.id}/sitrep.html", headers=viet).status_code == 404
    shared = client.post(
        f"/api/v1/events/{dengue.id}/shares", json={"countries": ["VNM"]}, headers=thai
    )
    assert shared.status_code in (200, 201), shared.text
    theirs = client.get(f"/eoc/events/{dengue.id}/sitrep.html", headers=viet)
    assert theirs.status_code == 200 and "No lab results yet." in theirs.text
    pdf = client.get(f"/eoc/events/{dengue.id}/sitrep.pdf", headers=thai)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_the_report_shows_the_risk_assessment_7_1_7_and_assistance(
    events: list[Event],
    session_factory: sessionmaker[Session],
    operator: Principal,
    cli: Run,
) -> None:
    with unit_of_work(session_factory) as session:
        assistance_demo.load_demo(session=session, actor=operator)
        assistance_demo.load_demo(session=session, actor=operator)  # idempotent
    h5n1 = next(e for e in events if e.disease_code == "avian_influenza_h5n1")
    page = cli("report", "sitrep", str(h5n1.id), "--output", "-").stdout_bytes.decode()
    # The latest rapid risk assessment version, with its confidence.
    assert "Version 1" in page and "confidence: not recorded" not in page
    # 7-1-7 measured from the recorded dates.
    assert "No 7-1-7 timeliness measured yet." not in page
    for milestone in ("detection", "notification", "response"):
        assert f'<th scope="row">{milestone}</th>' in page
    # What was asked of Viet Nam and Laos, and Viet Nam's accepted offer.
    assert "Genetic sequencing of the H5N1 isolate" in page
    assert "Viet Nam: accepted" in page and "in progress" in page
    closed = next(e for e in events if e.status == "closed")
    page = cli("report", "sitrep", str(closed.id), "--output", "-").stdout_bytes.decode()
    assert "No assistance asked for." in page
    with session_factory() as session:
        asked = session.scalars(select(AssistanceRequest.title)).all()
    assert len(asked) == len(assistance_demo.DEMO_REQUESTS)


def test_the_report_shows_the_resources_requested_and_received(
    events: list[Event], session_factory: sessionmaker[Session], cli: Run
) -> None:
    measles = next(e for e in events if e.title == "Measles outbreak, the Philippines")
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(session_factory) as session:
        session.add(
            Item(
                code="mr-test",
                name="MR vaccine (test)",
                kind="vaccine",
                unit_of_issue="vial",
                pack_size=1,
                cold_chain="2_8c",
                min_shelf_life_days=0,
                created_at=now,
                updated_at=now,
            )
        )
        for code, country in (("KOR-T", "KOR"), ("PHL-T", "PHL")):
            session.add(
                Holder(
                    code=code,
                    name=f"{country} store",
                    kind="national_stockpile",
                    country_code=country,
                    created_at=now,
                )
            )
        session.flush()
        lot = Lot(
            item_code="mr-test",
            holder_code="KOR-T",
            lot_number="L1",
            expires_on=dt.date(2030, 1, 1),
            created_at=now,
        )
        asked = [
            ResourceRequest(
                country_code="PHL",
                kind="item",
                item_code="mr-test",
                quantity=q,
                priority="critical",
                needed_by=dt.date(2030, 1, 1),
                delivery_point="Manila",
                event_id=measles.id,
                status=status,
                requested_at=now,
                requested_by="x",
                updated_at=now,
            )
            for q, status in ((500, "approved"), (300, "approved"), (900, "rejected"))
        ]
        session.add_all([lot, *asked])
        session.flush()
        for request, status, received in (
            (asked[0], "received", 480),
            (asked[1], "dispatched", None),
        ):
            session.add(
                Shipment(
                    lot_id=lot.id,
                    request_id=request.id,
                    destination_holder_code="PHL-T",
                    quantity=request.quantity,
                    status=status,
                    expected_on=dt.date(2030, 1, 1),
                    created_at=now,
                    quantity_received=received,
                )
            )
    page = cli("report", "sitrep", str(measles.id), "--output", "-").stdout_bytes.decode()
    section = page.split('id="s-resources"')[1]
    # Requested 500 + 300 (the rejected 900 left out); 480 received so far, from Korea.
    assert '<th scope="row">MR vaccine (test)</th><td>vial</td>' in section
    assert ">800<" in section and ">480<" in section and "60.0%" in section
    assert "KOR store" in section
