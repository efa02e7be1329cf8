"""Driving App Home and direct messages as Slack would: the `app_home_opened` event and clicks on the Home tab,
signed; what the bot published there and sent in each person's DM, read from the Slack stand-in."""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack.payloads import home_opened_event, view_block_actions_payload
from bot.sandbox.slack.workspace import JSON, StoredMessage, Workspace
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import validate_blocks
from tests.support.slack import Actor, event_callback, interaction


async def open_home(bot: RunningBot, actor: Actor, *, timeout: float = 15) -> JSON:
    """Open `actor`'s App Home and return the view the bot published for it (validated as Slack would)."""
    since = len(bot.slack.calls)
    response = bot.post_events(
        event_callback(signing_secret=SIGNING_SECRET, event=home_opened_event(user=actor.user_id))
    )
    assert response.status_code == 200, response.text
    call = await bot.slack.wait_call(
        "views.publish", where=lambda call: call.args.get("user_id") == actor.user_id, since=since, timeout=timeout
    )
    assert call.ok, call.response  # the stand-in checked it as Slack checks a Home view (100 blocks, lengths)
    return home_view(bot, actor)


def home_view(bot: RunningBot, actor: Actor) -> JSON:
    published = bot.slack.workspace.home(actor.user_id)
    assert published is not None, f"nothing published on {actor.user_id}'s Home"
    return published.view


def home_text(view: JSON) -> str:
    return str(view["blocks"])


def home_buttons(view: JSON, action_id: str) -> list[dict[str, Any]]:
    """The elements with `action_id`, in `actions` blocks or beside a section (its accessory)."""
    elements = [
        element for block in view["blocks"]
        for element in (block.get("elements") if block.get("type") == "actions" else [block.get("accessory")]) or []
        if element
    ]
    return [element for element in elements if element.get("action_id") == action_id]


def button_for(view: JSON, action_id: str, value_ends: str) -> dict[str, Any]:
    [button] = [button for button in home_buttons(view, action_id) if str(button.get("value")).endswith(value_ends)]
    return button


async def click_home(
    bot: RunningBot, actor: Actor, view: JSON, button: dict[str, Any], *, timeout: float = 15
) -> JSON:
    """Click `button` on `actor`'s Home tab; returns the Home the bot published again with its answer on top."""
    since = len(bot.slack.calls)
    action = {
        "type": "button", "action_id": button["action_id"], "block_id": "home", "value": button.get("value", ""),
        "text": button["text"], "action_ts": "1",
    }
    payload = view_block_actions_payload(
        actions=[action], view=view, state_values={}, actor=actor, trigger_id=bot.slack.new_trigger_id(actor.user_id)
    )
    response = bot.post_events(interaction(payload, signing_secret=SIGNING_SECRET))
    assert response.status_code == 200, response.text
    await bot.slack.wait_call(
        "views.publish", where=lambda call: call.args.get("user_id") == actor.user_id and call.ok, since=since,
        timeout=timeout,
    )
    return home_view(bot, actor)


def direct_messages(bot: RunningBot, user_id: str) -> list[StoredMessage]:
    """What the bot said in its DM with `user_id` (the app's Messages tab)."""
    return [m for m in bot.slack.messages(Workspace.direct_message_id(user_id)) if m.bot_id]


async def wait_direct_message(bot: RunningBot, user_id: str, contains: str, *, timeout: float = 15) -> StoredMessage:
    call = await bot.slack.wait_call(
        "chat.postMessage",
        where=lambda call: call.args.get("channel") == user_id and contains in str(call.args.get("text")),
        timeout=timeout,
    )
    validate_blocks(call.args.get("blocks") or [])
    return bot.slack.workspace.message(Workspace.direct_message_id(user_id), str(call.response["ts"]))
