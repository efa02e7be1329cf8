"""Card buttons: ack at once, then act with the clicker's grant; what only the clicker should read goes back
through `response_url` with `replace_original: false`, so the card itself is never replaced by a reply."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.cards.service import CardService, Click
from bot.cards.states import OPEN_IN_PLANETSCALE, CardAction
from bot.render.message import Message
from bot.slack.actions import clicked_value, clicker
from bot.slack.commands import responder, run_followup
from bot.tasks import TaskTracker


def register_card_actions(app: AsyncApp, *, cards: CardService, tasks: TaskTracker) -> None:
    def click_of(action: CardAction, body: dict[str, Any]) -> Click:
        team_id, user_id = clicker(body)
        return Click(action=action, value=clicked_value(body), team_id=team_id, user_id=user_id)

    def listener(action: CardAction) -> None:
        @app.action(action.value)
        async def clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            click = click_of(action, body)
            trigger_id = str(body.get("trigger_id") or "")

            async def work() -> Message | None:
                if action is CardAction.DIFF:
                    return await cards.show_diff(click, trigger_id=trigger_id)
                return await cards.click(click)

            tasks.spawn(run_followup(work, responder(respond, replace_original=False)), name=f"card {action.value}")

    for action in CardAction:
        listener(action)

    @app.action(OPEN_IN_PLANETSCALE)
    async def opened(ack: AsyncAck) -> None:
        # A URL button still sends an action payload; unacknowledged, Slack shows the clicker an error.
        await ack()
