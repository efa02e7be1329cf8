"""The App Home tab: published when someone opens it (`app_home_opened`), after the ack, with their own grant; and
its toggle of direct messages about one's own deploy requests."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.home.service import HomeService
from bot.render.home import NOTIFY_MINE_ACTION
from bot.slack.actions import clicked_value
from bot.slack.sender import sender
from bot.tasks import TaskTracker


def register_home(app: AsyncApp, *, home: HomeService, tasks: TaskTracker) -> None:
    @app.event("app_home_opened")
    async def opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        # The same event comes for the Messages tab, which the bot does not draw.
        if event.get("tab") != "home" or not event.get("user"):
            return
        team_id = str(body.get("team_id", ""))
        tasks.spawn(home.publish(team_id, str(event["user"])), name="app home")

    @app.action(NOTIFY_MINE_ACTION)
    async def toggled(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        team_id, user_id = sender(body)
        tasks.spawn(home.set_mine(team_id, user_id, on=clicked_value(body) == "on"), name="app home toggle")
