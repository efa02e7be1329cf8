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
import random
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.service import CardService
from bot.commands.dispatch import CommandDispatcher
from bot.commands.forms import BranchPickers
from bot.commands.removals import HomeRemovals
from bot.home.service import HomeService
from bot.metrics import Metrics
from bot.planetscale.errors import parse_retry_after
from bot.ports import SlackRefused
from bot.render.errors import action_failed
from bot.slack.actions import register_command_actions
from bot.slack.cards import register_card_actions
from bot.slack.commands import register_commands
from bot.slack.events import ForgetsUsers, register_events
from bot.slack.home import register_home
from bot.slack.modals import register_modals
from bot.slack.port import WebApiSlackPort
from bot.slack.replies import ResponseUrlReplies
from bot.slack.routes import InteractionRoutes
from bot.slack.scopes import missing_scope_line, missing_scopes, token_scopes
from bot.slack.sender import sender
from bot.storage import IdempotencyKeys
from bot.tasks import TaskTracker
from bot.unsent import never_sent

log = logging.getLogger(__name__)


# The longest `Retry-After` waited out inside a call: a reply is due within Slack's 15 s, so a longer wait is not
# made; the call fails as `ratelimited` and the person is told to wait and try again.
MAX_SLACK_RETRY_AFTER_SECONDS = 5.0
# What slack_sdk's own handler waits when Slack names no usable time.
UNUSABLE_RETRY_AFTER_SECONDS = 1.0


class SlackRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry, for a `Retry-After` it cannot read: slack_sdk calls `int()` on the header, so
    `Retry-After: abc` raised ValueError out of the Web API call (a traceback and "Something went wrong"
    instead of a reply), and an hour-long one slept an hour. Here an unreadable value waits as long as a missing one,
    and one longer than `MAX_SLACK_RETRY_AFTER_SECONDS` is not waited for: the call fails as Slack answered it."""

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429 and (
            _retry_after(response) <= MAX_SLACK_RETRY_AFTER_SECONDS
        )

    async def prepare_for_next_attempt_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        await asyncio.sleep(_retry_after(response) + random.random())  # noqa: S311 - jitter, not a secret
        state.increment_current_attempt()


def _retry_after(response: HttpResponse | None) -> float:
    headers = {name.lower(): values for name, values in (response.headers if response else {}).items()}
    values = headers.get("retry-after") or [""]
    seconds = parse_retry_after(values[0] if isinstance(values, list) else str(values))
    return UNUSABLE_RETRY_AFTER_SECONDS if seconds is None else seconds


class UnsentRetry(AsyncConnectionErrorRetryHandler):
    """slack_sdk's one retry of a failed connection, only for a request that never left (bot/unsent.py). Its own
    retried a reset or a disconnect too, which may come after Slack acted: a `chat.postMessage` whose answer was
    lost was posted a second time."""

    async def _can_retry_async(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return error is not None and never_sent(error)


def build_web_client(*, token: str, base_url: str, timeout: int) -> AsyncWebClient:
    """`timeout`: how long a Web API call may take before the bot stops waiting for its answer (SLACK_API_TIMEOUT)."""
    client = AsyncWebClient(token=token, base_url=base_url, timeout=timeout)
    # In place of slack_sdk's default connection retry; it retries no 429, and Slack's Retry-After is the pacing
    # signal we must honour.
    client.retry_handlers = [UnsentRetry(), SlackRateLimitRetry(max_retry_count=2)]
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


class _BoltWarningFilter(logging.Filter):
    """Drops two warnings of bolt's that say nothing an operator can act on:
    - the one at every start because `AsyncApp` reads SLACK_BOT_TOKEN from the environment whatever it is given
      (`token or os.environ.get("SLACK_BOT_TOKEN")`, slack_bolt/app/async_app.py) and then, a client being given
      too, says that token will be unused. It is unused on purpose: each request's client carries `authorize`'s
      token. A warning that is always there only teaches an operator to skip warnings;
    - "Unhandled request (…)" for a payload no listener matches (a button the bot no longer draws), followed by
      sample code for writing that listener. It quotes the payload, including what a person typed into a menu's
      search box; the events endpoint logs the payload's type alone instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return message != warning_client_prioritized_and_token_skipped() and not message.startswith(
            "Unhandled request ("
        )


# One instance: `Logger.addFilter` adds it once however many apps are built (tests build many).
_BOLT_WARNING_FILTER = _BoltWarningFilter()


def build_bolt_app(
    *,
    client: AsyncWebClient,
    identity: SlackIdentity,
    dispatcher: CommandDispatcher,
    pickers: BranchPickers,
    accounts: ForgetsUsers,
    idempotency_keys: IdempotencyKeys,
    cards: CardService,
    replies: ResponseUrlReplies,
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

    # Bolt gets a client without a token: each request's client is a copy carrying `authorize`'s token.
    request_client = AsyncWebClient(base_url=client.base_url, timeout=client.timeout)
    request_client.retry_handlers = list(client.retry_handlers)
    bolt_log = logging.getLogger("slack_bolt")
    bolt_log.addFilter(_BOLT_WARNING_FILTER)
    app = AsyncApp(
        # Named: without a name bolt takes its caller's file name from `inspect.stack()`, which reads the source of
        # every frame on the stack (8% of `serve`'s start-up CPU, by py-spy).
        name="pscale-bot",
        client=request_client,
        authorize=authorize,
        process_before_response=True,
        # Socket Mode frames are not signed; in HTTP mode our endpoint verifies the signature and hands bolt the
        # payload written out again from its checked model (bot/slack/inbound.py), which carries none.
        request_verification_enabled=False,
        logger=bolt_log,
    )
    slack = WebApiSlackPort(client)
    register_failure_reply(app, slack=slack, tasks=tasks)
    # Bolt tries listeners in the order they are registered: the command's first, as most requests are commands;
    # then one listener per kind of interaction (bot/slack/routes.py), then the events.
    register_commands(app, dispatcher=dispatcher, replies=replies, tasks=tasks, metrics=metrics)
    routes = InteractionRoutes()
    routes.install(app)
    register_command_actions(routes, dispatcher=dispatcher, replies=replies, tasks=tasks)
    register_modals(routes, dispatcher=dispatcher, slack=slack, tasks=tasks, pickers=pickers)
    register_home(app, routes, home=home, removals=removals, tasks=tasks)
    register_card_actions(routes, cards=cards, home=home, replies=replies, tasks=tasks)
    register_events(app, accounts=accounts, unfurls=cards, idempotency_keys=idempotency_keys, tasks=tasks)
    return app


def register_failure_reply(app: AsyncApp, *, slack: WebApiSlackPort, tasks: TaskTracker) -> None:
    """A listener (or bolt around it) that raises: Slack still gets its 2xx, which bolt would have made a 500, and
    the person who acted is told it did not work, with a reference that is also in the log line."""

    async def tell(channel_id: str, user_id: str, reference: str) -> None:
        try:
            if channel_id:
                await slack.ephemeral_or_direct(channel=channel_id, user=user_id, message=action_failed(reference))
            else:  # a form has no channel of its own
                await slack.direct_message(user_id, action_failed(reference))
        except (SlackRefused, OSError, aiohttp.ClientError, TimeoutError) as failed:
            log.warning("could not tell %s about failure %s: %s", user_id, reference, type(failed).__name__)

    @app.error
    async def listener_failed(error: Exception, body: dict[str, Any]) -> BoltResponse:
        reference = secrets.token_hex(4)
        log.error("a Slack listener failed (reference %s)", reference, exc_info=error)
        _, user_id = sender(body)
        if user_id and body.get("type") != "event_callback":  # an event has nobody waiting for an answer
            tasks.spawn(tell(_channel_of(body), user_id, reference), name="failure reply")
        return BoltResponse(status=200, body="")


def _channel_of(body: dict[str, Any]) -> str:
    """The channel a command was typed or a message was clicked in; empty for a form."""
    channel = body.get("channel")
    if isinstance(channel, dict):
        return str(channel.get("id") or "")
    container = body.get("container")
    if isinstance(container, dict) and container.get("channel_id"):
        return str(container["channel_id"])
    return str(body.get("channel_id") or "")
