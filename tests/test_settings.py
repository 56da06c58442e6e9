"""Settings: defaults that need no set-up, and the environment overrides them."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from healthbridge.settings import Settings, get_settings


def test_default_database_is_an_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'healthbridge.sqlite3'}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", "postgresql://db.example/healthbridge")
    monkeypatch.setenv("HEALTHBRIDGE_MAX_BODY_BYTES", "1234")
    monkeypatch.setenv("HEALTHBRIDGE_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.resolved_database_url() == "postgresql://db.example/healthbridge"
        assert settings.max_body_bytes == 1234
        assert settings.data_dir == tmp_path
    finally:
        get_settings.cache_clear()


def test_generated_secret_key_is_private_stable_and_single(tmp_path: Path) -> None:
    def key() -> str:
        return Settings(data_dir=tmp_path / "data").resolved_secret_key()

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: key(), range(16)))
    assert len(keys) == 1
    assert len(keys.pop()) >= 40
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret_key"]


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="configured-" + "k" * 40)
    assert settings.resolved_secret_key().startswith("configured-")
    assert not (tmp_path / "secret_key").exists()
