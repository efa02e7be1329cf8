"""A webhook receiver for tests: a real HTTP server that records what PlanetScale's stand-in sends it and answers as
told (a status, a redirect, or nothing until released)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.support.bot import RunningBot
from tests.support.servers import serve_asgi


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """`status`: what every delivery is answered with; `redirect_to`: answer 307 there instead; `hold`: answer only
    once `release` is set (a receiver slower than PlanetScale waits)."""

    status: int = 200
    redirect_to: str | None = None
    hold: bool = False
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            body = await request.body()
            with self.arrived:
                self.received.append(Received(request.url.path, dict(request.headers), body))
                self.arrived.notify_all()
            if self.hold:
                await anyio.to_thread.run_sync(self.release.wait, 10.0, abandon_on_cancel=True)
            if self.redirect_to is not None:
                return RedirectResponse(self.redirect_to, status_code=307)
            return Response(status_code=self.status)

        return Starlette(routes=[Route("/{path:path}", receive, methods=["POST"])])

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Received]:
        """Block until `count` deliveries have arrived; the first `count`."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout):
                raise AssertionError(f"{len(self.received)} of {count} deliveries arrived within {timeout} s")
            return self.received[:count]


@contextmanager
def serve_receiver(receiver: WebhookReceiver) -> Iterator[str]:
    """Serve `receiver` on loopback; yields its base URL. A held delivery is let go before the server stops."""
    with serve_asgi(receiver.app()) as base_url:
        try:
            yield base_url
        finally:
            receiver.release.set()


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Poll `condition` until it holds (for what happens in the stand-in's sender thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def signed_delivery(secret: str, body: bytes) -> dict[str, str]:
    """The headers PlanetScale sends with `body`: its HMAC-SHA256 under the webhook's secret, in hex."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-planetscale-signature": signature}


async def until(condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
    """Wait for `condition` to hold (what the bot does after answering runs in its own tasks)."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {timeout} s")


RECONCILER_PASSES = "pscale_bot_reconciler_passes_total"


async def reconciler_passes(bot: RunningBot, count: int) -> None:
    """Wait for the bot's reconciler to finish `count` more passes (the first may have begun before this)."""
    passes = bot.metric(RECONCILER_PASSES)
    await until(lambda: bot.metric(RECONCILER_PASSES) >= passes + count)


async def start_watching(bot: RunningBot, database: str) -> None:
    """`/pscale watch DATABASE` as Alice, in #general."""
    since = len(bot.slack.response_posts)
    assert bot.command(f"watch {database}").status_code == 200
    assert f"Watching `{database}`" in (await bot.slack.wait_response(since=since, timeout=10)).body["text"]


async def watched_hook(bot: RunningBot, *, team_id: str, org: str, database: str) -> tuple[str, str]:
    """`/pscale watch database` through the bot; the delivery URL of the webhook it created, and its secret."""
    await start_watching(bot, database)
    watch = await bot.call(bot.runtime.watches.of_database(team_id=team_id, org=org, database=database))
    assert watch is not None
    found = await bot.call(bot.runtime.watches.by_hook(watch.hook_id))
    assert found is not None
    return f"{bot.base_url}/webhooks/planetscale/{watch.hook_id}", found[1]
