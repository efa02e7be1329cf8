"""`SlackPort` and `UserNotifier` (bot/ports.py) over the Web API: what the bot may ask of Slack.

Slack's refusals leave here as `SlackRefused` and broken connections as `SlackNotReached` or `SlackAnswerLost`,
so nothing below the transport knows slack_sdk or aiohttp. The linking notices are drawn here too: linking says what
happened, the transport decides how it reads in Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.planetscale.errors import parse_retry_after
from bot.ports import (
    SLACK_CALL_FAILURES,
    UNKNOWN_REFUSAL,
    SlackAnswerLost,
    SlackNotReached,
    SlackPerson,
    SlackRefused,
)
from bot.render import linking
from bot.render.message import Message
from bot.unsent import never_sent

log = logging.getLogger(__name__)


@contextmanager
def _refusals(method: str) -> Iterator[None]:
    """Slack's refusals and aiohttp's connection failures as the ports' own errors (bot/ports.py)."""
    try:
        yield
    except SlackApiError as error:
        needed = error.response.get("needed")
        raise SlackRefused(
            method, str(error.response.get("error", UNKNOWN_REFUSAL)), needed=str(needed) if needed else None,
            retry_after=_retry_after(error.response.headers) if error.response.status_code == 429 else None,
            status=error.response.status_code,
        ) from error
    except aiohttp.ClientError as error:
        reason = f"Slack {method}: {error or type(error).__name__}"
        if never_sent(error):
            raise SlackNotReached(reason) from error
        if isinstance(error, TimeoutError):
            raise  # sent, and not answered in time: the ports' TimeoutError already
        raise SlackAnswerLost(reason) from error


def _not_answered(method: str, failure: Exception) -> None:
    """One log line for a question Slack did not answer (`person`, `user_time_zone`), which then answers what it can
    instead, as `SlackPort` says: refused, out of reach, its connection broken, or no answer in time."""
    log.warning("%s", f"Slack {method}: no answer in time" if isinstance(failure, TimeoutError) else failure)


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    """The seconds a 429's `Retry-After` asks for (slack_sdk keeps the header names as Slack's server sent them)."""
    values = [value for name, value in headers.items() if name.lower() == "retry-after"]
    return parse_retry_after(str(values[0])) if values else None


class WebApiSlackPort:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._workspace: str | None = None

    async def post_message(self, *, channel: str, message: Message, thread_ts: str | None = None) -> str:
        arguments = message.to_post(channel)
        if thread_ts is not None:
            arguments["thread_ts"] = thread_ts
        with _refusals("chat.postMessage"):
            response = await self._client.chat_postMessage(**arguments)
        return str(response["ts"])

    async def tell_linked(self, *, team_id: str, user_id: str, planetscale_name: str) -> None:
        await self.direct_message(user_id, linking.linked(planetscale_name))

    async def tell_link_stopped_working(self, *, team_id: str, user_id: str) -> None:
        await self.direct_message(user_id, linking.relink_needed())

    async def direct_message(self, user_id: str, message: Message) -> None:
        """`chat.postMessage` to the user id opens the app's DM with them."""
        with _refusals("chat.postMessage"):
            await self._client.chat_postMessage(**message.to_post(user_id))

    async def post_ephemeral(self, *, channel: str, user: str, message: Message) -> None:
        with _refusals("chat.postEphemeral"):
            await self._client.chat_postEphemeral(
                channel=channel, user=user, text=message.text, blocks=list(message.blocks) or None
            )

    async def ephemeral_or_direct(self, *, channel: str, user: str, message: Message) -> None:
        """Something only `user` sees: ephemerally in `channel`, or, where Slack takes no ephemeral message from the
        bot because it is not in the channel (`chat:write.public` does not stretch to them), in the app's direct
        message with them."""
        try:
            await self.post_ephemeral(channel=channel, user=user, message=message)
        except SlackRefused as refused:
            if refused.code not in ("not_in_channel", "channel_not_found"):
                raise
            await self.direct_message(user, message)

    async def update_message(self, *, channel: str, ts: str, message: Message) -> None:
        with _refusals("chat.update"):
            await self._client.chat_update(channel=channel, ts=ts, text=message.text, blocks=list(message.blocks))

    async def unfurl(self, *, channel: str, ts: str, url: str, message: Message) -> None:
        """Draw `message` as the unfurl of `url` in the message at (`channel`, `ts`); calling again redraws it."""
        with _refusals("chat.unfurl"):
            await self._client.chat_unfurl(channel=channel, ts=ts, unfurls={url: {"blocks": list(message.blocks)}})

    async def open_modal(self, *, trigger_id: str, view: dict[str, Any]) -> str:
        with _refusals("views.open"):
            response = await self._client.views_open(trigger_id=trigger_id, view=view)
        return str(response["view"]["id"])

    async def update_modal(self, *, view_id: str, view: dict[str, Any]) -> None:
        with _refusals("views.update"):
            await self._client.views_update(view_id=view_id, view=view)

    async def publish_home(self, *, user_id: str, view: dict[str, Any]) -> None:
        with _refusals("views.publish"):
            await self._client.views_publish(user_id=user_id, view=view)

    async def person(self, *, team_id: str, user_id: str) -> SlackPerson | None:
        """`users.info` (`users:read`; the profile email only with `users:read.email`), and the workspace's name from
        `auth.test` once: the bot token belongs to one workspace."""
        try:
            with _refusals("users.info"):
                user = (await self._client.users_info(user=user_id)).get("user") or {}
                if self._workspace is None:
                    self._workspace = str((await self._client.auth_test()).get("team") or team_id)
        except SLACK_CALL_FAILURES as failure:
            _not_answered("users.info", failure)
            return None
        profile = user.get("profile") or {}
        email = profile.get("email")
        return SlackPerson(
            name=str(profile.get("real_name") or user.get("real_name") or user.get("name") or user_id),
            email=str(email) if email else None,
            workspace=self._workspace,
        )

    async def user_time_zone(self, user_id: str) -> str | None:
        try:
            with _refusals("users.info"):
                response = await self._client.users_info(user=user_id)
        except SLACK_CALL_FAILURES as failure:
            _not_answered("users.info", failure)
            return None
        tz = (response.get("user") or {}).get("tz")
        return str(tz) if tz else None
