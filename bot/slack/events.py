"""Events API listeners.

Every event gets a 2xx: Slack retries failed deliveries and disables an app's subscriptions when more than 5% of
deliveries fail within an hour, so an event we have no use for is acknowledged and dropped, never answered 404.
The work an event causes runs after the ack, once per `event_id` (Slack retries a delivery up to three times).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from typing import Any, Literal, Protocol

from slack_bolt.async_app import AsyncApp

from bot.storage import IdempotencyKeys
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)


class ForgetsUsers(Protocol):
    async def forget_users(self, team_id: str, user_ids: Collection[str] | Literal["all"]) -> int: ...


class UnfurlsLinks(Protocol):
    async def unfurl(self, *, team_id: str, channel_id: str, message_ts: str, user_id: str, url: str) -> None: ...


def register_events(
    app: AsyncApp,
    *,
    accounts: ForgetsUsers,
    unfurls: UnfurlsLinks,
    idempotency_keys: IdempotencyKeys,
    tasks: TaskTracker,
) -> None:
    async def first_delivery(body: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        return not event_id or await idempotency_keys.claim_once(f"slack-event:{event_id}")

    async def forget(team_id: str, user_ids: Collection[str] | Literal["all"], why: str) -> None:
        removed = await accounts.forget_users(team_id, user_ids)
        log.info("%s: removed %d PlanetScale grant(s) in workspace %s", why, removed, team_id)

    @app.event("tokens_revoked")
    async def tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        user_ids = list((event.get("tokens") or {}).get("oauth") or [])
        if user_ids and await first_delivery(body):
            tasks.spawn(forget(str(body.get("team_id", "")), user_ids, "tokens_revoked"), name="tokens_revoked")

    @app.event("app_uninstalled")
    async def app_uninstalled(body: dict[str, Any]) -> None:
        if await first_delivery(body):
            tasks.spawn(forget(str(body.get("team_id", "")), "all", "app_uninstalled"), name="app_uninstalled")

    @app.event("user_change")
    async def user_change(body: dict[str, Any], event: dict[str, Any]) -> None:
        user = event.get("user") or {}
        if user.get("deleted") and user.get("id") and await first_delivery(body):
            team_id = str(user.get("team_id") or body.get("team_id", ""))
            tasks.spawn(forget(team_id, [str(user["id"])], "user deactivated"), name="user_change")

    @app.event("link_shared")
    async def link_shared(body: dict[str, Any], event: dict[str, Any]) -> None:
        # Links still being typed (source "composer") have no message whose unfurl a card could keep updating.
        if event.get("source") == "composer" or not event.get("message_ts") or not await first_delivery(body):
            return
        team_id = str(body.get("team_id", ""))
        for link in event.get("links") or []:
            tasks.spawn(
                unfurls.unfurl(
                    team_id=team_id, channel_id=str(event.get("channel", "")), message_ts=str(event["message_ts"]),
                    user_id=str(event.get("user", "")), url=str(link.get("url", "")),
                ),
                name="link_shared",
            )

    # Registered last, so the listeners above match first.
    @app.event(re.compile(".*"))
    async def ignore_other_events(event: dict[str, Any]) -> None:
        log.debug("ignoring event of type %s", event.get("type"))
