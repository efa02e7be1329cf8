"""Card buttons: ack at once, then act with the clicker's grant; what only the clicker should read goes back
through `response_url` with `replace_original: false`, so the card itself is never replaced by a reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.cards.service import CardService, Click
from bot.deploy_requests.actions import Action
from bot.render import card as render
from bot.render.message import Message
from bot.slack.actions import clicked_value
from bot.slack.commands import run_followup
from bot.slack.replies import ResponseUrlReplies
from bot.slack.sender import sender
from bot.tasks import TaskTracker

# What a click does once acked: the click and its trigger id in, the clicker's private reply (if any) out.
_Work = Callable[[Click, str], Awaitable[Message | None]]


def register_card_actions(
    app: AsyncApp, *, cards: CardService, replies: ResponseUrlReplies, tasks: TaskTracker
) -> None:
    def listener(action_id: str, work: _Work) -> None:
        @app.action(action_id)
        async def clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            team_id, user_id = sender(body)
            click = Click(value=clicked_value(body), team_id=team_id, user_id=user_id)
            trigger_id = str(body.get("trigger_id") or "")

            async def followup() -> Message | None:
                return await work(click, trigger_id)

            tasks.spawn(run_followup(followup, replies.to(respond.response_url, replace_original=False)),
                        name=f"card {action_id}")

    def acting(action: Action) -> _Work:
        async def act(click: Click, _trigger_id: str) -> Message | None:
            return await cards.click(click, action)

        return act

    async def show_diff(click: Click, trigger_id: str) -> Message | None:
        return await cards.show_diff(click, trigger_id=trigger_id)

    async def refresh(click: Click, _trigger_id: str) -> Message | None:
        return await cards.refresh_clicked(click)

    for action, action_id in render.ACTION_IDS.items():
        listener(action_id, acting(action))
    listener(render.DIFF_ID, show_diff)
    listener(render.REFRESH_ID, refresh)

    @app.action(render.OPEN_IN_PLANETSCALE_ID)
    async def opened(ack: AsyncAck) -> None:
        # A URL button still sends an action payload; unacknowledged, Slack shows the clicker an error.
        await ack()
