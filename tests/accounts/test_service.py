"""The accounts service: who may create whom, signing in, tokens, passwords, and their audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from healthbridge.accounts import service as accounts
from healthbridge.accounts.models import ApiToken, User
from healthbridge.accounts.schemas import TokenCreate, UserCreate, UserUpdate
from healthbridge.audit import service as audit
from healthbridge.audit.models import AuditEntry
from healthbridge.db import unit_of_work, utcnow
from healthbridge.errors import Conflict, Forbidden, Invalid, Unauthenticated
from healthbridge.policy import Principal, Role
from healthbridge.security import verify_password

PASSWORD = "correct horse battery staple"  # conftest's TEST_PASSWORD
WRONG_PASSWORD = "incorrect horse battery staple"


def user_in(
    email: str, role: Role = Role.VIEWER, country: str | None = "THA", **extra: Any
) -> UserCreate:
    return UserCreate(
        email=email,
        full_name=f"Person {email}",
        role=role,
        country=country,
        password=PASSWORD,
        **extra,
    )


def audit_actions(session: Session) -> list[tuple[str, str, str | None]]:
    rows = session.execute(
        select(AuditEntry.action, AuditEntry.outcome, AuditEntry.object_id).order_by(AuditEntry.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def uow(session_factory: sessionmaker[Session]) -> Callable[[], Any]:
    """A committed unit of work (commit before another session writes: PG's audit lock)."""
    return lambda: unit_of_work(session_factory)


# --- create_user ------------------------------------------------------------------------------


def test_focal_point_creates_accounts_of_their_own_country(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    with uow() as session:
        created = accounts.create_user(
            session=session,
            actor=accounts.principal_of(focal),
            user_in=user_in("New.Epi@Example.org", Role.EPIDEMIOLOGIST, "tha"),
        )
    assert created.id is not None
    assert created.email == "new.epi@example.org"
    assert created.country_code == "THA"
    assert created.role == Role.EPIDEMIOLOGIST.value
    assert created.is_active is True
    assert verify_password(created.password_hash, PASSWORD)
    assert created.password_hash != PASSWORD


def test_focal_point_cannot_create_accounts_of_another_country(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    with pytest.raises(Forbidden) as refused, uow() as session:
        accounts.create_user(
            session=session,
            actor=accounts.principal_of(focal),
            user_in=user_in("vn.epi@example.org", Role.EPIDEMIOLOGIST, "VNM"),
        )
    assert refused.value.context is not None
    assert refused.value.context.country == "VNM"
    with session_factory() as session:
        assert accounts.find_user_by_email(session=session, email="vn.epi@example.org") is None


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.REGIONAL_ADMIN])
def test_focal_point_cannot_create_regional_accounts(
    make_user: Callable[..., User], uow: Callable[[], Any], role: Role
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    with pytest.raises(Forbidden), uow() as session:
        accounts.create_user(
            session=session,
            actor=accounts.principal_of(focal),
            user_in=user_in("regional@example.org", role, None),
        )


def test_focal_point_cannot_create_a_regional_admin_even_in_their_country(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    with pytest.raises(Forbidden), uow() as session:
        accounts.create_user(
            session=session,
            actor=accounts.principal_of(focal),
            user_in=user_in("admin.th@example.org", Role.REGIONAL_ADMIN, "THA"),
        )


@pytest.mark.parametrize("role", [Role.REGIONAL_ADMIN, Role.SECRETARIAT])
def test_regional_only_roles_need_no_country(
    operator: Principal, uow: Callable[[], Any], role: Role
) -> None:
    with uow() as session:
        created = accounts.create_user(
            session=session, actor=operator, user_in=user_in(f"{role}@example.org", role, None)
        )
    assert created.country_code is None
    assert created.role == role.value


@pytest.mark.parametrize("role", [Role.REGIONAL_ADMIN, Role.SECRETARIAT])
def test_regional_only_roles_refuse_a_country(
    operator: Principal, uow: Callable[[], Any], role: Role
) -> None:
    with pytest.raises(Invalid) as invalid, uow() as session:
        accounts.create_user(
            session=session, actor=operator, user_in=user_in(f"{role}@example.org", role, "THA")
        )
    assert [e.field for e in invalid.value.errors] == ["country"]


def test_focal_point_needs_a_country(operator: Principal, uow: Callable[[], Any]) -> None:
    with pytest.raises(Invalid) as invalid, uow() as session:
        accounts.create_user(
            session=session,
            actor=operator,
            user_in=user_in("focal@example.org", Role.FOCAL_POINT, None),
        )
    assert [e.field for e in invalid.value.errors] == ["country"]
    assert invalid.value.status == 422


def test_duplicate_email_is_a_conflict(
    operator: Principal, uow: Callable[[], Any], make_user: Callable[..., User]
) -> None:
    existing = make_user(Role.VIEWER, "THA")
    with pytest.raises(Conflict) as conflict, uow() as session:
        accounts.create_user(
            session=session,
            actor=operator,
            # E-mails are normalised, so a change of case is the same address.
            user_in=user_in(existing.email.upper(), Role.VIEWER, "VNM"),
        )
    assert conflict.value.status == 409
    assert [e.field for e in conflict.value.errors] == ["email"]


@pytest.mark.parametrize("code", ["ZZZ", "USA", "XX1"])
def test_unknown_country_is_invalid_naming_the_country_field(
    operator: Principal, uow: Callable[[], Any], code: str
) -> None:
    with pytest.raises(Invalid) as invalid, uow() as session:
        accounts.create_user(
            session=session, actor=operator, user_in=user_in("x@example.org", Role.VIEWER, code)
        )
    assert [e.field for e in invalid.value.errors] == ["country"]
    assert code in invalid.value.detail


def test_unknown_organisation_is_refused(operator: Principal, uow: Callable[[], Any]) -> None:
    with pytest.raises(Invalid) as invalid, uow() as session:
        accounts.create_user(
            session=session,
            actor=operator,
            user_in=user_in("x@example.org", organisation="NO-SUCH-ORGANISATION"),
        )
    assert "organisation" in {e.field for e in invalid.value.errors}


# --- authenticate -----------------------------------------------------------------------------


def test_authenticate_with_the_right_password(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user(Role.VIEWER, "THA")
    assert user.last_login_at is None
    with uow() as session:
        found = accounts.authenticate(
            session=session, email=f"  {user.email.upper()} ", password=PASSWORD
        )
        assert found.id == user.id
        assert found.last_login_at is not None


def _failure_message(uow: Callable[[], Any], email: str, password: str) -> str:
    with pytest.raises(Unauthenticated) as failure, uow() as session:
        accounts.authenticate(session=session, email=email, password=password)
    assert failure.value.status == 401
    assert failure.value.context is not None
    assert failure.value.context.action == "auth.login"
    return failure.value.detail


def test_every_authentication_failure_says_the_same(
    make_user: Callable[..., User],
    uow: Callable[[], Any],
    operator: Principal,
) -> None:
    user = make_user(Role.VIEWER, "THA")
    disabled = make_user(Role.VIEWER, "THA")
    with uow() as session:
        accounts.disable_user(session=session, actor=operator, user_id=disabled.id)

    messages = {
        "wrong password": _failure_message(uow, user.email, WRONG_PASSWORD),
        "unknown e-mail": _failure_message(uow, "nobody@example.org", PASSWORD),
        "disabled, right password": _failure_message(uow, disabled.email, PASSWORD),
        "disabled, wrong password": _failure_message(uow, disabled.email, WRONG_PASSWORD),
    }
    assert set(messages.values()) == {"wrong e-mail or password"}, messages


def test_failed_authentication_does_not_touch_last_login(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    user = make_user(Role.VIEWER, "THA")
    _failure_message(uow, user.email, WRONG_PASSWORD)
    with session_factory() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        assert fresh.last_login_at is None


# --- tokens -----------------------------------------------------------------------------------


def _issue(
    uow: Callable[[], Any], user: User, *, expires_at: dt.datetime | None = None, kind: str = "api"
) -> tuple[int, str]:
    with uow() as session:
        fresh = session.get(User, user.id)
        token, secret = accounts.issue_token(
            session=session, user=fresh, kind=kind, name="t", expires_at=expires_at
        )
        return token.id, secret


def _resolve(uow: Callable[[], Any], secret: str) -> Principal:
    with uow() as session:
        principal, _token = accounts.resolve_token(session=session, secret=secret)
        return principal


def test_issue_and_resolve_a_token(make_user: Callable[..., User], uow: Callable[[], Any]) -> None:
    user = make_user(Role.EPIDEMIOLOGIST, "VNM")
    token_id, secret = _issue(uow, user)
    assert secret.startswith("hb_")
    principal = _resolve(uow, secret)
    assert principal.user_id == user.id
    assert principal.email == user.email
    assert principal.role is Role.EPIDEMIOLOGIST
    assert principal.country == "VNM"
    assert principal.token_id == token_id


def test_only_the_digest_of_a_token_is_stored(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    user = make_user()
    token_id, secret = _issue(uow, user)
    with session_factory() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        assert row.token_digest != secret
        assert secret not in row.token_digest
        assert row.hint == secret[:8]


def test_unknown_token_kind_is_invalid(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user()
    with pytest.raises(Invalid) as invalid:
        _issue(uow, user, kind="forever")
    assert [e.field for e in invalid.value.errors] == ["kind"]


def test_a_revoked_token_is_refused(make_user: Callable[..., User], uow: Callable[[], Any]) -> None:
    user = make_user()
    token_id, secret = _issue(uow, user)
    with uow() as session:
        revoked = accounts.revoke_token(
            session=session, actor=accounts.principal_of(user), token_id=token_id
        )
        assert revoked.revoked_at is not None
    with pytest.raises(Unauthenticated, match="revoked"):
        _resolve(uow, secret)


def test_revoking_is_idempotent_and_audited_once(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    user = make_user()
    token_id, _secret = _issue(uow, user)
    for _ in range(2):
        with uow() as session:
            accounts.revoke_token(
                session=session, actor=accounts.principal_of(user), token_id=token_id
            )
    with session_factory() as session:
        revokes = [a for a in audit_actions(session) if a[0] == "token.revoke"]
    assert revokes == [("token.revoke", "ok", str(token_id))]


def test_an_expired_token_is_refused(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user()
    _token_id, secret = _issue(uow, user, expires_at=utcnow() - dt.timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="expired"):
        _resolve(uow, secret)


def test_a_token_that_has_not_expired_yet_works(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user()
    _token_id, secret = _issue(uow, user, expires_at=utcnow() + dt.timedelta(minutes=5))
    assert _resolve(uow, secret).user_id == user.id


def test_a_disabled_users_tokens_are_refused_even_if_not_revoked(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user()
    _token_id, secret = _issue(uow, user)
    with uow() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        fresh.is_active = False  # behind the service's back: the token itself stays unrevoked
    with pytest.raises(Unauthenticated, match="disabled"):
        _resolve(uow, secret)


def test_disabling_a_user_revokes_their_tokens(
    make_user: Callable[..., User],
    uow: Callable[[], Any],
    operator: Principal,
    session_factory: sessionmaker[Session],
) -> None:
    user = make_user()
    ids = [_issue(uow, user)[0] for _ in range(2)]
    with uow() as session:
        accounts.disable_user(session=session, actor=operator, user_id=user.id)
    with session_factory() as session:
        tokens = session.scalars(select(ApiToken).where(ApiToken.id.in_(ids))).all()
        assert len(tokens) == 2
        assert all(t.revoked_at is not None for t in tokens)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs while the test is inside."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "nope",
        "hb_",
        "hb_short",
        "xx_" + "a" * 43,
        "hb_" + "a" * 200,
        "hb_" + "a" * 20 + "'; DROP TABLE users; --",
        "hb_" + "a" * 20 + " " + "b" * 20,
    ],
)
def test_a_malformed_token_is_refused_without_a_query(
    session_factory: sessionmaker[Session], statements: list[str], secret: str
) -> None:
    with session_factory() as session, pytest.raises(Unauthenticated, match="malformed"):
        accounts.resolve_token(session=session, secret=secret)
    assert statements == []


@pytest.mark.parametrize(
    "secret",
    ["hb_" + "ä" * 43, "hb_" + "٣" * 43, "hb_" + "Ａ" * 43],
    ids=["latin-letter", "arabic-digit", "fullwidth-letter"],
)
def test_a_token_with_non_ascii_characters_is_malformed(
    session_factory: sessionmaker[Session], statements: list[str], secret: str
) -> None:
    """Tokens are ``hb_`` and URL-safe base64 (ASCII); anything else is malformed, no query."""
    with session_factory() as session, pytest.raises(Unauthenticated, match="malformed"):
        accounts.resolve_token(session=session, secret=secret)
    assert statements == []


def test_a_well_formed_unknown_token_is_refused(uow: Callable[[], Any]) -> None:
    with pytest.raises(Unauthenticated, match="unknown"):
        _resolve(uow, "hb_" + "A" * 43)


# --- passwords --------------------------------------------------------------------------------


def test_changing_ones_password_revokes_the_other_tokens(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    user = make_user()
    current_id, current = _issue(uow, user)
    _other_id, other = _issue(uow, user)
    new_password = "a brand new passphrase"
    with uow() as session:
        actor, _token = accounts.resolve_token(session=session, secret=current)
        fresh = session.get(User, user.id)
        assert fresh is not None
        accounts.set_password(
            session=session,
            actor=actor,
            user=fresh,
            new_password=new_password,
            current_password=PASSWORD,
        )
    assert _resolve(uow, current).token_id == current_id
    with pytest.raises(Unauthenticated):
        _resolve(uow, other)
    with uow() as session:
        assert accounts.authenticate(session=session, email=user.email, password=new_password)
    _failure_message(uow, user.email, PASSWORD)  # the old password no longer works


def test_changing_ones_password_needs_the_current_one(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user()
    _id, secret = _issue(uow, user)
    with pytest.raises(Invalid) as invalid, uow() as session:
        actor, _token = accounts.resolve_token(session=session, secret=secret)
        fresh = session.get(User, user.id)
        assert fresh is not None
        accounts.set_password(
            session=session,
            actor=actor,
            user=fresh,
            new_password="a brand new passphrase",
            current_password=WRONG_PASSWORD,
        )
    assert [e.field for e in invalid.value.errors] == ["current_password"]
    assert _resolve(uow, secret).user_id == user.id  # nothing was revoked


def test_an_administrators_reset_revokes_every_token_of_the_user(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user(Role.VIEWER, "THA")
    focal = make_user(Role.FOCAL_POINT, "THA")
    _focal_token_id, focal_secret = _issue(uow, focal)
    _id, secret = _issue(uow, user)
    with uow() as session:
        actor, _token = accounts.resolve_token(session=session, secret=focal_secret)
        fresh = session.get(User, user.id)
        assert fresh is not None
        accounts.set_password(
            session=session, actor=actor, user=fresh, new_password="reset by the focal point"
        )
    with pytest.raises(Unauthenticated):
        _resolve(uow, secret)
    assert _resolve(uow, focal_secret).user_id == focal.id


def test_a_focal_point_cannot_reset_another_countrys_password(
    make_user: Callable[..., User], uow: Callable[[], Any]
) -> None:
    user = make_user(Role.VIEWER, "VNM")
    focal = make_user(Role.FOCAL_POINT, "THA")
    with pytest.raises(Forbidden), uow() as session:
        fresh = session.get(User, user.id)
        assert fresh is not None
        accounts.set_password(
            session=session,
            actor=accounts.principal_of(focal),
            user=fresh,
            new_password="not allowed to set this",
        )


# --- the audit trail of every write -----------------------------------------------------------


def test_every_write_is_appended_to_the_audit_log(
    operator: Principal, uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        before = audit.count_entries(session=session)

    with uow() as session:
        user = accounts.create_user(
            session=session, actor=operator, user_in=user_in("audited@example.org")
        )
    user_id = str(user.id)
    with uow() as session:
        accounts.update_user(
            session=session,
            actor=operator,
            user_id=user.id,
            changes=UserUpdate(role=Role.EPIDEMIOLOGIST),
        )
    with uow() as session:
        fresh = session.get(User, user.id)
        token, _secret = accounts.create_api_token(
            session=session, actor=operator, user=fresh, token_in=TokenCreate(name="ci")
        )
    token_id = str(token.id)
    with uow() as session:
        accounts.revoke_token(session=session, actor=operator, token_id=token.id)
    with uow() as session:
        fresh = session.get(User, user.id)
        accounts.set_password(
            session=session, actor=operator, user=fresh, new_password="another long password"
        )
    with uow() as session:
        accounts.disable_user(session=session, actor=operator, user_id=user.id)

    with session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)
        ).all()
        writes = [
            (e.action, e.object_type, e.object_id)
            for e in entries
            if e.action != "user.read"  # update_user reads the account first, and says so
        ]
        assert writes == [
            ("user.create", "user", user_id),
            ("user.update", "user", user_id),
            ("token.issue.api", "token", token_id),
            ("token.revoke", "token", token_id),
            ("user.password", "user", user_id),
            ("user.update", "user", user_id),
        ]
        assert all(e.actor == operator.actor_label for e in entries)
        assert all(e.outcome == "ok" for e in entries)
        assert all(e.country_code == "THA" for e in entries)
        created = entries[0]
        assert created.detail == {"email": "audited@example.org", "role": "viewer"}
        details = str([e.detail for e in entries])
        assert PASSWORD not in details
        assert "another long password" not in details
        assert audit.verify_chain(session=session, actor=operator).intact


def test_a_refused_write_leaves_no_account_and_no_ok_entry(
    make_user: Callable[..., User], uow: Callable[[], Any], session_factory: sessionmaker[Session]
) -> None:
    focal = make_user(Role.FOCAL_POINT, "THA")
    with session_factory() as session:
        before = audit_actions(session)
    with pytest.raises(Forbidden), uow() as session:
        accounts.create_user(
            session=session,
            actor=accounts.principal_of(focal),
            user_in=user_in("vn.viewer@example.org", Role.VIEWER, "VNM"),
        )
    with session_factory() as session:
        assert audit_actions(session) == before
