"""The bot under test, started exactly as `pscale-bot serve`/`socket` start it, over real sockets.

`build_runtime` + `create_web_app` are the same calls the CLI makes; only the settings differ (they point at the
stand-ins). Requests reach it over HTTP with signatures made by slack_sdk's own signer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

from bot.config import Mode, Settings
from bot.runtime import Runtime, build_runtime
from bot.sandbox.slack import SlackStandIn
from bot.web.app import create_web_app
from tests.support.servers import serve_asgi
from tests.support.slack import Actor, SignedRequest, slash_command

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


@dataclass
class RunningBot:
    base_url: str
    runtime: Runtime
    slack: SlackStandIn
    http: httpx.Client

    def post_events(self, request: SignedRequest, **kwargs: Any) -> httpx.Response:
        return self.http.post(f"{self.base_url}/slack/events", content=request.body, headers=request.headers, **kwargs)

    def command(self, text: str, *, actor: Actor | None = None) -> httpx.Response:
        """POST `/pscale text` as Slack would, with a fresh response_url from the Slack stand-in."""
        who = actor or Actor()
        response_url = self.slack.new_response_url(channel=who.channel_id, user=who.user_id)
        return self.post_events(
            slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=who)
        )

    def metric(self, name: str, **labels: str) -> float:
        value = self.runtime.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


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
def run_bot(*, slack: SlackStandIn, data_dir: Path, mode: Mode = Mode.HTTP, **overrides: Any) -> Iterator[RunningBot]:
    runtime = build_runtime(bot_settings(slack=slack, data_dir=data_dir, mode=mode, **overrides), mode=mode)
    with serve_asgi(create_web_app(runtime=runtime)) as base_url, httpx.Client(timeout=10) as http:
        yield RunningBot(base_url=base_url, runtime=runtime, slack=slack, http=http)
