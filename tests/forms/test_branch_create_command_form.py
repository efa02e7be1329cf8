"""`branch create` with no arguments opens a form; submitting it runs the command.

The forms' pickers are tested in test_branch_form.py and test_dr_form.py."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import Actor, slash_command, view_submission

ALICE = Actor()


async def _open(bot: RunningBot, slack: SlackStandIn, text: str) -> dict[str, Any]:
    since = len(slack.calls)
    url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    request = slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=url,
                            trigger_id=slack.new_trigger_id(ALICE.user_id))
    assert bot.post_events(request).status_code == 200
    opened = await slack.wait_call("views.open", since=since)
    assert opened.response["ok"], opened.response
    view: dict[str, Any] = opened.args["view"]
    View(**view).validate_json()
    return view


def _state(**values: str) -> dict[str, Any]:
    return {name: {"value": {"type": "plain_text_input", "value": value}} for name, value in values.items()}


async def test_branch_create_form_creates_the_branch(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    view = await _open(demo_bot, slack_standin, "branch create")
    assert view["callback_id"] == "branch_create"
    since = len(slack_standin.calls)
    submission = view_submission(signing_secret=SIGNING_SECRET, view=view,
                                 state_values=_state(database="shop", branch="from-a-form"))
    answer = demo_bot.post_events(submission)
    assert answer.status_code == 200
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert "from-a-form" in told.args["text"]
    assert demo_bot.planetscale is not None
    created = demo_bot.planetscale.calls("POST", paths.BRANCHES)
    assert [record.status for record in created] == [201]

