"""Configuration from ``HEALTHBRIDGE_*`` environment variables.

Nothing is read at import time: call :func:`get_settings`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The per-user data directory where the embedded database and the secret key live."""
    return Path(platformdirs.user_data_dir("healthbridge", appauthor=False))


class Settings(BaseSettings):
    """Every setting has a default that works with no set-up."""

    model_config = SettingsConfigDict(env_prefix="HEALTHBRIDGE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    secret_key: str = ""
    environment: str = "development"
    #: How long a token issued by a login lives (API bearer token or web session).
    login_token_hours: int = 12
    #: Largest request body accepted, in bytes; imports of later issues stream larger files.
    max_body_bytes: int = 10 * 1024 * 1024
    #: ``None`` sets the Secure flag on cookies whenever the request came over HTTPS.
    cookie_secure: bool | None = None
    #: Pool size for PostgreSQL connections (ignored for SQLite).
    db_pool_size: int = 10
    #: The SMTP server that ``healthbridge notify send`` delivers queued e-mails through;
    #: ``None`` leaves e-mails queued (sending then refuses with a clear message).
    smtp_host: str | None = None
    smtp_port: int = 25
    #: Where users reach the platform: the links in e-mails (published alerts) start with it.
    public_url: str = "http://localhost:8000"
    smtp_from: str = "healthbridge@localhost"
    #: Upgrade the connection with STARTTLS before sending (and before logging in).
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an SQLite file in :attr:`data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'healthbridge.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The signing key; generated once and kept in :attr:`data_dir` when not configured."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Written aside and linked into place: several workers starting at once all end up
            # reading the one key that won, never a half-written or a second one.
            draft = self.data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            with contextlib.suppress(FileExistsError):
                os.link(draft, key_file)
            draft.unlink()
        return key_file.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
