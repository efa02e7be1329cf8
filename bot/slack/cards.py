"""Card buttons: ack at once, then act with the clicker's grant; what only the clicker should read goes back
through `response_url` with `replace_original: false`, so the card itself is never replaced by a reply.

The same `action_id`s serve the buttons of deploy requests shown outside a card (App Home, direct messages), whose
`value` names the deploy request (bot/render/requests.py). Slack gives a click on a Home tab no `response_url`, so
its answer is shown on top of the Home, published again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.cards.service import CardService, Click
from bot.deploy_requests.actions import Action
from bot.home.service import HomeService
from bot.render import card as render
from bot.render.message import Message
from bot.render.requests import RequestRef
from bot.slack.actions import clicked_value
from bot.slack.commands import run_followup
from bot.slack.replies import ResponseUrlReplies
from bot.slack.routes import InteractionRoutes
from bot.slack.sender import sender
from bot.tasks import TaskTracker


@dataclass(frozen=True)
class _Where:
    """Where the button was: its trigger id (for a modal) and, outside cards, "App Home" or "direct message"."""

    trigger_id: str
    place: str


# What a click does once acked: the click and where it was in, the clicker's private reply (if any) out.
_Work = Callable[[Click, _Where], Awaitable[Message | None]]
# The same for a button that names a deploy request instead of a card.
_RequestWork = Callable[[Click, RequestRef, _Where], Awaitable[Message | None]]


def register_card_actions(
    routes: InteractionRoutes, *, cards: CardService, home: HomeService, replies: ResponseUrlReplies, tasks: TaskTracker
) -> None:
    def listener(action_id: str, work: _Work, *, outside_cards: _RequestWork | None = None) -> None:
        @routes.block_action(action_id)
        async def clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            team_id, user_id = sender(body)
            click = Click(value=clicked_value(body), team_id=team_id, user_id=user_id, message=_clicked_message(body))
            on_home = (body.get("view") or {}).get("type") == "home"
            place = "App Home" if on_home else "direct message"
            where = _Where(trigger_id=str(body.get("trigger_id") or ""), place=place)
            ref = RequestRef.parse(click.value)

            async def followup() -> Message | None:
                if ref is not None and outside_cards is not None:
                    return await outside_cards(click, ref, where)
                return await work(click, where)

            if on_home:
                async def republish(message: Message) -> None:
                    home.forget(team_id, user_id)
                    await home.publish(team_id, user_id, notice=message.text)

                tasks.spawn(run_followup(followup, republish, asked="click"), name=f"home {action_id}")
            else:
                tasks.spawn(
                    run_followup(followup, replies.to(respond.response_url, replace_original=False), asked="click"),
                    name=f"card {action_id}",
                )

    def acting(action: Action) -> _Work:
        async def act(click: Click, _where: _Where) -> Message | None:
            return await cards.click(click, action)

        return act

    async def show_diff(click: Click, where: _Where) -> Message | None:
        return await cards.show_diff(click, trigger_id=where.trigger_id)

    async def show_request_diff(click: Click, ref: RequestRef, where: _Where) -> Message | None:
        return await cards.show_request_diff(click, ref, trigger_id=where.trigger_id)

    async def approve_request(click: Click, ref: RequestRef, where: _Where) -> Message | None:
        return await cards.approve_request(click, ref, where=where.place)

    async def refresh(click: Click, _where: _Where) -> Message | None:
        return await cards.refresh_clicked(click)

    for action, action_id in render.ACTION_IDS.items():
        listener(action_id, acting(action), outside_cards=approve_request if action is Action.APPROVE else None)
    listener(render.DIFF_ID, show_diff, outside_cards=show_request_diff)
    listener(render.REFRESH_ID, refresh)

    @routes.block_action(render.OPEN_IN_PLANETSCALE_ID)
    async def opened(ack: AsyncAck) -> None:
        # A URL button still sends an action payload; unacknowledged, Slack shows the clicker an error.
        await ack()


def _clicked_message(body: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, ts) of the message a button was clicked in; None for a Home tab, a modal or an ephemeral message,
    which are no card's own message."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    channel, ts = container.get("channel_id"), container.get("message_ts")
    return (str(channel), str(ts)) if channel and ts else None
