"""E-mail notification of published alerts: users subscribe themselves by country and
disease; publishing queues one e-mail per matching subscriber, once, and the outbox delivers
them to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.eoc.event_arrange import make_signal
from tests.notifications.smtp_inbox import smtp_inbox

from healthbridge.accounts.models import User
from healthbridge.db import unit_of_work
from healthbridge.eoc import demo
from healthbridge.eoc.models import Event
from healthbridge.notifications import sender
from healthbridge.notifications.models import OutboundEmail
from healthbridge.policy import Principal, Role

Headers = dict[str, str]
API = "/api/v1/me/alert-subscriptions"


def outbox(factory: sessionmaker[Session]) -> list[OutboundEmail]:
    with factory() as session:
        return list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))


def test_subscriptions_are_the_callers_own_and_checked(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], Headers],
) -> None:
    alice = login(make_user(Role.EPIDEMIOLOGIST, "THA"))
    bob = login(make_user(Role.VIEWER, "IDN"))
    made = client.post(API, json={"country": "phl", "disease": "measles"}, headers=alice)
    assert made.status_code == 201, made.text
    assert (made.json()["country_code"], made.json()["disease_code"]) == ("PHL", "measles")
    assert (
        client.post(API, json={"country": "PHL", "disease": "measles"}, headers=alice).status_code
        == 409
    )
    bad = client.post(API, json={"country": "XXX", "disease": "flu?"}, headers=alice)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"country", "disease"}
    assert client.post(API, json={}, headers=bob).status_code == 201  # everything
    assert [s["id"] for s in client.get(API, headers=alice).json()] == [made.json()["id"]]
    # Bob cannot remove Alice's subscription: it is not his.
    assert client.delete(f"{API}/{made.json()['id']}", headers=bob).status_code == 404
    assert client.delete(f"{API}/{made.json()['id']}", headers=alice).status_code == 204
    assert client.get(API, headers=alice).json() == []


def test_publishing_emails_the_matching_subscribers_once_through_smtp(
    client: TestClient,
    make_user: Callable[..., User],
    login: Callable[[User], Headers],
    session_factory: sessionmaker[Session],
    operator: Principal,
) -> None:
    measles_fan = make_user(Role.EPIDEMIOLOGIST, "THA")
    everything = make_user(Role.VIEWER, "IDN")
    dengue_only = make_user(Role.VIEWER, "VNM")
    client.post(API, json={"disease": "measles"}, headers=login(measles_fan))
    client.post(API, json={}, headers=login(everything))
    client.post(API, json={"country": "VNM", "disease": "dengue"}, headers=login(dengue_only))
    with unit_of_work(session_factory) as session:
        make_signal(session, country="PHL", area=None, disease="measles", week="2026-W46")
        demo.load_demo(session=session, actor=operator)
    with session_factory() as session:
        public = list(session.scalars(select(Event).where(Event.shared_with_region.is_(True))))
        measles = [e for e in public if e.disease_code == "measles"]
    queued = outbox(session_factory)
    by_address: dict[str, list[str]] = {}
    for email in queued:
        by_address.setdefault(email.to_address, []).append(email.subject)
    assert len(by_address[everything.email]) == len(public) > 0
    assert len(by_address[measles_fan.email]) == len(measles) > 0
    assert dengue_only.email not in by_address  # no Viet Nam dengue alert was published
    assert all(s.startswith("[HealthBridge alert] ") for s in by_address[everything.email])
    assert "/alerts/healthbridge.event." in queued[0].body
    # Loading the demo again publishes nothing new, so nothing is queued twice.
    with unit_of_work(session_factory) as session:
        demo.load_demo(session=session, actor=operator)
    assert len(outbox(session_factory)) == len(queued)
    with smtp_inbox() as inbox, unit_of_work(session_factory) as session:
        config = sender.SmtpConfig(host=inbox.host, port=inbox.port, sender="eoc@example.org")
        report = sender.deliver_pending(session=session, actor=operator, config=config)
    assert report.sent == len(queued)
    received = {(to[0], m["Subject"]) for _from, to, m in inbox.envelopes}
    assert (measles_fan.email, by_address[measles_fan.email][0]) in received
