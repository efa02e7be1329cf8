"""Builds the bolt `AsyncApp` for either HTTP or Socket Mode.

`process_before_response=True` makes bolt answer as soon as the listener returns (0.4 ms measured) instead of
polling for the ack every 10 ms; our listeners only ack and hand slow work to `TaskTracker`, so that is safe here.
Authorization comes from the configured bot token with no Slack call: bolt's default single-team authorization calls
`auth.test` on the first request, which would put a network call on the ack path. The bot's own identity is looked
up once at startup instead (`SlackIdentity.load`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.service import CardService
from bot.commands.dispatch import CommandDispatcher
from bot.commands.forms import BranchPickers
from bot.commands.removals import HomeRemovals
from bot.home.service import HomeService
from bot.metrics import Metrics
from bot.slack.actions import register_command_actions
from bot.slack.cards import register_card_actions
from bot.slack.commands import register_commands
from bot.slack.events import ForgetsUsers, register_events
from bot.slack.home import register_home
from bot.slack.modals import register_modals
from bot.slack.port import WebApiSlackPort
from bot.slack.scopes import missing_scope_line, missing_scopes, token_scopes
from bot.storage import IdempotencyKeys
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)


def build_web_client(*, token: str, base_url: str) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=base_url, timeout=10)
    # slack_sdk retries no 429 by default; Slack's Retry-After is the pacing signal we must honour.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


@dataclass(frozen=True)
class TokenReport:
    """What `auth.test` says of a bot token: the workspace, or Slack's refusal, and the scopes it holds."""

    team: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    error: str | None = None
    scopes: frozenset[str] | None = None


async def inspect_token(client: AsyncWebClient) -> TokenReport:
    """One `auth.test`: does Slack accept the token, for which workspace, with which scopes."""
    try:
        response = await client.auth_test()
    except SlackApiError as refused:
        return TokenReport(error=str(refused.response.get("error") or "refused"),
                           scopes=token_scopes(refused.response.headers))
    except (OSError, aiohttp.ClientError, TimeoutError) as failed:
        return TokenReport(error=f"no answer ({type(failed).__name__})")
    return TokenReport(
        team=response.get("team"), team_id=response.get("team_id"), user_id=response.get("user_id"),
        scopes=token_scopes(response.headers),
    )


class SlackIdentity:
    """Who the bot is in its workspace, learned once from `auth.test` outside any request."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self.team_id: str | None = None
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None

    async def load(self, *, attempts: int = 6, first_delay: float = 0.2) -> None:
        delay = first_delay
        for attempt in range(1, attempts + 1):
            try:
                response = await self._client.auth_test()
                break
            except (SlackApiError, OSError) as error:
                if attempt == attempts:
                    log.warning("auth.test failed %d times (%s); answering without knowing the bot's own user id",
                                attempts, type(error).__name__)
                    return
                await asyncio.sleep(delay)
                delay *= 2
        self.team_id = response.get("team_id")
        self.bot_user_id = response.get("user_id")
        self.bot_id = response.get("bot_id")
        log.info("connected to Slack workspace %s as bot user %s", self.team_id, self.bot_user_id)
        warn_about_missing_scopes(token_scopes(response.headers))


def warn_about_missing_scopes(held: frozenset[str] | None) -> None:
    """At start-up: one warning per bot scope the token lacks, naming what breaks (the features refuse later with
    `missing_scope`, and the person using them is told to ask an admin; this tells the operator first)."""
    if held is None:
        log.info("Slack did not name the bot token's scopes; `pscale-bot check` can tell whether any is missing")
        return
    for scope in missing_scopes(held):
        log.warning("Missing Slack scope: %s", missing_scope_line(scope))


def build_bolt_app(
    *,
    client: AsyncWebClient,
    signing_secret: str | None,
    identity: SlackIdentity,
    dispatcher: CommandDispatcher,
    pickers: BranchPickers,
    accounts: ForgetsUsers,
    idempotency_keys: IdempotencyKeys,
    cards: CardService,
    home: HomeService,
    removals: HomeRemovals,
    tasks: TaskTracker,
    metrics: Metrics,
) -> AsyncApp:
    bot_token = client.token or ""

    async def authorize(**context: Any) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=context.get("enterprise_id"),
            team_id=context.get("team_id") or identity.team_id,
            bot_token=bot_token,
            bot_user_id=identity.bot_user_id,
            bot_id=identity.bot_id,
        )

    # Bolt gets a client without a token: each request's client is a copy carrying `authorize`'s token. Giving it
    # the token as well makes bolt log at every start that the token is being ignored.
    request_client = AsyncWebClient(base_url=client.base_url, timeout=client.timeout)
    request_client.retry_handlers = list(client.retry_handlers)
    app = AsyncApp(
        client=request_client,
        signing_secret=signing_secret,
        authorize=authorize,
        process_before_response=True,
        # Socket Mode frames are not signed; in HTTP mode our endpoint has verified already and bolt checks again.
        request_verification_enabled=signing_secret is not None,
        logger=logging.getLogger("slack_bolt"),
    )
    register_commands(app, dispatcher=dispatcher, tasks=tasks, metrics=metrics)
    register_command_actions(app, dispatcher=dispatcher, tasks=tasks)
    register_modals(app, dispatcher=dispatcher, slack=WebApiSlackPort(client), tasks=tasks, pickers=pickers)
    register_home(app, home=home, removals=removals, tasks=tasks)
    register_events(app, accounts=accounts, unfurls=cards, idempotency_keys=idempotency_keys, tasks=tasks)
    register_card_actions(app, cards=cards, home=home, tasks=tasks)
    return app
