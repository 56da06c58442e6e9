"""Smoke test of the load bench at CI size, so that it does not rot: ``bench/generate.py``
builds a small region (both databases), ``bench/load.py`` serves it on loopback with real
worker processes and drives a bounded mix of users — and no request fails. No timing is
asserted: the latencies are the bench's own output (``docs/performance.md``)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func, select

from healthbridge.db import make_engine
from healthbridge.settings import get_settings
from healthbridge.surveillance.models import CaseReport, WeeklyCount

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _bench(name: str) -> ModuleType:
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_small_region_under_load_answers_every_request(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHBRIDGE_DATABASE_URL", database_url)
    monkeypatch.setenv("HEALTHBRIDGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HEALTHBRIDGE_SECRET_KEY", "a-load-test-secret-of-enough-length-123456")
    get_settings.cache_clear()
    tokens = tmp_path / "tokens.json"
    try:
        _bench("generate").main(
            ["--cases", "3000", "--years", "1", "--diseases", "3", "--areas-per-country", "2",
             "--tokens", str(tokens)]
        )  # fmt: skip
        engine = make_engine(database_url)
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(CaseReport)) == 3000
            weekly = connection.scalar(select(func.count()).select_from(WeeklyCount))
        engine.dispose()
        assert weekly == 14 * 2 * 3 * 52
        assert len(json.loads(tokens.read_text())["events"]) == 14
        lines: list[str] = []
        status = _bench("load").main(
            ["--tokens", str(tokens), "--serve", "--workers", "2", "--users", "8",
             "--duration", "5", "--warmup", "1", "--think", "0.3", "--timeout", "60"],
            out=lines.append,
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    text = "\n".join(lines)
    assert status == 0, text
    assert ", 0 errors" in text
    for action in ("situation room", "case list", "event update"):
        assert action in text
    # The server's own timing came back with the answers and was read.
    assert "queue p95" in text
    case_list = next(line for line in text.splitlines() if line.startswith("case list"))
    assert not case_list.endswith("nan"), case_list
