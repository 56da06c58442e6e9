"""At most as many requests in progress per server process as it has database connections.

A request holds one connection of the pool while it works, and needs a worker thread both to
run its route and, afterwards, to commit and give the connection back. With more requests in
progress than connections, those still waiting for a connection can occupy every thread while
those holding one wait for a thread to commit: the server stops answering until the pool's
timeout (30 s), and under steady load it never catches up — the load test saw every request
time out at 25 concurrent users. Letting at most ``limit`` requests in (no more than the pool's
connections) makes that impossible: the others wait their turn in the event loop, which costs
nothing, and are served in order of arrival.

Every response says how long it waited at the gate and how long the app then took to start
answering, in a standard ``Server-Timing`` header (``queue;dur=…, app;dur=…``, milliseconds;
browsers' developer tools show it, and ``bench/load.py`` reports it beside the latency the
client saw). Static files go past the gate and carry no header.
"""

from __future__ import annotations

import asyncio
import time
import weakref

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ConcurrencyLimit:
    """ASGI middleware: at most ``limit`` HTTP requests in progress at once (static files,
    which use no connection, are not counted)."""

    def __init__(self, app: ASGIApp, limit: int, exempt: tuple[str, ...] = ("/static/",)) -> None:
        if limit < 1:
            raise ValueError("the limit of requests in progress must be at least 1")
        self.app = app
        self.limit = limit
        self.exempt = exempt
        # One semaphore per event loop: the test client runs each app in a loop of its own.
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(self.limit)
        return gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        arrived = time.perf_counter()
        async with self._gate():
            admitted = time.perf_counter()

            async def timed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    answered = time.perf_counter()
                    timing = (
                        f"queue;dur={(admitted - arrived) * 1000:.1f}, "
                        f"app;dur={(answered - admitted) * 1000:.1f}"
                    )
                    headers = [*message.get("headers", ()), (b"server-timing", timing.encode())]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, timed)
