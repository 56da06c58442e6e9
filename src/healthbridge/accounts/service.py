"""Accounts: users, passwords, tokens and the principals they authenticate.

A country's accounts are personal data of its officials and stay in the country's scope: a focal
point administers the accounts of their own country, a regional administrator those of everyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from healthbridge.accounts.models import ApiToken, User
from healthbridge.accounts.schemas import TokenCreate, UserCreate, UserUpdate
from healthbridge.audit import service as audit
from healthbridge.audit.models import AuditEntry
from healthbridge.db import utcnow
from healthbridge.errors import (
    Conflict,
    DenialContext,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from healthbridge.geography import service as geography
from healthbridge.organisations import service as organisations
from healthbridge.paging import PageRequest, like_pattern, paginate
from healthbridge.policy import (
    COUNTRY_ONLY_ROLES,
    REGIONAL_ONLY_ROLES,
    Action,
    Principal,
    Role,
    authorize,
    visible_countries,
)
from healthbridge.security import (
    burn_password_check,
    hash_password,
    looks_like_token,
    new_token,
    password_weakness,
    token_digest,
    verify_password,
)

TOKEN_KINDS = ("login", "web", "api")


def principal_of(user: User, *, token: ApiToken | None = None, via: str = "token") -> Principal:
    """The principal a user acts as."""
    return Principal(
        email=user.email,
        role=Role(user.role),
        country=user.country_code,
        user_id=user.id,
        token_id=token.id if token else None,
        via=via,
    )


def _check_role_scope(role: Role, country: str | None) -> None:
    if role in REGIONAL_ONLY_ROLES and country is not None:
        raise Invalid(
            f"a {role.label.lower()} acts for the region and has no country",
            errors=[FieldError("country", "must be null for this role")],
        )
    if role in COUNTRY_ONLY_ROLES and country is None:
        raise Invalid(
            f"a {role.label.lower()} speaks for one country",
            errors=[FieldError("country", "required for this role")],
        )


def create_user(*, session: Session, actor: Principal, user_in: UserCreate) -> User:
    """Create an account. A focal point may create accounts of their own country only."""
    country = geography.require_country(session=session, code=user_in.country)
    authorize(actor, Action.ACCOUNT_MANAGE, country=country, object_type="user")
    if country is None and not actor.is_regional:
        raise Forbidden("only a regional administrator creates regional accounts")
    if user_in.role is Role.REGIONAL_ADMIN and actor.role is not Role.REGIONAL_ADMIN:
        raise Forbidden("only a regional administrator creates regional administrators")
    _check_role_scope(user_in.role, country)
    organisation = organisations.require_organisation(session=session, code=user_in.organisation)
    if session.scalar(select(User.id).where(User.email == user_in.email)) is not None:
        raise Conflict(
            f"an account with e-mail {user_in.email} exists already",
            errors=[FieldError("email", "taken")],
        )
    weakness = password_weakness(user_in.password, email=user_in.email, full_name=user_in.full_name)
    if weakness:
        raise Invalid(
            f"the password {weakness}", errors=[FieldError("password", f"password {weakness}")]
        )
    user = User(
        email=user_in.email,
        full_name=user_in.full_name,
        title=user_in.title,
        role=user_in.role.value,
        country_code=country,
        organisation_code=organisation,
        password_hash=hash_password(user_in.password),
        is_active=True,
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        country=country,
        detail={"email": user.email, "role": user.role},
    )
    return user


def list_users(
    *,
    session: Session,
    actor: Principal,
    page: PageRequest,
    country: str | None = None,
    role: Role | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> tuple[list[User], int]:
    """Accounts the actor may see: their country's, or all for a regional administrator.

    Asking for another country's accounts is refused (and audited), never silently emptied.
    """
    allowed = visible_countries(actor, Action.ACCOUNT_READ)
    query = select(User)
    if country is not None:
        country = geography.require_country(session=session, code=country)
        authorize(actor, Action.ACCOUNT_READ, country=country, object_type="user")
        query = query.where(User.country_code == country)
    elif allowed is not None:
        query = query.where(User.country_code.in_(allowed))
    if role is not None:
        query = query.where(User.role == role.value)
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if q:
        pattern = like_pattern(q)
        query = query.where(
            or_(User.email.ilike(pattern, escape="\\"), User.full_name.ilike(pattern, escape="\\"))
        )
    users, total = paginate(
        session,
        query,
        page,
        sortable={
            "email": User.email,
            "name": User.full_name,
            "created": User.created_at,
            "id": User.id,
        },
        default_sort="email",
    )
    audit.record(
        session=session,
        actor=actor,
        action="user.list",
        object_type="user",
        country=country,
        detail={"returned": len(users), "total": total},
    )
    return users, total


def get_user(*, session: Session, actor: Principal, user_id: int) -> User:
    """One account. Reading another country's account is refused, and the refusal audited."""
    user = session.get(User, user_id)
    if user is None:
        authorize(actor, Action.ACCOUNT_READ, object_type="user", object_id=str(user_id))
        raise NotFound(f"no user with id {user_id}")
    authorize(
        actor,
        Action.ACCOUNT_READ,
        country=user.country_code,
        object_type="user",
        object_id=str(user_id),
    )
    audit.record(
        session=session,
        actor=actor,
        action="user.read",
        object_type="user",
        object_id=user.id,
        country=user.country_code,
    )
    return user


def find_user_by_email(*, session: Session, email: str) -> User | None:
    """The account with this e-mail, whatever its state (for the operator's CLI)."""
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def update_user(*, session: Session, actor: Principal, user_id: int, changes: UserUpdate) -> User:
    """Change name, title, role or active state of an account."""
    user = get_user(session=session, actor=actor, user_id=user_id)
    authorize(
        actor,
        Action.ACCOUNT_MANAGE,
        country=user.country_code,
        object_type="user",
        object_id=str(user_id),
    )
    values = changes.model_dump(exclude_unset=True)
    if "role" in values and values["role"] is not None:
        role = Role(values["role"])
        if role is Role.REGIONAL_ADMIN and actor.role is not Role.REGIONAL_ADMIN:
            raise Forbidden("only a regional administrator makes regional administrators")
        _check_role_scope(role, user.country_code)
        values["role"] = role.value
    if values.get("is_active") is False and user.id == actor.user_id:
        raise Invalid(
            "you cannot disable your own account",
            errors=[FieldError("is_active", "cannot disable yourself")],
        )
    for field, value in values.items():
        if value is not None or field == "title":
            setattr(user, field, value)
    if values.get("is_active") is False:
        _revoke_all(session=session, user=user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.update",
        object_type="user",
        object_id=user.id,
        country=user.country_code,
        detail={k: str(v) for k, v in values.items()},
    )
    return user


def disable_user(*, session: Session, actor: Principal, user_id: int) -> User:
    """Disable an account and revoke its tokens. Idempotent."""
    return update_user(
        session=session, actor=actor, user_id=user_id, changes=UserUpdate(is_active=False)
    )


def set_password(
    *,
    session: Session,
    actor: Principal,
    user: User,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Change a password: one's own (with the current one) or, for an administrator, anyone's."""
    if actor.user_id == user.id and current_password is not None:
        if not verify_password(user.password_hash, current_password):
            raise Invalid(
                "the current password is wrong",
                errors=[FieldError("current_password", "wrong password")],
            )
    else:
        authorize(
            actor,
            Action.ACCOUNT_MANAGE,
            country=user.country_code,
            object_type="user",
            object_id=str(user.id),
        )
    weakness = password_weakness(new_password, email=user.email, full_name=user.full_name)
    if weakness:
        raise Invalid(
            f"the new password {weakness}",
            errors=[FieldError("new_password", f"password {weakness}")],
        )
    user.password_hash = hash_password(new_password)
    _revoke_all(session=session, user=user, keep_token_id=actor.token_id)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="user.password",
        object_type="user",
        object_id=user.id,
        country=user.country_code,
    )


#: Failed sign-ins of one e-mail address within :data:`LOGIN_WINDOW` (since the account's last
#: successful sign-in) after which further attempts are refused until the window has passed.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_WINDOW = dt.timedelta(minutes=15)
#: Failed sign-ins from one network address within :data:`LOGIN_WINDOW`, whatever the accounts,
#: after which that address is refused until the window has passed: trying one password on
#: many accounts (password spraying) is held up as trying many on one account is. High enough
#: for a ministry's users behind one NAT address; a sign-in that succeeds does not reset it.
LOGIN_FAILURES_PER_ADDRESS = 50


def _failures_since(session: Session, since: dt.datetime, *conditions: Any) -> list[dt.datetime]:
    return list(
        session.scalars(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == "auth.login",
                AuditEntry.outcome == "denied",
                AuditEntry.at >= since,
                *conditions,
            )
            .order_by(AuditEntry.at.desc())
            .limit(max(LOGIN_FAILURES_ALLOWED, LOGIN_FAILURES_PER_ADDRESS))
        )
    )


def _refuse_while_throttled(
    session: Session, email: str, user: User | None, address: str | None
) -> None:
    """:class:`TooManyAttempts` if ``email``, or the network ``address`` the attempt comes from,
    failed too often lately.

    The failures are the audited refusals of ``auth.login`` (one store shared by every worker of
    the server; the address is in each refusal's detail); refusals for throttling are audited
    under another action, so hammering on does not prolong the wait, and the right password is
    refused too while it lasts.
    """
    now = utcnow()
    since = now - LOGIN_WINDOW
    if user is not None and user.last_login_at is not None:
        since = max(since, user.last_login_at)
    failures = _failures_since(session, since, AuditEntry.object_id == email)
    _refuse_past(failures, LOGIN_FAILURES_ALLOWED, now, whose="for this account", email=email)
    if address is not None:
        failures = _failures_since(
            session, now - LOGIN_WINDOW, AuditEntry.detail["address"].as_string() == address
        )
        whose = "from this network address"
        _refuse_past(failures, LOGIN_FAILURES_PER_ADDRESS, now, whose=whose, address=address)


def _refuse_past(
    failures: list[dt.datetime],
    allowed: int,
    now: dt.datetime,
    *,
    whose: str,
    email: str | None = None,
    address: str | None = None,
) -> None:
    """:class:`TooManyAttempts` (audited as ``auth.login.throttled`` of the ``email`` or the
    network ``address``) once ``failures``, newest first, reach ``allowed``; the wait ends when
    the window has passed over the ``allowed``-th newest."""
    object_type, object_id = ("user", email) if email is not None else ("address", address)
    if len(failures) < allowed:
        return
    oldest = failures[allowed - 1]
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    wait = int((oldest + LOGIN_WINDOW - now).total_seconds()) + 1
    raise TooManyAttempts(
        f"too many failed sign-ins {whose}: try again in {max(1, wait // 60)} minute(s)",
        retry_after=wait,
        context=DenialContext(
            action="auth.login.throttled", object_type=object_type, object_id=object_id
        ),
    )


def authenticate(
    *, session: Session, email: str, password: str, address: str | None = None
) -> User:
    """The active account with these credentials; one message for every failure.

    The failed attempt is audited by the border, like every refusal, with the network
    ``address`` it came from. After :data:`LOGIN_FAILURES_ALLOWED` failures in
    :data:`LOGIN_WINDOW` the e-mail address is refused, and after
    :data:`LOGIN_FAILURES_PER_ADDRESS` the network address (:class:`TooManyAttempts`), until
    the window has passed.
    """
    email = email.strip().lower()
    failure = Unauthenticated(
        "wrong e-mail or password",
        context=DenialContext(
            action="auth.login", object_type="user", object_id=email.replace("\x00", "")[:200]
        ),
    )
    if "\x00" in email:  # no account has one; PostgreSQL could not even compare it
        burn_password_check(password)
        raise failure
    user = session.scalar(select(User).where(User.email == email))
    _refuse_while_throttled(session, email[:200], user, address)
    if user is None:
        burn_password_check(password)
        raise failure
    if not verify_password(user.password_hash, password) or not user.is_active:
        raise failure
    user.last_login_at = utcnow()
    return user


def issue_token(
    *,
    session: Session,
    user: User,
    kind: str,
    name: str,
    expires_at: dt.datetime | None,
    actor: Principal | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret (shown once)."""
    if kind not in TOKEN_KINDS:
        raise Invalid(f"unknown token kind '{kind}'", errors=[FieldError("kind", "unknown")])
    secret = new_token()
    token = ApiToken(
        user_id=user.id,
        kind=kind,
        name=name,
        token_digest=token_digest(secret),
        hint=secret[:8],
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        actor=actor or principal_of(user, token=token, via=kind),
        action=f"token.issue.{kind}",
        object_type="token",
        object_id=token.id,
        country=user.country_code,
        detail={"user_id": user.id, "name": name},
    )
    return token, secret


def login(
    *,
    session: Session,
    email: str,
    password: str,
    kind: str,
    hours: int,
    address: str | None = None,
) -> tuple[ApiToken, str, User]:
    """Check credentials and issue a short-lived token of ``kind`` (``login`` or ``web``);
    ``address``: the network address the attempt comes from (see :func:`authenticate`)."""
    user = authenticate(session=session, email=email, password=password, address=address)
    token, secret = issue_token(
        session=session,
        user=user,
        kind=kind,
        name=f"{kind} session",
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    return token, secret, user


def create_api_token(
    *, session: Session, actor: Principal, user: User, token_in: TokenCreate
) -> tuple[ApiToken, str]:
    """A long-lived token for a machine client acting as ``user``."""
    if actor.user_id != user.id:
        authorize(
            actor,
            Action.ACCOUNT_MANAGE,
            country=user.country_code,
            object_type="user",
            object_id=str(user.id),
        )
    if not user.is_active:
        raise Invalid(f"{user.email} is disabled", errors=[FieldError("user", "disabled")])
    expires = (
        utcnow() + dt.timedelta(days=token_in.expires_in_days) if token_in.expires_in_days else None
    )
    return issue_token(
        session=session, user=user, kind="api", name=token_in.name, expires_at=expires, actor=actor
    )


def resolve_token(
    *, session: Session, secret: str, via: str = "token"
) -> tuple[Principal, ApiToken]:
    """The principal a bearer secret stands for; :class:`Unauthenticated` for anything else."""
    if not looks_like_token(secret):
        raise Unauthenticated("malformed token: expected 'hb_' followed by the token's characters")
    # The user comes in the same round trip: every request of every client passes here.
    token = session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_digest == token_digest(secret))
    )
    now = utcnow()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("token expired: sign in again or create a new token")
    user = token.user
    if not user.is_active:
        raise Unauthenticated("this account is disabled")
    # Touch at most once a minute so that reads do not each become a write.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        token.last_used_at = now
    return principal_of(user, token=token, via=via), token


def list_tokens(
    *,
    session: Session,
    actor: Principal,
    user: User,
    page: PageRequest,
    include_revoked: bool = False,
) -> tuple[list[ApiToken], int]:
    """Tokens of ``user`` (one's own, or for an administrator, anyone's)."""
    if actor.user_id != user.id:
        authorize(
            actor,
            Action.ACCOUNT_READ,
            country=user.country_code,
            object_type="user",
            object_id=str(user.id),
        )
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return paginate(
        session,
        query,
        page,
        sortable={"created": ApiToken.created_at, "id": ApiToken.id},
        default_sort="-id",
    )


def revoke_token(*, session: Session, actor: Principal, token_id: int) -> ApiToken:
    """Revoke a token. Idempotent; one's own, or for an administrator, anyone's."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token with id {token_id}")
    if actor.user_id != token.user_id:
        authorize(
            actor,
            Action.ACCOUNT_MANAGE,
            country=token.user.country_code,
            object_type="token",
            object_id=str(token_id),
        )
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session=session,
            actor=actor,
            action="token.revoke",
            object_type="token",
            object_id=token.id,
            country=token.user.country_code,
        )
    return token


def _revoke_all(*, session: Session, user: User, keep_token_id: int | None = None) -> None:
    now = utcnow()
    for token in session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        if token.id != keep_token_id:
            token.revoked_at = now


def get_self(*, session: Session, actor: Principal) -> User:
    """The account of the signed-in principal."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("this principal has no account")
    return user


def require_own_token(*, session: Session, actor: Principal, token_id: int) -> ApiToken:
    """A token of the actor's own; another user's token answers as not found."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.user_id:
        raise NotFound(f"you have no token with id {token_id}")
    return token


def count_users(*, session: Session, actor: Principal) -> int:
    """How many accounts the actor may see (a count reveals no one, so it is not audited)."""
    allowed = visible_countries(actor, Action.ACCOUNT_READ)
    query = select(func.count()).select_from(User)
    if allowed is not None:
        query = query.where(User.country_code.in_(allowed))
    return session.scalar(query) or 0
