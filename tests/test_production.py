"""Production mode refuses to start without its own secret, PostgreSQL and TLS, and says every
reason at once; development needs none of them."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError
from starlette.requests import Request
from typer.testing import CliRunner

from healthbridge.api import create_app
from healthbridge.cli import app as cli
from healthbridge.settings import ProductionRefused, Settings, get_settings
from healthbridge.web.pages import _secure

PG = "postgresql://healthbridge:pw@db.internal/healthbridge"


def _good(tmp_path: Path, **changes: object) -> Settings:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    values: dict[str, object] = {
        "environment": "production",
        "data_dir": tmp_path,
        "database_url": PG,
        "secret_key": secrets.token_urlsafe(48),
        "tls_certfile": cert,
        "tls_keyfile": key,
        "public_url": "https://healthbridge.example.org",
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


def test_development_needs_nothing(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).production_problems() == []


def test_a_complete_production_configuration_passes(tmp_path: Path) -> None:
    assert _good(tmp_path).production_problems() == []
    proxied = _good(tmp_path, tls_certfile=None, tls_keyfile=None, tls_proxy=True)
    assert proxied.production_problems() == []


def test_production_defaults_are_refused_for_every_reason(tmp_path: Path) -> None:
    problems = Settings(environment="Production", data_dir=tmp_path).production_problems()
    text = "\n".join(problems)
    assert len(problems) == 4
    for fragment in (
        "HEALTHBRIDGE_SECRET_KEY is not set",
        "production runs on PostgreSQL",
        "no TLS",
        "HEALTHBRIDGE_PUBLIC_URL must be https://",
    ):
        assert fragment in text


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"secret_key": "short"}, "too weak"),
        ({"secret_key": "a" * 40}, "too weak"),
        ({"secret_key": "please-change-this-secret-key-in-production"}, "example"),
        ({"database_url": "sqlite:////var/lib/hb.sqlite3"}, "PostgreSQL"),
        ({"tls_keyfile": None}, "HEALTHBRIDGE_TLS_KEYFILE is missing"),
        ({"tls_certfile": Path("/no/such/cert.pem")}, "no such file /no/such/cert.pem"),
        ({"cookie_secure": False}, "cookies must be Secure"),
        ({"public_url": "http://healthbridge.example.org"}, "must be https://"),
    ],
)
def test_each_weakness_is_named(tmp_path: Path, changes: dict[str, object], fragment: str) -> None:
    problems = _good(tmp_path, **changes).production_problems()
    assert len(problems) == 1 and fragment in problems[0], problems


def test_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must be one of development, test, production"):
        Settings(environment="prod", data_dir=tmp_path)


def test_the_app_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(ProductionRefused) as refused:
        create_app(Settings(environment="production", data_dir=tmp_path))
    assert "refusing to start in production" in str(refused.value)
    assert len(refused.value.problems) == 4


def test_serve_says_why_before_binding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHBRIDGE_ENVIRONMENT", "production")
    monkeypatch.setenv("HEALTHBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "error: HEALTHBRIDGE_SECRET_KEY is not set" in result.stderr
    assert "error: no TLS" in result.stderr
    assert "Serving" not in result.stdout


def test_cookies_are_secure_in_production_even_over_plain_http(tmp_path: Path) -> None:
    request = Request({"type": "http", "scheme": "http", "headers": [], "path": "/login"})
    assert _secure(request, _good(tmp_path, tls_certfile=None, tls_keyfile=None, tls_proxy=True))
    assert not _secure(request, Settings(data_dir=tmp_path))
