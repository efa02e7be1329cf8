"""Replicas as an operator runs them: `pscale-bot serve` processes on one database, configured by environment.

The stand-ins (Slack, PlanetScale's API and its OAuth server) are served by the test process; each replica is a
real `python -m bot serve --port P` child process whose settings point at them. `BOT_PUBLIC_URL` is the first
replica's address for all of them, as a load balancer's would be: the OAuth callback lands there.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.linking import CALLBACK_PATH
from bot.render.message import Message
from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.oauth import AutoApprove, PlanetScaleOAuthServer
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.workspace import StoredMessage
from tests.support.bot import SIGNING_SECRET
from tests.support.cards import click_request
from tests.support.oauth_browser import Browser, link_button_url
from tests.support.planetscale import ServedPlanetScale, serve_planetscale
from tests.support.servers import LOOPBACK_TLS, free_port, loopback_client, serve_asgi
from tests.support.slack import Actor, SignedRequest, slash_command

READY_SECONDS = 60.0


@dataclass
class Replica:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def post_events(self, request: SignedRequest) -> httpx.Response:
        return httpx.post(
            f"{self.url}/slack/events", content=request.body, headers=request.headers, timeout=15, verify=LOOPBACK_TLS
        )

    def kill(self) -> None:
        """SIGKILL: no drain, no lease given back; what it held must lapse."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Replicas:
    environment: dict[str, str]
    slack: SlackStandIn
    planetscale: ServedPlanetScale
    oauth: PlanetScaleOAuthServer
    cwd: Path
    members: list[Replica] = field(default_factory=list)
    # The first replica's port, chosen before the OAuth stand-in is built: its redirect URI names it.
    _ports: list[int] = field(default_factory=list)

    def __getitem__(self, index: int) -> Replica:
        return self.members[index]

    def command(self, replica: Replica, text: str, *, actor: Actor) -> httpx.Response:
        response_url = self.slack.new_response_url(channel=actor.channel_id, user=actor.user_id)
        return replica.post_events(
            slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=actor)
        )

    async def reply(self, replica: Replica, text: str, *, actor: Actor) -> str:
        """`/pscale text` through `replica`; the text and blocks of its reply through response_url."""
        since = len(self.slack.response_posts)
        ack = self.command(replica, text, actor=actor)
        assert ack.status_code == 200, ack.text
        posted = await self.slack.wait_response(since=since, timeout=15)
        return str(posted.body.get("text", "")) + str(posted.body.get("blocks", ""))

    async def post_card(self, replica: Replica, text: str, *, actor: Actor) -> StoredMessage:
        """`/pscale text` (a `dr post`) through `replica`; the card it posted."""
        calls = len(self.slack.calls)
        assert "Posted" in await self.reply(replica, text, actor=actor)
        posted = await self.slack.wait_call(
            "chat.postMessage", where=lambda call: not call.args.get("thread_ts"), since=calls, timeout=15
        )
        return self.slack.workspace.message(actor.channel_id, str(posted.response["ts"]))

    async def wait_card_shows(self, card: StoredMessage, text: str, *, since: int) -> StoredMessage:
        """The card once a `chat.update` (from index `since` of the Web API calls) has drawn it with `text`."""
        await self.slack.wait_call(
            "chat.update", where=lambda call: call.args.get("ts") == card.ts and text in str(call.args),
            since=since, timeout=15,
        )
        return self.slack.workspace.message(card.channel, card.ts)

    async def reply_to_click(self, replica: Replica, card: StoredMessage, action_id: str, *, actor: Actor) -> str:
        """A click on the card's `action_id` through `replica`; the text only the clicker was shown."""
        since = len(self.slack.response_posts)
        assert replica.post_events(click_request(self, card, action_id, actor=actor)).status_code == 200
        return str((await self.slack.wait_response(since=since, timeout=15)).body.get("text", ""))

    def link(self, replica: Replica, actor: Actor, *, planetscale_user_id: str) -> None:
        """`/pscale login` through `replica`, then the browser through the start page, consent and callback."""
        self.oauth.consent = AutoApprove(planetscale_user_id)
        ack = self.command(replica, "login", actor=actor)
        start_url = link_button_url(Message(text=ack.json()["text"], blocks=tuple(ack.json()["blocks"])))
        with loopback_client(timeout=15) as browser:
            page = Browser(browser).link(start_url)
        if page.status_code != 200:
            raise AssertionError(f"linking {actor.user_id} failed: {page.status_code} {page.text[:300]}")

    def start(self, count: int = 1, *, poll_seconds: float = 0.1, **extra_environment: str) -> list[Replica]:
        """Start `count` more replicas at once, and wait until each answers /readyz (asked every `poll_seconds`)."""
        started = [self._spawn(len(self.members) + index, extra_environment) for index in range(count)]
        for replica in started:
            _wait_ready(replica, poll_seconds=poll_seconds)
        self.members.extend(started)
        return started

    def restart(self, replica: Replica) -> Replica:
        """Start a stopped or killed replica again on its own port (so BOT_PUBLIC_URL still reaches it), as an
        operator's supervisor would; wait until it answers /readyz."""
        if replica.process.poll() is None:
            raise RuntimeError(f"{replica.name} is still running")
        index = self.members.index(replica)
        port = int(replica.url.rsplit(":", 1)[1])
        again = self._spawn(index, {}, port=port)
        _wait_ready(again, poll_seconds=0.1)
        self.members[index] = again
        return again

    def spawn_cli(self, *arguments: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
        """`pscale-bot ARGUMENTS` started, not awaited: for a cron job or `keys rotate` killed or stopped while it
        runs (`stderr=subprocess.PIPE` to read what it said)."""
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *arguments], cwd=self.cwd, env=self.environment,
            stdout=subprocess.DEVNULL, stderr=stderr,
        )

    def run_cli(self, *arguments: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`pscale-bot ARGUMENTS` with the replicas' environment (a cron job, `keys rotate`, `move-database`…)."""
        return subprocess.run(
            [sys.executable, "-m", "bot", *arguments], cwd=self.cwd, env=self.environment, capture_output=True,
            text=True, timeout=timeout, check=False,
        )

    def _spawn(self, index: int, extra: dict[str, str], *, port: int | None = None) -> Replica:
        if port is None:
            port = self._ports.pop(0) if index == 0 and self._ports else free_port()
        log = self.cwd / f"replica-{index}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=self.cwd, env={**self.environment, **extra}, stdout=output, stderr=subprocess.STDOUT,
            )
        return Replica(name=f"replica-{index}", url=f"http://127.0.0.1:{port}", process=process, log=log)


def sqlite_rows(database_file: Path, statement: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """One statement on a replica's SQLite file, from outside the bot (committed at once): what an operator's
    `sqlite3` would see, or do."""
    with sqlite3.connect(database_file) as connection:
        return connection.execute(statement, parameters).fetchall()


def _wait_ready(replica: Replica, *, poll_seconds: float) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if replica.process.poll() is not None:
            raise AssertionError(f"{replica.name} exited with {replica.process.returncode}:\n{replica.log.read_text()}")
        try:
            if httpx.get(f"{replica.url}/readyz", timeout=2, verify=LOOPBACK_TLS).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(poll_seconds)
    raise AssertionError(f"{replica.name} was not ready within {READY_SECONDS} s:\n{replica.log.read_text()}")


def environment(settings: dict[str, Any], cwd: Path) -> dict[str, str]:
    """Settings as the environment of a child process: only ours, none inherited from the test runner's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "PLANETSCALE_", "BOT_"))}
    env.update({name.upper(): str(value) for name, value in settings.items() if value is not None})
    env["HOME"] = str(cwd)
    return env


@contextmanager
def replicas_on(
    database_url: str, *, slack: SlackStandIn, world: World, cwd: Path, **settings: str
) -> Iterator[Replicas]:
    """Stand-ins served here and the environment every replica gets; start replicas with `.start(n)`."""
    first_port = free_port()
    public_url = f"http://127.0.0.1:{first_port}"
    with ExitStack() as stack:
        served = stack.enter_context(serve_planetscale(world))
        oauth = PlanetScaleOAuthServer(
            world, client_id="test-client", client_secret="test-client-secret",
            redirect_uri=public_url + CALLBACK_PATH, consent=AutoApprove(next(iter(world.users))),
        )
        oauth_url = stack.enter_context(serve_asgi(oauth.app))
        values: dict[str, Any] = {
            "slack_bot_token": slack.bot_token,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.api_url,
            "planetscale_client_id": "test-client",
            "planetscale_client_secret": "test-client-secret",
            "planetscale_api_url": served.base_url,
            "planetscale_authorize_url": f"{oauth_url}/oauth/authorize",
            "planetscale_token_url": f"{oauth_url}/oauth/token",
            "planetscale_revoke_url": f"{oauth_url}/oauth/revoke",
            "bot_public_url": public_url,
            "bot_database": database_url,
            "bot_encryption_keys": Fernet.generate_key().decode(),
            "log_level": "WARNING",
            **settings,
        }
        group = Replicas(
            environment=environment(values, cwd), slack=slack, planetscale=served, oauth=oauth, cwd=cwd,
            _ports=[first_port],
        )
        try:
            yield group
        finally:
            for replica in group.members:
                replica.stop()
