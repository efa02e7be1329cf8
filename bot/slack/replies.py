"""Replies through `response_url`, over one HTTP session for the whole process.

Bolt's `respond` opens a new aiohttp session (and so a new connection) for every reply; under load that cost about
14% of the bot's ack throughput, since the replies run on the event loop that acks. Here every reply shares one
session, made on first use in the serving event loop and closed when the runtime stops.

The reply is one JSON POST (https://api.slack.com/interactivity/handling#message_responses), sent with aiohttp
directly rather than through slack_sdk's webhook client: that client rebuilt the body through its block-model
conversion and a fresh client object on every reply (about a fifth of a `branch list` follow-up's CPU), and it
returns Slack's refusal (`expired_url`, `used_url`: a 404 with the code as its body) without raising, which went
unlogged. A reply that cannot be delivered is logged by its status and Slack's code, never by its URL, which is a
credential for five posts.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.proxy_env_variable_loader import load_http_proxy_from_env

from bot.render.message import Message
from bot.unsent import never_sent

log = logging.getLogger(__name__)

Deliver = Callable[[Message], Awaitable[None]]
RESPONSE_URL_TIMEOUT_SECONDS = 30  # slack_sdk's default for webhook clients, which `respond` used
JSON_HEADERS = {"Content-Type": "application/json;charset=utf-8"}
# Enough of a refusal's body to name Slack's code ("used_url"), not a whole error page from a proxy.
REFUSAL_SHOWN_CHARACTERS = 100
# A reply whose connection was never made is sent once more after this pause, as slack_sdk's webhook client did (its
# first retry waited 0.5 s); one that may have reached Slack is not, as for the Web API (UnsentRetry, bot/slack/app.py).
UNSENT_RETRY_SECONDS = 0.5


class ResponseUrlReplies:
    def __init__(self, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._sleep = sleep
        # The proxy slack_sdk's clients read from the environment (HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy):
        # the Web API calls go through it, and so did the replies while its webhook client sent them; where it is the
        # only way out, a reply sent around it would never arrive.
        self._proxy = load_http_proxy_from_env()

    def to(self, response_url: str | None, *, replace_original: bool | None = None) -> Deliver:
        """Where a follow-up's message goes: the interaction's `response_url`."""

        async def deliver(message: Message) -> None:
            await self.send(response_url, message, replace_original=replace_original)

        return deliver

    async def send(self, response_url: str | None, message: Message, *, replace_original: bool | None = None) -> None:
        if response_url is None:
            log.warning("could not deliver a reply: the interaction carries no response_url")
            return
        if replace_original is None:
            body = message.response_json
        else:
            body = json.dumps({**message.to_response(), "replace_original": replace_original})
        try:
            try:
                status, said = await self._post(response_url, body)
            except aiohttp.ClientError as error:
                if not never_sent(error):
                    raise
                await self._sleep(UNSENT_RETRY_SECONDS)
                status, said = await self._post(response_url, body)
        except Exception as error:  # unreachable or timed out: a reply task must end quietly, not crash
            log.warning("could not deliver a reply through response_url: %s", type(error).__name__)
            return
        refusal = _refusal(status, said)
        if refusal is not None:
            log.warning("Slack refused a reply through response_url: HTTP %s %r", status, refusal)

    async def _post(self, response_url: str, body: str) -> tuple[int, str]:
        """POST `body` as JSON; returns the answer's status and body."""
        timeout = aiohttp.ClientTimeout(total=RESPONSE_URL_TIMEOUT_SECONDS)
        async with self._open().post(
            response_url, data=body, headers=JSON_HEADERS, timeout=timeout, proxy=self._proxy
        ) as answer:
            # Read to its end even when it says nothing we need: an answer left unread when it is released closes
            # its connection rather than handing it back to the session for the next reply.
            return answer.status, await answer.text(errors="replace")

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No cookie jar: replies to different people share this session (bot/planetscale/transport.py says why).
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _refusal(status: int, said: str) -> str | None:
    """What Slack said when it did not take a reply (its code where it named one), or None when it took it. A reply
    taken is answered 200 with `ok` or `{"ok": true}`; an answer whose JSON says `"ok": false` took nothing, whatever
    its status, as with every other answer of Slack's."""
    try:
        answer = json.loads(said)
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("ok") is False:
        return str(answer.get("error", said))[:REFUSAL_SHOWN_CHARACTERS]
    return None if status == 200 else said[:REFUSAL_SHOWN_CHARACTERS]
