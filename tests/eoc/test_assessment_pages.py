"""The assessment pages through the HTTP client: the section loads on the event's page by htmx
and as a page of its own, the three forms need the CSRF token, record what they are given, and
show the errors of a refused form; viewers see no forms; the regional 7-1-7 table."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.test_pages import HTML, HTMX, sign_in

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import service
from healthbridge.policy import Principal, Role

MakeUser = Callable[..., User]
RRA = {
    "hazard": "Measles genotype D8",
    "exposure": "Low coverage district",
    "context": "School term",
    "likelihood": "highly_likely",
    "consequence": "moderate",
    "confidence": "high",
    "rationale": "Twelve cases in a school",
}


def make_event(factory: sessionmaker[Session], status: str = "verified") -> int:
    actor = Principal(email="eoc@tha", role=Role.EOC_OFFICER, country="THA")
    with unit_of_work(factory) as session:
        event = service.create_event(
            session=session, actor=actor, new=service.NewEvent(country="THA", disease="measles")
        )
        event.status = status
        session.flush()
        return event.id


def test_the_forms_record_and_the_sections_render(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    event_id = make_event(session_factory)
    token = sign_in(client, make_user(Role.EOC_OFFICER, "THA"))
    page = client.get(f"/eoc/events/{event_id}", headers=HTML).text
    assert f'hx-get="/eoc/events/{event_id}/assessments"' in page
    section = client.get(f"/eoc/events/{event_id}/assessments", headers=HTMX).text
    for testid in ("rra-form", "annex2-form", "timeliness-form", "timeliness-metrics"):
        assert f'data-testid="{testid}"' in section
    assert "<html" not in section

    url = f"/eoc/events/{event_id}"
    assert client.post(f"{url}/risk-assessments", data=RRA, headers=HTML).status_code == 403
    saved = client.post(
        f"{url}/risk-assessments",
        data={**RRA, "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert saved.status_code == 303
    bad = client.post(
        f"{url}/risk-assessments",
        data={**RRA, "likelihood": "perhaps", "csrf_token": token},
        headers=HTML,
    )
    assert bad.status_code == 422 and "<code>likelihood</code>" in bad.text
    assert "Twelve cases in a school" in bad.text  # the form keeps what was typed

    answers = {
        "serious_impact": "yes",
        "serious_impact_justification": "Two deaths",
        "unusual": "yes",
        "unusual_justification": "Eliminated since 2019",
        "international_spread": "no",
        "international_spread_justification": "Remote district",
        "travel_trade_restrictions": "no",
        "travel_trade_restrictions_justification": "None",
        "csrf_token": token,
    }
    decided = client.post(f"{url}/annex2", data=answers, headers=HTML, follow_redirects=False)
    assert decided.status_code == 303
    partial = client.post(
        f"{url}/annex2", data={**answers, "unusual": ""}, headers=HTML, follow_redirects=False
    )
    assert partial.status_code == 422 and "answers.unusual" in partial.text

    dates = {
        "emergence_date": "2026-02-01",
        "detection_date": "2026-02-03",
        "notification_date": "2026-02-10",
        "investigation": "2026-02-11",
        "lab_confirmation_na": "yes",
        "csrf_token": token,
    }
    stored = client.post(f"{url}/timeliness", data=dates, headers=HTML, follow_redirects=False)
    assert stored.status_code == 303
    wrong = client.post(
        f"{url}/timeliness", data={**dates, "detection_date": "3 Feb"}, headers=HTML
    )
    assert wrong.status_code == 422 and "<code>detection_date</code>" in wrong.text

    shown = client.get(f"/eoc/events/{event_id}/assessments", headers=HTML).text
    assert 'data-testid="rra-level">high<' in shown
    assert 'data-notify="yes"' in shown and "notify WHO within 24 hours" in shown
    assert 'data-step="notification" data-status="missed"' in shown
    assert "Bottleneck:</strong> notification" in shown
    assert 'value="2026-02-03"' in shown
    timeline = client.get(f"/eoc/events/{event_id}", headers=HTML).text
    assert "Rapid risk assessment version 1" in timeline

    regional = client.get("/eoc/timeliness?year=2026", headers=HTML).text
    assert 'data-country="THA" data-quarter="2026-Q1"' in regional
    assert "/eoc/timeliness" in client.get("/eoc", headers=HTML).text


def test_viewers_see_no_forms_and_others_get_404(
    client: TestClient, make_user: MakeUser, session_factory: sessionmaker[Session]
) -> None:
    event_id = make_event(session_factory)
    token = sign_in(client, make_user(Role.VIEWER, "THA"))
    section = client.get(f"/eoc/events/{event_id}/assessments", headers=HTML).text
    assert 'data-testid="timeliness-metrics"' in section
    assert 'data-testid="rra-form"' not in section
    refused = client.post(
        f"/eoc/events/{event_id}/risk-assessments",
        data={**RRA, "csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 403
    client.cookies.clear()
    sign_in(client, make_user(Role.EOC_OFFICER, "VNM"))
    assert client.get(f"/eoc/events/{event_id}/assessments", headers=HTML).status_code == 404
