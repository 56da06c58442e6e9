"""Requests in progress per worker are bounded by its database connections (``concurrency.py``):
the gate itself, and the app under more concurrent requests than it has threads and connections.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from healthbridge.accounts.models import User
from healthbridge.concurrency import ConcurrencyLimit
from healthbridge.policy import Role


def test_the_gate_lets_in_at_most_its_limit_and_serves_everyone() -> None:
    in_flight = 0
    most = 0

    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = ConcurrencyLimit(slow_app, limit=3)

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://hb") as client:
            answers = await asyncio.gather(*(client.get("/api/v1/x") for _ in range(30)))
            static = await asyncio.gather(*(client.get("/static/app.css") for _ in range(10)))
        return [a.status_code for a in [*answers, *static]]

    assert asyncio.run(main()) == [200] * 40
    assert most > 3  # the static files went around the gate...
    most = 0

    async def only_api() -> None:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://hb") as client:
            await asyncio.gather(*(client.get("/api/v1/x") for _ in range(30)))

    asyncio.run(only_api())
    assert most == 3  # ...the rest waited their turn


def test_responses_say_how_long_they_queued_and_how_long_the_app_took() -> None:
    async def slow_app(scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(0.02)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
        await send({"type": "http.response.body", "body": b"ok"})

    gate = ConcurrencyLimit(slow_app, limit=1)

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://hb") as client:
            gated = await asyncio.gather(*(client.get("/api/v1/x") for _ in range(3)))
            return [*gated, await client.get("/static/app.css")]

    *gated, static = asyncio.run(main())
    timings = []
    for response in gated:
        assert response.headers["x-a"] == "1"  # the app's own headers are kept
        found = re.fullmatch(
            r"queue;dur=([0-9.]+), app;dur=([0-9.]+)", response.headers["server-timing"]
        )
        assert found is not None, response.headers["server-timing"]
        timings.append((float(found[1]), float(found[2])))
    assert all(app >= 19 for _, app in timings)
    # One at a time: the last one in waited for the two before it.
    assert max(queue for queue, _ in timings) >= 38
    assert "server-timing" not in static.headers


def test_the_limit_must_let_one_request_in() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrencyLimit(lambda *_: None, limit=0)  # type: ignore[arg-type,return-value]


@pytest.mark.usefixtures("backend")
def test_more_concurrent_requests_than_threads_and_connections_are_all_answered(
    make_app: Callable[..., FastAPI],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    """60 requests at once against 2 connections and 40 worker threads: without the gate the
    requests waiting for a connection hold every thread while those holding one wait for a thread
    to commit, and nothing is answered before the pool's timeout."""
    headers = login(make_user(Role.EPIDEMIOLOGIST, "THA"))
    app = make_app(db_pool_size=1)

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hb", headers=headers, timeout=20
        ) as client:
            # (ASGITransport has no timeouts: a stuck server would hang the test without this)
            answers = await asyncio.wait_for(
                asyncio.gather(*(client.get("/api/v1/situation") for _ in range(60))), 60
            )
        return [a.status_code for a in answers]

    assert asyncio.run(main()) == [200] * 60
