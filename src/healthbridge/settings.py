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
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_LENGTH = 32
#: Secrets shown in documentation and examples: refused in production.
KNOWN_EXAMPLE_SECRETS = frozenset(
    {"change-me", "changeme", "secret", "please-change-this-secret-key-in-production"}
)


class ProductionRefused(RuntimeError):
    """The settings may not serve in production; the message lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("refusing to start in production:\n- " + "\n- ".join(problems))
        self.problems = problems


def default_data_dir() -> Path:
    """The per-user data directory where the embedded database and the secret key live."""
    return Path(platformdirs.user_data_dir("healthbridge", appauthor=False))


class Settings(BaseSettings):
    """Every setting has a default that works with no set-up."""

    model_config = SettingsConfigDict(env_prefix="HEALTHBRIDGE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    secret_key: str = ""
    #: ``production`` refuses to start without its own secret, PostgreSQL and TLS
    #: (:meth:`production_problems`); ``development`` (the default) starts with none of them.
    environment: str = "development"
    #: How long a token issued by a login lives (API bearer token or web session).
    login_token_hours: int = 12
    #: Largest request body accepted, in bytes; imports of later issues stream larger files.
    max_body_bytes: int = 10 * 1024 * 1024
    #: ``None`` sets the Secure flag on cookies whenever the request came over HTTPS.
    cookie_secure: bool | None = None
    #: Database connections each server process keeps (and opens as many more at peaks).
    db_pool_size: int = 10
    #: Requests worked on at once per server process (the others wait their turn): by default
    #: the connections its pool keeps (``db_pool_size``); never more than twice that.
    max_concurrent_requests: int | None = None
    #: Seconds a computed situation room is shown again to users who see the same one (same
    #: role, country, language); 0 computes it on every request.
    situation_cache_seconds: float = 15.0
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
    #: HTTPS served by HealthBridge itself: the certificate chain and its private key (PEM).
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    #: HTTPS ends at a reverse proxy in front (nginx, a load balancer) that forwards the scheme.
    tls_proxy: bool = False
    #: Whose ``X-Forwarded-*`` headers are believed: comma-separated addresses of the proxies.
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ENVIRONMENTS:
            raise ValueError(f"HEALTHBRIDGE_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}")
        return value

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def production_problems(self) -> list[str]:
        """Why this configuration may not serve in production (nothing outside production)."""
        if not self.is_production:
            return []
        problems = []
        if not self.secret_key:
            problems.append(
                "HEALTHBRIDGE_SECRET_KEY is not set: production needs its own secret, not one "
                "generated into the data directory (make one with: python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))')"
            )
        elif len(self.secret_key) < MIN_SECRET_LENGTH or len(set(self.secret_key)) < 10:
            problems.append(
                f"HEALTHBRIDGE_SECRET_KEY is too weak: use at least {MIN_SECRET_LENGTH} random "
                "characters"
            )
        elif self.secret_key.casefold() in KNOWN_EXAMPLE_SECRETS:
            problems.append("HEALTHBRIDGE_SECRET_KEY is an example from the documentation")
        if not self.database_url or self.resolved_database_url().startswith("sqlite"):
            problems.append(
                "production runs on PostgreSQL: set HEALTHBRIDGE_DATABASE_URL="
                "postgresql://user:password@host/healthbridge"
            )
        has_files = self.tls_certfile is not None or self.tls_keyfile is not None
        if has_files:
            for name, path in (("CERTFILE", self.tls_certfile), ("KEYFILE", self.tls_keyfile)):
                if path is None:
                    problems.append(f"HEALTHBRIDGE_TLS_{name} is missing (TLS needs both files)")
                elif not path.is_file():
                    problems.append(f"HEALTHBRIDGE_TLS_{name}: no such file {path}")
        elif not self.tls_proxy:
            problems.append(
                "no TLS: set HEALTHBRIDGE_TLS_CERTFILE and HEALTHBRIDGE_TLS_KEYFILE, or "
                "HEALTHBRIDGE_TLS_PROXY=true behind a reverse proxy that ends TLS"
            )
        if self.cookie_secure is False:
            problems.append("HEALTHBRIDGE_COOKIE_SECURE=false: cookies must be Secure")
        if not self.public_url.startswith("https://"):
            problems.append(f"HEALTHBRIDGE_PUBLIC_URL must be https:// (is {self.public_url})")
        return problems

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
