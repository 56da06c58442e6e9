"""Events as CAP 1.2 alerts: every demo event's alert validates against the OASIS schema, from
the command line and from the API; sharing decides public or restricted; unseen events are 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from tests.eoc.event_arrange import make_signal
from tests.eoc.test_pages import HTML, sign_in
from typer.testing import CliRunner, Result

from healthbridge.accounts.models import User
from healthbridge.cli import app
from healthbridge.db import unit_of_work
from healthbridge.eoc import demo
from healthbridge.eoc.models import Event
from healthbridge.interop.cap import validate_cap
from healthbridge.policy import Principal, Role
from healthbridge.settings import get_settings

CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
Run = Callable[..., Result]


@pytest.fixture
def events(session_factory: sessionmaker[Session], operator: Principal) -> list[Event]:
    with unit_of_work(session_factory) as session:
        make_signal(session, country="THA", area="TH-10", disease="dengue", week="2026-W46")
        make_signal(session, country="PHL", area=None, disease="measles", week="2026-W46")
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        found = list(
            session.scalars(
                select(Event)
                .options(selectinload(Event.shares), selectinload(Event.areas))
                .order_by(Event.id)
            )
        )
        session.expunge_all()
    assert len(found) == len(demo.DEMO_EVENTS)
    return found


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_every_demo_alert_validates_and_carries_the_events_ratings(
    events: list[Event], cli: Run
) -> None:
    for event in events:
        result = cli("export", "cap", str(event.id))
        assert result.exit_code == 0, result.output
        xml = result.stdout_bytes
        validate_cap(xml)  # raises on any schema error
        alert = etree.fromstring(xml)
        assert alert.findtext("cap:identifier", namespaces=CAP).startswith(
            f"healthbridge.event.{event.id}."
        )
        scope = alert.findtext("cap:scope", namespaces=CAP)
        assert scope == ("Public" if event.shared_with_region else "Restricted")
        assert alert.findtext("cap:info/cap:headline", namespaces=CAP) == event.title[:160]
        urgency = alert.findtext("cap:info/cap:urgency", namespaces=CAP)
        if event.status in ("closed", "discarded"):
            assert urgency == "Past"
        severity = alert.findtext("cap:info/cap:severity", namespaces=CAP)
        expected = {
            None: "Unknown",
            "very_low": "Minor",
            "low": "Minor",
            "moderate": "Moderate",
            "high": "Severe",
            "very_high": "Extreme",
        }[event.risk_level]
        assert severity == expected
        geocodes = alert.findall("cap:info/cap:area/cap:geocode/cap:value", namespaces=CAP)
        expected_codes = [a.area_code for a in event.areas] or [event.country_code]
        assert [g.text for g in geocodes] == expected_codes


def test_the_api_answers_cap_to_those_who_see_the_event_and_404_to_others(
    events: list[Event],
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    private = next(e for e in events if not e.shared_with_region and not e.shares)
    own = login(make_user(Role.EOC_OFFICER, private.country_code))
    other_country = "IDN" if private.country_code != "IDN" else "MYS"
    other = login(make_user(Role.EOC_OFFICER, other_country))
    answer = client.get(f"/api/v1/events/{private.id}/cap", headers=own)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/cap+xml")
    validate_cap(answer.content)
    refused = client.get(f"/api/v1/events/{private.id}/cap", headers=other)
    assert refused.status_code == 404
    assert private.title not in refused.text


ATOM = {"a": "http://www.w3.org/2005/Atom"}


def test_the_public_feed_lists_what_was_published_and_each_cap_validates(
    events: list[Event], client: TestClient
) -> None:
    """No sign-in: the feed holds the alerts of the demo events shared with the region (the
    demo publishes them), each linking to a public page and to its CAP document."""
    feed = client.get("/alerts/feed.atom")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.content)
    entries = root.findall("a:entry", namespaces=ATOM)
    public = [e for e in events if e.shared_with_region]
    assert len(entries) == len(public) > 0
    titles = {e.findtext("a:title", namespaces=ATOM) for e in entries}
    assert titles == {e.title for e in public}
    for entry in entries:
        links = {
            link.get("type"): link.get("href") for link in entry.findall("a:link", namespaces=ATOM)
        }
        cap_path = links["application/cap+xml"].removeprefix("http://testserver")
        document = client.get(cap_path)
        assert document.status_code == 200
        validate_cap(document.content)
        assert etree.fromstring(document.content).findtext("cap:scope", namespaces=CAP) == (
            "Public"
        )
        page = client.get(links["text/html"].removeprefix("http://testserver"))
        assert page.status_code == 200 and entry.findtext("a:title", namespaces=ATOM) in page.text
    assert client.get("/alerts/healthbridge.event.999.1.xml").status_code == 404


def test_publishing_needs_regional_sharing_and_a_change_then_updates_the_last_alert(
    events: list[Event],
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    private = next(e for e in events if not e.shared_with_region and e.status != "discarded")
    own = login(make_user(Role.EOC_OFFICER, private.country_code))
    refused = client.post(f"/api/v1/events/{private.id}/alerts", headers=own)
    assert refused.status_code == 409 and "share it with the region" in refused.text

    public = next(e for e in events if e.shared_with_region and e.status == "responding")
    officer = login(make_user(Role.EOC_OFFICER, public.country_code))
    again = client.post(f"/api/v1/events/{public.id}/alerts", headers=officer)
    assert again.status_code == 409 and "has not changed" in again.text
    stepped = client.post(
        f"/api/v1/events/{public.id}/transitions",
        json={"action": "respond", "level": "full"},
        headers=officer,
    )
    assert stepped.status_code == 200, stepped.text
    published = client.post(f"/api/v1/events/{public.id}/alerts", headers=officer)
    assert published.status_code == 201, published.text
    assert published.json()["msg_type"] == "Update"
    history = client.get(f"/api/v1/events/{public.id}/alerts", headers=officer).json()
    assert [a["msg_type"] for a in history] == ["Update", "Alert"]
    update = client.get(f"/alerts/{history[0]['identifier']}.xml").content
    validate_cap(update)
    references = etree.fromstring(update).findtext("cap:references", namespaces=CAP)
    assert references is not None and history[1]["identifier"] in references


def test_the_event_page_lists_its_alerts_and_publishes_from_a_form(
    events: list[Event], client: TestClient, make_user: Callable[..., User]
) -> None:
    public = next(e for e in events if e.shared_with_region and e.status == "responding")
    token = sign_in(client, make_user(Role.EOC_OFFICER, public.country_code))
    page = client.get(f"/eoc/events/{public.id}", headers=HTML).text
    assert 'data-testid="published-alerts"' in page and 'data-testid="publish-form"' in page
    # Unchanged since the demo published it: the form answers the conflict on the page.
    again = client.post(f"/eoc/events/{public.id}/alerts", data={"csrf_token": token}, headers=HTML)
    assert again.status_code == 409 and "has not changed" in again.text
    client.post(
        f"/eoc/events/{public.id}/transitions",
        data={"action": "respond", "level": "full", "csrf_token": token},
        headers=HTML,
    )
    published = client.post(
        f"/eoc/events/{public.id}/alerts",
        data={"csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert published.status_code == 303
    page = client.get(f"/eoc/events/{public.id}", headers=HTML).text
    assert page.count("/alerts/healthbridge.event.") >= 4  # two alerts, page and CAP links
