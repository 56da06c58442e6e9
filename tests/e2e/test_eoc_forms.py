"""The EOC's forms in a real browser, as an EOC officer of the event's country:

- the assessments of a verified event: two versions of the rapid risk assessment (the event's
  risk level follows the latest, the first stays listed), the IHR Annex 2 instrument (refused
  without a justification, with a clear message and what was typed kept; then the decision to
  notify WHO within 24 hours, with its deadline), and the 7-1-7 dates (met and missed, the
  bottleneck named);
- a field investigation: started from the event's page, a team member deployed from Viet Nam,
  samples sent to a laboratory, a task assigned to the officer, which their task list ("Tasks"
  in the navigation) shows and marks done.

Every test runs on SQLite and on PostgreSQL, against the app served by uvicorn, in Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.e2e.browsing import sign_in
from tests.e2e.conftest import PageLog

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import service
from healthbridge.eoc.assessment_models import Annex2Decision
from healthbridge.eoc.investigations import today
from healthbridge.policy import Principal, Role
from healthbridge.web import i18n

pytestmark = pytest.mark.browser

UserFactory = Callable[..., User]
TITLE = "Dengue cluster in Chiang Mai"


def _verified_event(session_factory: sessionmaker[Session], operator: Principal) -> int:
    """A Thai dengue event, verified: ready for its risk assessment."""
    with unit_of_work(session_factory) as session:
        event = service.create_event(
            session=session,
            actor=operator,
            new=service.NewEvent(country="THA", disease="dengue", title=TITLE),
        )
        service.transition(
            session=session,
            actor=operator,
            event_id=event.id,
            action="verify",
            fields={"source": "Provincial health office", "method": "Hospital records"},
        )
        return event.id


def _days_ago(days: int) -> str:
    return (today() - dt.timedelta(days=days)).isoformat()


def _shown(day: dt.date | dt.datetime) -> str:
    """A date or time as the (English) pages show it."""
    with i18n.use_language("en"):
        return i18n.format_day(day)


def _risk_assessment(page: Page, likelihood: str, consequence: str, rationale: str) -> None:
    form = page.get_by_role("form", name="New version of the risk assessment")
    form.get_by_label("Hazard assessment").fill("Dengue virus, serotypes 1 and 2")
    form.get_by_label("Exposure assessment").fill("Aedes aegypti abundant after the rains")
    form.get_by_label("Context assessment").fill("Hospitals near capacity")
    form.get_by_label("Likelihood").select_option(likelihood)
    form.get_by_label("Consequence").select_option(consequence)
    form.get_by_label("High", exact=True).check()
    form.get_by_label("Rationale").fill(rationale)
    form.get_by_role("button", name="Record the assessment").click()


def test_an_officer_fills_the_assessment_forms(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    operator: Principal,
    page_log: PageLog,
) -> None:
    event_id = _verified_event(session_factory, operator)
    sign_in(page, live_server, make_user(Role.EOC_OFFICER, "THA").email)
    event_url = f"{live_server}/eoc/events/{event_id}"
    page.goto(event_url)
    expect(page.get_by_text("Risk not assessed")).to_be_visible()

    # Rapid risk assessment: likely × moderate is high; then unlikely × moderate, moderate.
    _risk_assessment(page, "likely", "moderate", "Admissions doubling weekly")
    expect(page).to_have_url(f"{event_url}#assessments")
    expect(page.get_by_test_id("event-risk")).to_have_text("Risk: High")
    _risk_assessment(page, "unlikely", "moderate", "Vector control under way")
    expect(page.get_by_test_id("event-risk")).to_have_text("Risk: Moderate")
    versions = page.get_by_test_id("rra-versions").locator("tbody tr")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_have_attribute("data-version", "2")
    expect(versions.nth(0).get_by_test_id("rra-level")).to_have_text("moderate")
    expect(versions.nth(1)).to_have_attribute("data-version", "1")
    expect(versions.nth(1).get_by_test_id("rra-level")).to_have_text("high")
    expect(versions.nth(1)).to_contain_text("Admissions doubling weekly")
    expect(page.get_by_test_id("timeline").locator(":scope > li")).to_have_count(4)

    # IHR Annex 2: an answer without its justification is refused, naming the question.
    annex2 = page.get_by_role("form", name="Run the Annex 2 instrument")
    answers = {
        "Is the public health impact of the event serious?": ("Yes", "Three deaths in a week"),
        "Is the event unusual or unexpected?": ("Yes", ""),
        "Is there a significant risk of international spread?": ("No", "No travel-related case"),
        "Is there a significant risk of international travel or trade restrictions?": (
            "No",
            "Endemic disease, no restriction expected",
        ),
    }
    for question, (answer, justification) in answers.items():
        group = annex2.get_by_role("group", name=question)
        group.get_by_label(answer, exact=True).check()
        group.get_by_label("Justification").fill(justification)
    annex2.get_by_role("button", name="Record the decision").click()
    refused = page.get_by_role("form", name="Run the Annex 2 instrument")
    alert = refused.get_by_role("alert")
    expect(alert).to_contain_text("answers.unusual.justification")
    expect(alert).to_contain_text("a justification is required")
    unusual = refused.get_by_role("group", name="Is the event unusual or unexpected?")
    expect(unusual.get_by_label("Yes", exact=True)).to_be_checked()
    serious = refused.get_by_role("group", name="Is the public health impact of the event serious?")
    expect(serious.get_by_label("Justification")).to_have_value("Three deaths in a week")
    expect(page.get_by_text("No Annex 2 decision yet.")).to_be_visible()
    unusual.get_by_label("Justification").fill("Earlier than the usual season")
    refused.get_by_role("button", name="Record the decision").click()
    expect(page).to_have_url(f"{event_url}#assessments")
    decision = page.get_by_test_id("annex2-decisions").locator(":scope > li")
    expect(decision).to_have_count(1)
    expect(decision).to_have_attribute("data-notify", "yes")
    with session_factory() as session:
        row = session.scalars(select(Annex2Decision).where(Annex2Decision.event_id == event_id))
        recorded = row.one()
        assert recorded.deadline is not None
        assert recorded.deadline - recorded.decided_at == dt.timedelta(hours=24)
        deadline = _shown(recorded.deadline)
    expect(decision).to_contain_text(f"Version 1: notify WHO within 24 hours (by {deadline})")
    expect(decision).to_contain_text("Earlier than the usual season")

    # 7-1-7: detected 10 days after emergence (missed), notified the same day (met), every
    # early-response action done 5 days after (met): the bottleneck is detection.
    dates = page.get_by_role("form", name="Dates")
    dates.get_by_label("Emergence (estimated)").fill(_days_ago(20))
    dates.get_by_label("Detection", exact=True).fill(_days_ago(10))
    dates.get_by_label("Notification", exact=True).fill(_days_ago(10))
    completed = dates.locator("fieldset input[type=date]")
    expect(completed).to_have_count(7)
    for n in range(7):
        completed.nth(n).fill(_days_ago(5))
    dates.get_by_role("button", name="Save the dates").click()
    expect(page).to_have_url(f"{event_url}#assessments")
    metrics = page.get_by_test_id("timeliness-metrics")
    expect(metrics.locator("tr[data-step=detection]")).to_have_attribute("data-status", "missed")
    expect(metrics.locator("tr[data-step=detection]")).to_contain_text("10")
    expect(metrics.locator("tr[data-step=notification]")).to_have_attribute("data-status", "met")
    expect(metrics.locator("tr[data-step=response]")).to_have_attribute("data-status", "met")
    expect(page.get_by_test_id("bottlenecks")).to_have_text("Bottleneck: detection")

    page.wait_for_load_state("networkidle")
    # The refused form's answer (422) is the only thing the console reports.
    assert len(page_log.errors) == 1, page_log.errors
    assert "status of 422" in page_log.errors[0]
    assert f"{event_url}/annex2" in page_log.errors[0]
    assert page_log.foreign_requests == []


def test_an_officer_runs_a_field_investigation_and_finishes_a_task(
    page: Page,
    live_server: str,
    make_user: UserFactory,
    session_factory: sessionmaker[Session],
    operator: Principal,
    page_log: PageLog,
) -> None:
    event_id = _verified_event(session_factory, operator)
    officer = make_user(Role.EOC_OFFICER, "THA")
    sign_in(page, live_server, officer.email)
    page.goto(f"/eoc/events/{event_id}")

    page.get_by_test_id("start-investigation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Start a field investigation")
    page.get_by_label("Title").fill("Household survey, Chiang Mai")
    page.get_by_label("Started on").fill(_days_ago(2))
    page.get_by_label("Case definition used").fill("Fever with two of: headache, rash, myalgia")
    page.get_by_label("Line list (web address)").fill("https://sheets.example.org/line-list")
    page.get_by_role("button", name="Start the investigation").click()
    expect(page).to_have_url(re.compile(rf"/eoc/events/{event_id}/investigations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Household survey, Chiang Mai")
    expect(page.get_by_test_id("investigation-dates")).to_have_text(
        f"from {_shown(today() - dt.timedelta(days=2))}, ongoing"
    )

    team = page.get_by_role("form", name="Add a team member")
    team.get_by_label("Name").fill("Dr Nguyen Van An")
    team.get_by_label("Role").fill("Entomologist")
    team.get_by_label("Country").select_option(label="Viet Nam")
    team.get_by_label("E-mail").fill("an.nguyen@example.org")
    team.get_by_role("button", name="Add to the team").click()
    member = page.get_by_test_id("team").locator("tbody tr")
    expect(member).to_have_count(1)
    expect(member).to_contain_text("Dr Nguyen Van An")
    expect(member).to_contain_text("Viet Nam")
    expect(member.get_by_test_id("cross-border")).to_be_visible()

    samples = page.get_by_role("form", name="Record samples sent")
    samples.get_by_label("Samples", exact=True).fill("8")
    samples.get_by_label("Specimen").fill("Serum")
    samples.get_by_label("Laboratory").fill("Regional Medical Sciences Centre, Chiang Mai")
    samples.get_by_label("Sent on").fill(_days_ago(1))
    samples.get_by_role("button", name="Record the samples").click()
    shipment = page.get_by_test_id("samples").locator("tbody tr")
    expect(shipment).to_have_count(1)
    expect(shipment).to_contain_text("Regional Medical Sciences Centre, Chiang Mai")
    expect(shipment).to_contain_text("8")

    task = page.get_by_role("form", name="Add a task")
    task.get_by_label("Task", exact=True).fill("Map the breeding sites")
    task.get_by_label("Assignee's e-mail").fill(officer.email)
    task.get_by_label("Due on").fill((today() + dt.timedelta(days=3)).isoformat())
    task.get_by_role("button", name="Add the task").click()
    expect(page.get_by_test_id("tasks").locator("tbody tr")).to_contain_text(
        "Map the breeding sites"
    )

    # The officer's own task list: the task is there, and marking it done works.
    page.get_by_role("navigation", name="Modules").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My tasks")
    row = page.get_by_test_id("my-tasks").locator("tbody tr", has_text="Map the breeding sites")
    expect(row).to_contain_text("Household survey, Chiang Mai")
    expect(row.get_by_test_id("task-status")).to_have_text("Open")
    row.get_by_role("button", name="Mark done").click()
    expect(row.get_by_test_id("task-status")).to_have_text(f"Done ({_shown(today())})")
    expect(row.get_by_role("button", name="Mark done")).to_have_count(0)

    # Every open task of the events seen: it is no longer among them.
    page.get_by_role("link", name="Open tasks of every investigation you see").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Investigation tasks")
    expect(page.get_by_text("No open task.")).to_be_visible()

    page.wait_for_load_state("networkidle")
    assert page_log.errors == []
    assert page_log.foreign_requests == []
