"""Load on the served app — ``python bench/load.py --tokens load-tokens.json --users 100``.

Drives HealthBridge over HTTP on loopback with ``--users`` concurrent virtual users for
``--warmup`` seconds not measured (the server's caches and connection pools fill; errors still
count) and then ``--duration`` seconds measured, each repeating a realistic action with a pause
between two (``--think`` seconds on average), picked by these weights:

=====================  ======  ===========================================================
situation room          30 %   ``GET /api/v1/situation`` (what the home page polls)
case list               15 %   ``GET /api/v1/cases`` of the user's country, a disease, a page
signal list             10 %   ``GET /api/v1/signals`` of a country
weekly counts           10 %   ``GET /api/v1/weekly-counts``, a country and a disease
event list              10 %   ``GET /api/v1/events``
event page               8 %   ``GET /api/v1/events/{id}``
event update            12 %   ``POST /api/v1/events/{id}/notes`` (a write, audited)
weekly import            5 %   ``POST /api/v1/weekly-counts/import`` (a small CSV, a write)
=====================  ======  ===========================================================

The accounts, tokens and events come from ``bench/generate.py`` (``--tokens``). With
``--serve`` it starts ``healthbridge serve --workers N`` on a free port against
``HEALTHBRIDGE_DATABASE_URL`` itself (and stops it); otherwise it drives ``--url``. It prints the
throughput and p50 / p95 / p99 latency of each action as the client saw it, the p95 of the
server's own ``Server-Timing`` (``queue``: waiting at the worker's gate for a database
connection; ``app``: from admission to the first byte of the answer) and every error; the exit
status is 1 when any request failed (a 5xx, a refused connection, a timeout). Whatever the
client saw beyond queue + app was spent in the sockets, the event loops and the client.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ACTIONS: dict[str, float] = {
    "situation room": 30,
    "case list": 15,
    "signal list": 10,
    "weekly counts": 10,
    "event list": 10,
    "event page": 8,
    "event update": 12,
    "weekly import": 5,
}
DISEASES = ("dengue", "measles", "cholera", "covid_19")


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    #: Milliseconds from the server's ``Server-Timing`` header: waiting at the gate, then the app.
    queued: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    served: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    #: Requests before this moment (``time.monotonic()``) warm the server up and are not counted.
    measure_from: float = 0.0


def _server_timing(header: str | None) -> dict[str, float]:
    """``queue;dur=1.0, app;dur=2.5`` → ``{"queue": 1.0, "app": 2.5}``."""
    found: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, duration = part.strip().partition(";dur=")
        with contextlib.suppress(ValueError):
            found[name] = float(duration)
    return found


@dataclass(frozen=True)
class Persona:
    country: str
    epidemiologist: str
    officer: str
    focal_point: str
    event: int


def _personas(tokens: dict[str, Any]) -> list[Persona]:
    return [
        Persona(
            country,
            mine["epidemiologist"],
            mine["eoc_officer"],
            mine["focal_point"],
            tokens["events"][country],
        )
        for country, mine in sorted(tokens["countries"].items())
    ]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _act(
    client: httpx.AsyncClient, name: str, who: Persona, rng: random.Random
) -> httpx.Response:
    """One action; the server's response."""
    if name == "situation room":
        token = rng.choice((who.officer, who.epidemiologist, who.focal_point))
        response = await client.get("/api/v1/situation", headers=_bearer(token))
    elif name == "case list":
        params: dict[str, str | int] = {
            "disease": rng.choice(DISEASES),
            "limit": 50,
            "offset": 50 * rng.randrange(4),
        }
        response = await client.get(
            "/api/v1/cases", params=params, headers=_bearer(who.epidemiologist)
        )
    elif name == "signal list":
        response = await client.get(
            "/api/v1/signals", params={"country": who.country}, headers=_bearer(who.officer)
        )
    elif name == "weekly counts":
        params = {"country": who.country, "disease": rng.choice(DISEASES), "limit": 100}
        response = await client.get(
            "/api/v1/weekly-counts", params=params, headers=_bearer(who.focal_point)
        )
    elif name == "event list":
        response = await client.get("/api/v1/events", headers=_bearer(who.officer))
    elif name == "event page":
        response = await client.get(f"/api/v1/events/{who.event}", headers=_bearer(who.officer))
    elif name == "event update":
        response = await client.post(
            f"/api/v1/events/{who.event}/notes",
            json={"text": f"Situation update {rng.randrange(10**6)} from the load test."},
            headers=_bearer(who.officer),
        )
    else:  # weekly import: this year's week 1 of a disease, national total
        csv = f"country,area,disease,week,cases,deaths\n{who.country},,dengue,2024-W01,"
        csv += f"{rng.randrange(50)},0\n"
        response = await client.post(
            "/api/v1/weekly-counts/import",
            files={"file": ("load.csv", csv.encode(), "text/csv")},
            headers=_bearer(who.focal_point),
        )
    return response


async def _user(
    number: int, client: httpx.AsyncClient, people: list[Persona], args: Any, tally: Tally
) -> None:
    rng = random.Random(args.seed * 1000 + number)
    who = people[number % len(people)]
    names, weights = list(ACTIONS), list(ACTIONS.values())
    deadline = tally.measure_from + args.duration
    await asyncio.sleep(rng.uniform(0, args.think))  # users arrive spread out
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        started = time.perf_counter()
        counted = time.monotonic() >= tally.measure_from
        try:
            response = await _act(client, name, who, rng)
        except httpx.HTTPError as exc:
            tally.errors[name].append(type(exc).__name__)  # counted even while warming up
        else:
            elapsed = time.perf_counter() - started
            status = response.status_code
            if status >= 500 or status in (401, 403, 404):
                tally.errors[name].append(str(status))
            elif counted:
                tally.latencies[name].append(elapsed)
                timing = _server_timing(response.headers.get("server-timing"))
                if "app" in timing:
                    tally.queued[name].append(timing.get("queue", 0.0))
                    tally.served[name].append(timing["app"])
        await asyncio.sleep(rng.expovariate(1 / args.think) if args.think else 0)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(tally: Tally, seconds: float) -> str:
    lines = [
        f"{'action':<16}{'requests':>9}{'errors':>8}{'req/s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'queue p95':>11}{'app p95':>9}"
    ]
    total = errors = 0
    for name in ACTIONS:
        done, failed = tally.latencies.get(name, []), tally.errors.get(name, [])
        total += len(done) + len(failed)
        errors += len(failed)
        if not done and not failed:
            continue
        ms = [1000 * v for v in done] or [float("nan")]
        lines.append(
            f"{name:<16}{len(done) + len(failed):>9}{len(failed):>8}"
            f"{(len(done) + len(failed)) / seconds:>8.1f}"
            f"{statistics.median(ms):>9.0f}{_percentile(ms, 0.95):>9.0f}"
            f"{_percentile(ms, 0.99):>9.0f}"
            f"{_percentile(tally.queued.get(name) or [float('nan')], 0.95):>11.0f}"
            f"{_percentile(tally.served.get(name) or [float('nan')], 0.95):>9.0f}"
        )
    lines.append(
        f"total: {total} requests in {seconds:.0f} s ({total / seconds:.1f}/s), {errors} errors"
    )
    for name, failed in tally.errors.items():
        kinds: dict[str, int] = defaultdict(int)
        for kind in failed:
            kinds[kind] += 1
        lines.append(f"  errors of {name}: {dict(kinds)}")
    return "\n".join(lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """``healthbridge serve`` on a free loopback port; the process and its URL once it answers."""
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("healthbridge")), "serve",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    # A process group of its own: stopping it stops its workers too, even when they hang.
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise SystemExit("the server did not answer /healthz within 60 s")


async def _drive(args: Any, people: list[Persona], numbers: range, measure_from: float) -> Tally:
    tally = Tally(measure_from=measure_from)
    limits = httpx.Limits(max_connections=len(numbers), max_keepalive_connections=len(numbers))
    async with httpx.AsyncClient(base_url=args.url, timeout=args.timeout, limits=limits) as client:
        users: list[Awaitable[None]] = [_user(n, client, people, args, tally) for n in numbers]
        await asyncio.gather(*users)
    return tally


def _drive_share(args: Any, people: list[Persona], numbers: range, measure_from: float) -> Tally:
    return asyncio.run(_drive(args, people, numbers, measure_from))


def run(args: Any, tokens: dict[str, Any]) -> Tally:
    """Every user's actions, from ``--clients`` processes (one asyncio client each, holding
    its share of the users): one client's CPU grows faster than its connections, and a
    saturated client would measure itself rather than the server."""
    people = _personas(tokens)
    measure_from = time.monotonic() + args.warmup  # the same clock in every process (Linux)
    clients = max(1, min(args.clients, args.users))
    shares = [range(k, args.users, clients) for k in range(clients)]
    if clients == 1:
        return _drive_share(args, people, shares[0], measure_from)
    merged = Tally(measure_from=measure_from)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(clients, mp_context=context) as pool:
        futures = [pool.submit(_drive_share, args, people, share, measure_from) for share in shares]
        for future in futures:
            tally = future.result()
            for mine, theirs in (
                (merged.latencies, tally.latencies),
                (merged.errors, tally.errors),
                (merged.queued, tally.queued),
                (merged.served, tally.served),
            ):
                for name, values in theirs.items():
                    mine[name].extend(values)  # type: ignore[arg-type]
    return merged


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=Path, default=Path("load-tokens.json"))
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds measured.")
    parser.add_argument(
        "--warmup",
        type=float,
        default=10.0,
        help="Seconds of load before measuring (caches and connections fill; errors count).",
    )
    parser.add_argument("--think", type=float, default=1.0, help="Mean pause between actions.")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds per request.")
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--serve", action="store_true", help="Start the server (see above).")
    parser.add_argument("--workers", type=int, default=2, help="With --serve.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="Client processes sharing the users (default: one per 50 users).",
    )
    args = parser.parse_args(argv)
    args.clients = args.clients or -(-args.users // 50)
    server = None
    if args.serve:
        server, args.url = serve(args.workers)
    try:
        started = time.perf_counter()
        tally = run(args, json.loads(args.tokens.read_text()))
        seconds = time.perf_counter() - started - args.warmup
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)  # workers left behind by a hung stop
    db = os.environ.get("HEALTHBRIDGE_DATABASE_URL", "").split(":")[0] or "sqlite (default)"
    out(
        f"{args.users} users ({args.clients} client processes), {args.duration:.0f} s after "
        f"{args.warmup:.0f} s of warm-up, think {args.think} s, {db}, {args.url}"
    )
    out(report(tally, seconds))
    return 1 if any(tally.errors.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
