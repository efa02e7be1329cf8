"""`branch create` with no arguments: a form whose pickers load from PlanetScale, submitted as the typed command."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from bot.render.forms import BRANCH_DATABASE_PICKER, BRANCH_NAME_INPUT, BRANCH_PARENT_PICKER, DR_DATABASE_PICKER
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.forms import choose_database, open_form, options_offered, pick_database, picked, submit, typed
from tests.support.replies import ALICE, everything, reply, tracebacks, validate_view
from tests.support.slack import WebApiHost, slash_command
from tests.support.webhooks import until


def _state(database: str, branch: str, parent: str | None = None) -> dict[str, Any]:
    values = {"database": picked(BRANCH_DATABASE_PICKER, database), "branch": typed(BRANCH_NAME_INPUT, branch)}
    if parent is not None:
        values["from"] = picked(BRANCH_PARENT_PICKER, parent)
    return values


async def test_the_form_offers_databases_then_their_branches_and_creates_the_branch(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    view = await open_form(demo_bot, slack_standin, text="branch create", callback_id="branch_create")
    assert "from" not in [block.get("block_id") for block in view["blocks"]]  # no parent picker before a database
    before = len(demo_bot.planetscale.calls("GET", paths.DATABASES))
    assert sorted(options_offered(demo_bot, view, action_id=BRANCH_DATABASE_PICKER, typed="")) == ["analytics", "shop"]
    assert options_offered(demo_bot, view, action_id=BRANCH_DATABASE_PICKER, typed="sh") == ["shop"]
    assert len(demo_bot.planetscale.calls("GET", paths.DATABASES)) == before + 2  # one read per options request

    view = await choose_database(demo_bot, slack_standin, view, "shop", action_id=BRANCH_DATABASE_PICKER)
    assert "from" in [block.get("block_id") for block in view["blocks"]]
    assert "main" in options_offered(demo_bot, view, action_id=BRANCH_PARENT_PICKER, typed="")

    since = len(slack_standin.calls)
    assert submit(demo_bot, view, _state("shop", "from-the-form", parent="main")) is None  # the form closes
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert told.args["user"] == ALICE.user_id
    assert "Created branch `from-the-form` of `shop` from `main`" in told.args["text"]
    created = demo_bot.planetscale.calls("POST", paths.BRANCHES)
    assert json.loads(created[-1].request_body) == {"name": "from-the-form", "parent_branch": "main"}
    # Audited as the typed command is.
    audit = everything(await reply(demo_bot, "audit shop"))
    assert f"<@{ALICE.user_id}> `branch create` branch `from-the-form` of `shop` — :white_check_mark: ok" in audit


async def test_a_form_submitted_before_its_org_was_filled_in_finds_the_org(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    since = len(slack_standin.calls)
    url = slack_standin.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    request = slash_command(signing_secret=SIGNING_SECRET, text="branch create", response_url=url,
                            trigger_id=slack_standin.new_trigger_id(ALICE.user_id))
    assert demo_bot.post_events(request).status_code == 200
    opened = await slack_standin.wait_call("views.open", since=since)
    view: dict[str, Any] = opened.args["view"]
    validate_view(view)
    assert json.loads(view["private_metadata"])["org"] is None

    since = len(slack_standin.calls)
    assert submit(demo_bot, view, _state("shop", "from-a-form")) is None
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert "Created branch `from-a-form` of `shop`" in told.args["text"]
    assert demo_bot.planetscale is not None
    created = demo_bot.planetscale.calls("POST", paths.BRANCHES)
    assert [record.status for record in created] == [201]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("has space/slash", "names cannot contain `/`"),
        ('say "cheese"', "it contains a space"),
        ('quo"ted', 'it contains `"`'),  # a quote is refused, not dropped into a different name
        ("-leading", "names cannot start with `-`"),
    ],
)
async def test_a_bad_branch_name_is_shown_beside_its_field_and_nothing_is_created(
    demo_bot: RunningBot, slack_standin: SlackStandIn, name: str, problem: str
) -> None:
    assert demo_bot.planetscale is not None
    view = await open_form(demo_bot, slack_standin, text="branch create", callback_id="branch_create")
    answer = submit(demo_bot, view, _state("shop", name))
    assert answer is not None
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["branch"]
    assert problem in answer["errors"]["branch"]
    assert demo_bot.planetscale.calls("POST", paths.BRANCHES) == []


async def test_a_bad_parent_is_shown_beside_branch_off(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    view = await open_form(demo_bot, slack_standin, text="branch create", callback_id="branch_create")
    view = await choose_database(demo_bot, slack_standin, view, "shop", action_id=BRANCH_DATABASE_PICKER)
    answer = submit(demo_bot, view, _state("shop", "fine", parent="not/fine"))
    assert answer is not None
    assert list(answer["errors"]) == ["from"]
    assert "not a valid branch name" in answer["errors"]["from"]


async def test_the_options_are_read_with_the_grant_of_the_workspace_the_form_is_in(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    """A person from another workspace of the org (Enterprise Grid, Slack Connect) has a different home team in
    `user.team_id`; their grant was made under the workspace they typed `/pscale` in, which is the payload's
    `team`, so that is where it is looked up, as for their typed commands and clicks."""
    view = await open_form(demo_bot, slack_standin, text="branch create", callback_id="branch_create")
    elsewhere = {**ALICE.user, "team_id": "T0ELSEWHERE"}
    offered = options_offered(demo_bot, view, action_id=BRANCH_DATABASE_PICKER, typed="", user=elsewhere)
    assert sorted(offered) == ["analytics", "shop"]


@pytest.mark.parametrize(
    ("text", "callback_id", "picker"),
    [("branch create", "branch_create", BRANCH_DATABASE_PICKER), ("dr create", "dr_create", DR_DATABASE_PICKER)],
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


@pytest.mark.parametrize("slack", ["out of reach", "answer lost"])
async def test_a_redraw_slack_could_not_take_or_did_not_confirm_is_one_log_line(
    apart_bot: RunningBot, slack_standin: SlackStandIn, web_api_host: WebApiHost, slack: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Choosing a database redraws the form; with Slack's Web API out of reach, or its answer to `views.update`
    lost, that is one warning line, where only Slack's refusals had been (the rest ended as "background task form
    redraw failed" with a traceback). The form stays as it was drawn, and choosing again redraws it."""
    caplog.set_level(logging.INFO)
    view = await open_form(apart_bot, slack_standin, text="branch create", callback_id="branch_create")
    if slack == "out of reach":
        with web_api_host.unreachable():
            pick_database(apart_bot, view, "shop", action_id=BRANCH_DATABASE_PICKER)
            await until(lambda: "could not redraw form" in caplog.text, timeout=10)
    else:
        slack_standin.drop_answer("views.update")
        pick_database(apart_bot, view, "shop", action_id=BRANCH_DATABASE_PICKER)
        await until(lambda: "could not redraw form" in caplog.text, timeout=10)
        assert "it may have been done" in caplog.text
    assert tracebacks(caplog) == []
    view = await choose_database(apart_bot, slack_standin, view, "shop", action_id=BRANCH_DATABASE_PICKER)
    assert "from" in [block.get("block_id") for block in view["blocks"]]
