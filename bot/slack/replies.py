"""Replies through `response_url`, over one HTTP session for the whole process.

Bolt's `respond` opens a new aiohttp session (and so a new connection) for every reply; under load that cost about
14% of the bot's ack throughput, since the replies run on the event loop that acks. Here every reply shares one
session, made on first use in the serving event loop and closed when the runtime stops. What is sent is what
`respond(**message.to_response())` sent: the same JSON body through slack_sdk's webhook client, same timeout.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.render.message import Message

log = logging.getLogger(__name__)

Deliver = Callable[[Message], Awaitable[None]]
RESPONSE_URL_TIMEOUT_SECONDS = 30  # slack_sdk's default, which `respond` used


class ResponseUrlReplies:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def to(self, response_url: str | None, *, replace_original: bool | None = None) -> Deliver:
        """Where a follow-up's message goes: the interaction's `response_url`."""

        async def deliver(message: Message) -> None:
            await self.send(response_url, message, replace_original=replace_original)

        return deliver

    async def send(self, response_url: str | None, message: Message, *, replace_original: bool | None = None) -> None:
        body = message.to_response()
        if replace_original is not None:
            body["replace_original"] = replace_original
        try:
            if response_url is None:
                raise ValueError("the interaction carries no response_url")
            client = AsyncWebhookClient(url=response_url, timeout=RESPONSE_URL_TIMEOUT_SECONDS, session=self._open())
            await client.send_dict(body)
        except Exception as error:  # an expired or used-up response_url must not crash the task
            log.warning("could not deliver a reply through response_url: %s", type(error).__name__)

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
