"""E-mail notification of published alerts to the users who subscribed to them.

A user subscribes themselves (never someone else) to the alerts of a country, of a disease, of
both, or of everything. When an alert is published (:func:`healthbridge.eoc.alerts.
publish_alert`), one e-mail per matching active subscriber is queued in the outbox in the same
transaction, keyed so that it is queued once however the publication is retried;
``healthbridge notify send`` delivers the outbox over SMTP. Published alerts are public, so a
subscriber of any country receives them.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from healthbridge.accounts.models import User
from healthbridge.audit import service as audit
from healthbridge.db import utcnow
from healthbridge.eoc.models import AlertSubscription, Event, PublishedAlert
from healthbridge.errors import Conflict, FieldError, Invalid, NotFound
from healthbridge.geography.models import Country
from healthbridge.notifications import service as outbox
from healthbridge.policy import Action, Principal, authorize
from healthbridge.surveillance.models import Disease

#: Subscriptions one user may hold.
MAX_SUBSCRIPTIONS = 50


def _user_id(actor: Principal) -> int:
    authorize(actor, Action.OWN_PROFILE)
    if actor.user_id is None:
        raise Invalid(
            "only a signed-in user subscribes to alerts",
            errors=[FieldError("user", "sign in as the user who wants the e-mails")],
        )
    return actor.user_id


def list_subscriptions(*, session: Session, actor: Principal) -> list[AlertSubscription]:
    """The actor's own subscriptions."""
    user_id = _user_id(actor)
    return list(
        session.scalars(
            select(AlertSubscription)
            .where(AlertSubscription.user_id == user_id)
            .order_by(AlertSubscription.id)
        )
    )


def subscribe(
    *, session: Session, actor: Principal, country: str | None, disease: str | None
) -> AlertSubscription:
    """Subscribe the actor to the alerts of ``country`` and/or ``disease`` (None: any).

    Raises :class:`Invalid` naming an unknown country or disease, :class:`Conflict` for a
    subscription the actor holds already or past :data:`MAX_SUBSCRIPTIONS`.
    """
    user_id = _user_id(actor)
    country = country.strip().upper() if country and country.strip() else None
    disease = disease.strip().lower() if disease and disease.strip() else None
    errors = []
    if country is not None and session.get(Country, country) is None:
        errors.append(FieldError("country", f"'{country}' is not a served country"))
    if disease is not None and session.get(Disease, disease) is None:
        errors.append(FieldError("disease", f"'{disease}' is not a disease code"))
    if errors:
        raise Invalid("cannot subscribe", errors=errors)
    held = list_subscriptions(session=session, actor=actor)
    if any(s.country_code == country and s.disease_code == disease for s in held):
        raise Conflict("you are subscribed to these alerts already")
    if len(held) >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"at most {MAX_SUBSCRIPTIONS} subscriptions per user")
    subscription = AlertSubscription(
        user_id=user_id, country_code=country, disease_code=disease, created_at=utcnow()
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="alert_subscription.create",
        object_type="alert_subscription",
        object_id=subscription.id,
        detail={"country": country, "disease": disease},
    )
    return subscription


def unsubscribe(*, session: Session, actor: Principal, subscription_id: int) -> None:
    """Remove one of the actor's subscriptions (:class:`NotFound` for anyone else's)."""
    user_id = _user_id(actor)
    subscription = session.get(AlertSubscription, subscription_id)
    if subscription is None or subscription.user_id != user_id:
        raise NotFound(f"you hold no subscription {subscription_id}")
    session.delete(subscription)
    audit.record(
        session=session,
        actor=actor,
        action="alert_subscription.delete",
        object_type="alert_subscription",
        object_id=subscription_id,
    )


def notify_subscribers(
    *, session: Session, actor: Principal, event: Event, alert: PublishedAlert, base_url: str
) -> int:
    """Queue one e-mail per active user subscribed to the alert's country or disease; the
    number queued (an e-mail already queued for this alert and user is not queued again)."""
    query = (
        select(User)
        .join(AlertSubscription, AlertSubscription.user_id == User.id)
        .where(
            User.is_active.is_(True),
            or_(
                AlertSubscription.country_code.is_(None),
                AlertSubscription.country_code == event.country_code,
            ),
            or_(
                AlertSubscription.disease_code.is_(None),
                AlertSubscription.disease_code == event.disease_code,
            ),
        )
        .distinct()
        .order_by(User.id)
    )
    base = base_url.rstrip("/")
    queued = 0
    for user in session.scalars(query):
        email = outbox.queue_email(
            session=session,
            actor=actor,
            to=user.email,
            subject=" ".join(f"[HealthBridge alert] {alert.title}".split())[:200],
            body=(
                f"{alert.title}\n\n{alert.summary}\n\n"
                f"{alert.msg_type} {alert.identifier}, published "
                f"{alert.published_at:%Y-%m-%d %H:%M} UTC.\n"
                f"The alert: {base}/alerts/{alert.identifier}\n"
                f"As CAP 1.2: {base}/alerts/{alert.identifier}.xml\n\n"
                "You receive this because you subscribed to these alerts in HealthBridge "
                "(your profile page lists and removes your subscriptions)."
            ),
            dedupe_key=f"alert:{alert.identifier}:user:{user.id}",
        )
        queued += email is not None
    return queued
