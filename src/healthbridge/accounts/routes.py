"""API: signing in, one's own profile and tokens, and account administration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from healthbridge.accounts import service
from healthbridge.accounts.schemas import (
    AccessToken,
    Me,
    PasswordChange,
    TokenCreate,
    TokenIssued,
    TokenPage,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from healthbridge.deps import (
    Allow,
    PageDep,
    Public,
    SessionDep,
    SettingsDep,
    add_link_header,
    client_address,
)
from healthbridge.geography import service as geography
from healthbridge.policy import Action, Principal, Role

router = APIRouter()
Anyone = Depends(Public())
Self = Annotated[Principal, Depends(Allow(Action.OWN_PROFILE))]
AccountReader = Annotated[Principal, Depends(Allow(Action.ACCOUNT_READ))]
AccountManager = Annotated[Principal, Depends(Allow(Action.ACCOUNT_MANAGE))]


@router.post(
    "/auth/token",
    response_model=AccessToken,
    tags=["authentication"],
    dependencies=[Anyone],
    summary="Sign in: exchange e-mail and password for a bearer token",
)
def sign_in(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> AccessToken:
    token, secret, _user = service.login(
        session=session,
        email=form.username,
        password=form.password,
        kind="login",
        hours=settings.login_token_hours,
        address=client_address(request),
    )
    assert token.expires_at is not None
    return AccessToken(access_token=secret, expires_at=token.expires_at)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["authentication"],
    summary="Revoke the token this request was made with",
)
def sign_out(session: SessionDep, actor: Self, request: Request) -> None:
    service.revoke_token(session=session, actor=actor, token_id=request.state.session_token.id)


def _me(session: SessionDep, actor: Principal) -> Me:
    user = service.get_self(session=session, actor=actor)
    country = (
        geography.get_country(session=session, actor=actor, code=user.country_code)
        if user.country_code
        else None
    )
    return Me(
        **UserRead.model_validate(user).model_dump(),
        role_label=Role(user.role).label,
        country_name=country.name_en if country else None,
    )


@router.get("/me", response_model=Me, tags=["me"], summary="Who am I")
def me(session: SessionDep, actor: Self) -> Me:
    return _me(session, actor)


@router.post("/me/password", status_code=204, tags=["me"], summary="Change my password")
def change_password(session: SessionDep, actor: Self, body: PasswordChange) -> None:
    user = service.get_self(session=session, actor=actor)
    service.set_password(
        session=session,
        actor=actor,
        user=user,
        new_password=body.new_password,
        current_password=body.current_password,
    )


@router.get("/me/tokens", response_model=TokenPage, tags=["me"], summary="My tokens")
def my_tokens(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: Self,
    page: PageDep,
    include_revoked: bool = False,
) -> TokenPage:
    user = service.get_self(session=session, actor=actor)
    rows, total = service.list_tokens(
        session=session, actor=actor, user=user, page=page, include_revoked=include_revoked
    )
    add_link_header(request, response, page, total)
    return TokenPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/me/tokens",
    response_model=TokenIssued,
    status_code=201,
    tags=["me"],
    summary="Create a long-lived API token for a machine client",
)
def create_my_token(session: SessionDep, actor: Self, body: TokenCreate) -> TokenIssued:
    user = service.get_self(session=session, actor=actor)
    token, secret = service.create_api_token(session=session, actor=actor, user=user, token_in=body)
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=secret)


@router.delete(
    "/me/tokens/{token_id}",
    response_model=TokenRead,
    tags=["me"],
    summary="Revoke one of my tokens",
)
def revoke_my_token(session: SessionDep, actor: Self, token_id: int) -> TokenRead:
    service.require_own_token(session=session, actor=actor, token_id=token_id)
    return TokenRead.model_validate(
        service.revoke_token(session=session, actor=actor, token_id=token_id)
    )


@router.get("/users", response_model=UserPage, tags=["accounts"], summary="List accounts")
def list_users(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: AccountReader,
    page: PageDep,
    country: Annotated[str | None, Query(max_length=3, description="ISO alpha-3")] = None,
    role: Role | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> UserPage:
    rows, total = service.list_users(
        session=session, actor=actor, page=page, country=country, role=role, active=active, q=q
    )
    add_link_header(request, response, page, total)
    return UserPage(items=rows, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=201,
    tags=["accounts"],
    summary="Create an account",
)
def create_user(session: SessionDep, actor: AccountManager, body: UserCreate) -> UserRead:
    return UserRead.model_validate(service.create_user(session=session, actor=actor, user_in=body))


@router.get("/users/{user_id}", response_model=UserRead, tags=["accounts"], summary="One account")
def get_user(session: SessionDep, actor: AccountReader, user_id: int) -> UserRead:
    return UserRead.model_validate(service.get_user(session=session, actor=actor, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    tags=["accounts"],
    summary="Change an account (name, title, role, active)",
)
def update_user(
    session: SessionDep, actor: AccountManager, user_id: int, body: UserUpdate
) -> UserRead:
    return UserRead.model_validate(
        service.update_user(session=session, actor=actor, user_id=user_id, changes=body)
    )
