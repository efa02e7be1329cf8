"""`branch create` with no arguments: a form whose pickers load from PlanetScale, submitted as the typed command."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.render.branches import DATABASE_PICKER, PARENT_PICKER
from bot.render.modals import DR_DATABASE_PICKER
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.forms import choose_database, open_form, options_offered, picked
from tests.support.slack import view_submission


def _state(database: str, branch: str, parent: str | None = None) -> dict[str, Any]:
    values = {"database": picked(DATABASE_PICKER, database),
              "branch": {"branch_create_name": {"type": "plain_text_input", "value": branch}}}
    if parent is not None:
        values["from"] = picked(PARENT_PICKER, parent)
    return values


async def test_the_form_offers_databases_then_their_branches_and_creates_the_branch(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    view = await open_form(demo_bot, slack_standin)
    assert "from" not in [block.get("block_id") for block in view["blocks"]]  # no parent picker before a database
    before = len(demo_bot.planetscale.calls("GET", paths.DATABASES))
    assert sorted(options_offered(demo_bot, view, action_id=DATABASE_PICKER, typed="")) == ["analytics", "shop"]
    assert options_offered(demo_bot, view, action_id=DATABASE_PICKER, typed="sh") == ["shop"]
    assert len(demo_bot.planetscale.calls("GET", paths.DATABASES)) == before + 2  # one read per options request

    view = await choose_database(demo_bot, slack_standin, view, "shop")
    assert "from" in [block.get("block_id") for block in view["blocks"]]
    assert "main" in options_offered(demo_bot, view, action_id=PARENT_PICKER, typed="")

    since = len(slack_standin.calls)
    submission = view_submission(signing_secret=SIGNING_SECRET, view=view,
                                 state_values=_state("shop", "from-the-form", parent="main"))
    answer = demo_bot.post_events(submission)
    assert answer.status_code == 200
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert "Created branch `from-the-form` of `shop` from `main`" in told.args["text"]
    created = demo_bot.planetscale.calls("POST", paths.BRANCHES)
    assert json.loads(created[-1].request_body) == {"name": "from-the-form", "parent_branch": "main"}


async def test_a_bad_branch_name_is_shown_beside_its_field(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    view = await open_form(demo_bot, slack_standin)
    submission = view_submission(signing_secret=SIGNING_SECRET, view=view,
                                 state_values=_state("shop", "has space/slash"))
    answer = demo_bot.post_events(submission).json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["branch"]


@pytest.mark.parametrize(
    ("text", "callback_id", "picker"),
    [("branch create", "branch_create", DATABASE_PICKER), ("dr create", "dr_create", DR_DATABASE_PICKER)],
)
async def test_a_slow_planetscale_yields_no_options_within_the_budget(
    demo_bot: RunningBot, slack_standin: SlackStandIn, text: str, callback_id: str, picker: str
) -> None:
    assert demo_bot.planetscale is not None
    view = await open_form(demo_bot, slack_standin, text=text, callback_id=callback_id)
    demo_bot.planetscale.world.faults.hang(method="GET", path=paths.DATABASES, seconds=10)
    started = time.monotonic()
    try:
        options = options_offered(demo_bot, view, action_id=picker, typed="")
    finally:
        demo_bot.planetscale.world.faults.release()
    assert options == []
    assert time.monotonic() - started < 2.5  # inside Slack's 3 s for the options ack
