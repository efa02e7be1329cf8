"""The bot under test, started exactly as `pscale-bot serve`/`socket` start it, over real sockets.

`build_runtime` + `create_web_app` are the same calls the CLI makes; only the settings differ (they point at the
stand-ins). Requests reach it over HTTP with signatures made by slack_sdk's own signer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.config import Mode, Settings
from bot.linking import CALLBACK_PATH
from bot.render.message import Message
from bot.runtime import Runtime, build_runtime, create_web_app
from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.oauth import AutoApprove, ConsentMode, PlanetScaleOAuthServer
from bot.sandbox.slack import SlackError, SlackStandIn
from bot.sandbox.slack.limits import check_message
from bot.web.body import BODY_READ_SECONDS
from tests.support.oauth_browser import Browser, link_button_url
from tests.support.planetscale import ServedPlanetScale, serve_planetscale
from tests.support.servers import bind_loopback, loopback_client, serve_asgi, serve_asgi_in_loop
from tests.support.slack import Actor, SignedRequest, slash_command

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
# For a test that waits out the bot's SLACK_API_TIMEOUT (a Slack answer that comes too late): 3 s, where the
# default 10 s would add 7 s to each such test, and still room for Slack's on-time answers on a loaded machine.
SLOW_SLACK = pytest.mark.slack_api_timeout(3)
T = TypeVar("T")


@dataclass
class RunningBot:
    base_url: str
    runtime: Runtime
    slack: SlackStandIn
    http: httpx.Client
    loop: asyncio.AbstractEventLoop | None = None
    planetscale: ServedPlanetScale | None = None
    oauth: PlanetScaleOAuthServer | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` (a call on the bot's storage, say) in the bot's own event loop, and wait for it: the database
        belongs to that loop (a PostgreSQL pool cannot be used from another)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=30)

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        """`run`, awaitable from an async test (whose event loop is not the bot's)."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    def post_events(self, request: SignedRequest, **kwargs: Any) -> httpx.Response:
        return self.http.post(f"{self.base_url}/slack/events", content=request.body, headers=request.headers, **kwargs)

    def command(self, text: str, *, actor: Actor | None = None) -> httpx.Response:
        """POST `/pscale text` as Slack would, with a fresh response_url from the Slack stand-in."""
        who = actor or Actor()
        response_url = self.slack.new_response_url(channel=who.channel_id, user=who.user_id)
        ack = self.post_events(
            slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=who)
        )
        _check_ack(ack)
        return ack

    def link(self, actor: Actor, *, planetscale_user_id: str) -> None:
        """Link `actor`'s Slack account to a PlanetScale user through the real flow: `/pscale login`, the start
        page, the OAuth stand-in approving as that user, the callback."""
        with loopback_client(timeout=10) as browser:
            page = Browser(browser).link(self.start_link(actor, planetscale_user_id=planetscale_user_id))
        if page.status_code != 200:
            raise AssertionError(f"linking {actor.user_id} failed: {page.status_code} {page.text[:300]}")

    def start_link(self, actor: Actor, *, planetscale_user_id: str) -> str:
        """`/pscale login` as `actor`: the start URL of the link button; whoever opens it will consent on
        PlanetScale's side as `planetscale_user_id`."""
        if self.oauth is None:
            raise RuntimeError("run_bot(planetscale=world) is needed to link accounts")
        self.oauth.consent = AutoApprove(planetscale_user_id)
        ack = self.command("login", actor=actor)
        return link_button_url(Message(text=ack.json()["text"], blocks=tuple(ack.json()["blocks"])))

    def metric(self, name: str, **labels: str) -> float:
        value = self.runtime.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


def _check_ack(ack: httpx.Response) -> None:
    """Slack shows an ack's body as a reply, and refuses one it would refuse from chat.postMessage."""
    if not ack.content or not ack.headers.get("content-type", "").startswith("application/json"):
        return
    body = ack.json()
    if not isinstance(body, dict) or not ({"text", "blocks"} & body.keys()):
        return
    try:
        check_message(str(body.get("text", "")), body.get("blocks"))
    except SlackError as refused:
        raise AssertionError(f"Slack would refuse this ack: {refused}") from None


def bot_settings(*, slack: SlackStandIn, data_dir: Path, mode: Mode = Mode.HTTP, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": slack.bot_token,
        "slack_signing_secret": SIGNING_SECRET if mode is Mode.HTTP else None,
        "slack_app_token": slack.app_token if mode is Mode.SOCKET else None,
        "slack_api_url": slack.api_url,
        "planetscale_client_id": "test-client",
        "planetscale_client_secret": "test-client-secret",
        "bot_database": str(data_dir / "bot.sqlite3"),
        "bot_encryption_keys": Fernet.generate_key().decode(),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def run_bot(
    *,
    slack: SlackStandIn,
    data_dir: Path,
    mode: Mode = Mode.HTTP,
    planetscale: World | None = None,
    consent: ConsentMode | None = None,
    reconcile: bool = True,
    body_read_seconds: float = BODY_READ_SECONDS,
    **overrides: Any,
) -> Iterator[RunningBot]:
    """The bot on a loopback port that is also its BOT_PUBLIC_URL. With `planetscale`, that world is served by the
    API stand-in and PlanetScale's OAuth stand-in (`consent` decides the authorize step; default: the world's first
    user approves), and the bot's PLANETSCALE_* URLs point at them. `reconcile=False`: cards are not re-read on a
    timer, so only clicks, commands and webhook deliveries move them. `body_read_seconds`: how long any request's
body may take to arrive (bot/web/body.py)."""
    sock = bind_loopback()
    host, port = sock.getsockname()[:2]
    overrides.setdefault("bot_public_url", f"http://{host}:{port}")
    with ExitStack() as stack:
        served_api = oauth = None
        if planetscale is not None:
            served_api = stack.enter_context(serve_planetscale(planetscale))
            oauth = PlanetScaleOAuthServer(
                planetscale,
                client_id=overrides.setdefault("planetscale_client_id", "test-client"),
                client_secret=overrides.setdefault("planetscale_client_secret", "test-client-secret"),
                redirect_uri=overrides["bot_public_url"].rstrip("/") + CALLBACK_PATH,
                consent=consent or AutoApprove(next(iter(planetscale.users))),
            )
            oauth_url = stack.enter_context(serve_asgi(oauth.app))
            overrides.setdefault("planetscale_api_url", served_api.base_url)
            overrides.setdefault("planetscale_authorize_url", f"{oauth_url}/oauth/authorize")
            overrides.setdefault("planetscale_token_url", f"{oauth_url}/oauth/token")
            overrides.setdefault("planetscale_revoke_url", f"{oauth_url}/oauth/revoke")
        runtime = build_runtime(bot_settings(slack=slack, data_dir=data_dir, mode=mode, **overrides), mode=mode)
        runtime.reconcile = reconcile
        web_app = create_web_app(runtime=runtime, body_read_seconds=body_read_seconds)
        base_url, loop = stack.enter_context(serve_asgi_in_loop(web_app, sock=sock))
        http = stack.enter_context(loopback_client(timeout=10))
        yield RunningBot(
            base_url=base_url, runtime=runtime, slack=slack, http=http, loop=loop, planetscale=served_api,
            oauth=oauth,
        )
