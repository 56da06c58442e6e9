"""What accounts and tokens look like at the API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, field_validator

from healthbridge.inputs import InputModel
from healthbridge.paging import Page
from healthbridge.policy import Role
from healthbridge.security import MIN_PASSWORD_LENGTH


def _email(value: str) -> str:
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise ValueError("not an e-mail address")
    return value


class UserCreate(InputModel):
    email: str = Field(max_length=320)
    full_name: str = Field(min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    role: Role
    #: ISO 3166-1 alpha-3 code, or ``null`` for a user who acts for the region.
    country: str | None = Field(default=None, min_length=3, max_length=3)
    organisation: str | None = Field(default=None, max_length=40)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)

    _check_email = field_validator("email")(_email)


class UserUpdate(InputModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    title: str | None
    role: Role
    country_code: str | None
    organisation_code: str | None
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


UserPage = Page[UserRead]


class PasswordChange(InputModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class TokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    #: Days until the token expires; ``null`` for a token that lives until revoked.
    expires_in_days: int | None = Field(default=365, ge=1, le=3650)


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    name: str
    hint: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


TokenPage = Page[TokenRead]


class TokenIssued(TokenRead):
    """A new token. ``token`` is shown once and never again."""

    token: str


class AccessToken(BaseModel):
    """The answer of a login (OAuth 2 password grant, RFC 6749 section 4.3)."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_at: dt.datetime


class Me(UserRead):
    role_label: str
    country_name: str | None
