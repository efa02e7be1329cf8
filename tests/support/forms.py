"""Driving the create forms as Slack would: open one, ask a menu for its options, choose a database, submit.

Both forms (`branch create`, `deploy-request create`) share their pickers, so their tests share these steps.
"""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import ALICE, validate_view
from tests.support.slack import interaction, slash_command, view_submission


async def open_form(bot: RunningBot, slack: SlackStandIn, *, text: str, callback_id: str) -> dict[str, Any]:
    """`/pscale text` as Alice; returns the form as Slack shows it once the bot has filled in the org."""
    since = len(slack.calls)
    url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    request = slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=url,
                            trigger_id=slack.new_trigger_id(ALICE.user_id))
    assert bot.post_events(request).status_code == 200
    opened = await slack.wait_call("views.open", since=since)
    assert opened.response["ok"], opened.response
    validate_view(opened.args["view"])
    assert opened.args["view"]["callback_id"] == callback_id
    if json.loads(opened.args["view"]["private_metadata"])["org"] == "acme":
        # Her org is known already (a command before found it, and it became her default): the form opens with it.
        known: dict[str, Any] = opened.response["view"]
        return known
    # Alice has no default org yet: the form opens at once, then views.update fills in the one PlanetScale names.
    updated = await slack.wait_call("views.update", since=since)
    assert updated.response["ok"], updated.response
    validate_view(updated.args["view"])
    view: dict[str, Any] = updated.response["view"]
    assert json.loads(view["private_metadata"])["org"] == "acme"
    return view


def options_offered(
    bot: RunningBot, view: dict[str, Any], *, action_id: str, typed: str, user: dict[str, Any] | None = None
) -> list[str]:
    """The values a menu of `view` offers when the person has typed `typed` (an options request, signed); `user`
    replaces Alice's `user` object in the payload."""
    payload = {
        "type": "block_suggestion", "user": user or ALICE.user, "team": ALICE.team, "api_app_id": ALICE.api_app_id,
        "action_id": action_id, "block_id": "x", "value": typed, "view": view, "container": {"type": "view"},
    }
    answer = bot.post_events(interaction(payload, signing_secret=SIGNING_SECRET))
    assert answer.status_code == 200
    return [option["value"] for option in answer.json()["options"]]


async def choose_database(
    bot: RunningBot, slack: SlackStandIn, view: dict[str, Any], name: str, *, action_id: str
) -> dict[str, Any]:
    """Pick `name` in the form's database menu; returns the form as Slack shows it once the bot has redrawn it."""
    since = len(slack.calls)
    pick_database(bot, view, name, action_id=action_id)
    updated = await slack.wait_call("views.update", since=since)
    assert updated.response["ok"], updated.response
    validate_view(updated.args["view"])
    redrawn: dict[str, Any] = updated.response["view"]
    return redrawn


def pick_database(bot: RunningBot, view: dict[str, Any], name: str, *, action_id: str) -> None:
    """Alice picks `name` in the form's database menu (the click Slack sends); the bot redraws the form after."""
    payload = {
        "type": "block_actions", "user": ALICE.user, "team": ALICE.team, "api_app_id": ALICE.api_app_id,
        "container": {"type": "view", "view_id": view["id"]}, "view": view, "trigger_id": "1.2.3",
        "actions": [{"type": "external_select", "action_id": action_id, "block_id": "database",
                     "selected_option": _option(name), "action_ts": "1.2"}],
    }
    assert bot.post_events(interaction(payload, signing_secret=SIGNING_SECRET)).status_code == 200


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def picked(action_id: str, value: str) -> dict[str, Any]:
    """A block's state once `value` was chosen in its menu (`action_id`), as a view submission carries it."""
    return {action_id: {"type": "external_select", "selected_option": _option(value)}}


def typed(action_id: str, value: str | None) -> dict[str, Any]:
    """A text input block's state as a view submission carries it (`None`: left empty)."""
    return {action_id: {"type": "plain_text_input", "value": value}}


def submit(bot: RunningBot, view: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    """The submission's ack: its JSON (e.g. field errors), or None when it closes the form."""
    answer = bot.post_events(view_submission(signing_secret=SIGNING_SECRET, view=view, state_values=state))
    assert answer.status_code == 200
    body: dict[str, Any] | None = answer.json() if answer.content else None
    return body
