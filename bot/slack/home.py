"""The App Home tab: published when someone opens it (`app_home_opened`), after the ack, with their own grant; its
toggle of direct messages about one's own deploy requests; and the Remove buttons of one's digests and watches."""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.commands.dispatch import Accepted
from bot.commands.removals import HomeRemovals
from bot.home.service import HomeService
from bot.render.home import DIGEST_REMOVE_ACTION, NOTIFY_MINE_ACTION, WATCH_REMOVE_ACTION
from bot.render.message import Message
from bot.slack.actions import clicked_value
from bot.slack.commands import run_followup
from bot.slack.routes import InteractionRoutes
from bot.slack.sender import sender
from bot.tasks import TaskTracker


class Removal(Protocol):
    async def __call__(self, *, team_id: str, user_id: str, value: str) -> Accepted: ...


def register_home(
    app: AsyncApp, routes: InteractionRoutes, *, home: HomeService, removals: HomeRemovals, tasks: TaskTracker
) -> None:
    @app.event("app_home_opened")
    async def opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        # The same event comes for the Messages tab, which the bot does not draw.
        if event.get("tab") != "home" or not event.get("user"):
            return
        team_id = str(body.get("team_id", ""))
        tasks.spawn(home.publish(team_id, str(event["user"])), name="app home")

    @routes.block_action(NOTIFY_MINE_ACTION)
    async def toggled(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        team_id, user_id = sender(body)
        tasks.spawn(home.set_mine(team_id, user_id, on=clicked_value(body) == "on"), name="app home toggle")

    def removes(action_id: str, remove: Removal) -> None:
        async def clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
            await ack()
            team_id, user_id = sender(body)

            async def answer_on_home() -> None:
                """The command's answer (or the link prompt's words) on top of the Home, drawn again without what
                it removed."""

                async def publish(message: Message) -> None:
                    await home.publish(team_id, user_id, notice=message.text)

                accepted = await remove(team_id=team_id, user_id=user_id, value=clicked_value(body))
                if accepted.ack is not None:
                    await publish(accepted.ack)
                if accepted.followup is not None:
                    await run_followup(accepted.followup, publish, asked="click")

            tasks.spawn(answer_on_home(), name=f"app home {action_id}")

        routes.block_action(action_id)(clicked)

    removes(DIGEST_REMOVE_ACTION, removals.digest)
    removes(WATCH_REMOVE_ACTION, removals.watch)
