"""`deploy-request create` with no arguments: a form whose database and branch menus load from PlanetScale (the same
pickers as the branch form), submitted as the typed command would be."""

from __future__ import annotations

import json
from typing import Any

from bot.render.forms import (
    DR_AUTO_APPLY_CHOICE,
    DR_BRANCH_PICKER,
    DR_DATABASE_PICKER,
    DR_INTO_PICKER,
    DR_NOTES_INPUT,
)
from bot.sandbox.planetscale import paths
from bot.sandbox.planetscale.world import DeployRequest, World
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.forms import choose_database, open_form, options_offered, picked, submit, typed
from tests.support.replies import ALICE, reply


async def _open_form(bot: RunningBot, slack: SlackStandIn) -> dict[str, Any]:
    """`/pscale dr create`; returns the form as Slack shows it once the bot has filled in the org."""
    return await open_form(bot, slack, text="dr create", callback_id="dr_create")


def _elements(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each input block's element, by block id."""
    return {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}


def _state(database: str, branch: str, *, into: str | None = None, notes: str | None = None,
           auto_apply: str = "inherit") -> dict[str, Any]:
    """The form's state as a submission carries it (Slack sends a menu left empty as `selected_option: null`)."""
    radio = {"type": "radio_buttons",
             "selected_option": {"text": {"type": "plain_text", "text": auto_apply}, "value": auto_apply}}
    values: dict[str, Any] = {
        "database": picked(DR_DATABASE_PICKER, database),
        "branch": picked(DR_BRANCH_PICKER, branch),
        "into": {DR_INTO_PICKER: {"type": "external_select", "selected_option": None}},
        "notes": typed(DR_NOTES_INPUT, notes),
        "auto-apply": {DR_AUTO_APPLY_CHOICE: radio},
    }
    if into is not None:
        values["into"] = picked(DR_INTO_PICKER, into)
    return values


def _seeded(bot: RunningBot) -> tuple[World, str]:
    """The seeded PlanetScale world and Alice's user id in it."""
    assert bot.planetscale is not None
    assert bot.planetscale.demo is not None
    return bot.planetscale.world, bot.planetscale.demo.admin.id


def _opened(bot: RunningBot, branch: str) -> list[DeployRequest]:
    """The deploy requests of `branch` in acme/shop, as PlanetScale has them."""
    world, alice = _seeded(bot)
    return [request for request in world.database_for(alice, "acme", "shop").deploy_requests.values()
            if request.branch == branch]


async def test_the_form_offers_databases_then_their_branches_and_opens_the_deploy_request(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    world, alice = _seeded(demo_bot)
    world.create_branch("acme", "shop", name="add-fulltext", actor_id=alice, parent_branch="main")
    view = await _open_form(demo_bot, slack_standin)
    elements = _elements(view)
    assert elements["database"]["type"] == "external_select"
    assert "initial_option" not in elements["database"]  # this channel has no default database
    assert "branch" not in elements  # no branch menus before there is a database to list branches of
    assert elements["notes"]["multiline"] is True
    assert elements["auto-apply"]["initial_option"]["value"] == "inherit"

    # The form was filled in with Alice's only org right after it opened, so each options request is one read.
    organizations = len(demo_bot.planetscale.calls("GET", paths.ORGANIZATIONS))
    databases = len(demo_bot.planetscale.calls("GET", paths.DATABASES))
    assert sorted(options_offered(demo_bot, view, action_id=DR_DATABASE_PICKER, typed="")) == ["analytics", "shop"]
    assert options_offered(demo_bot, view, action_id=DR_DATABASE_PICKER, typed="sh") == ["shop"]
    assert len(demo_bot.planetscale.calls("GET", paths.ORGANIZATIONS)) == organizations
    assert len(demo_bot.planetscale.calls("GET", paths.DATABASES)) == databases + 2

    # Choosing a database, then another: the branch menus offer the branches of the one chosen last.
    view = await choose_database(demo_bot, slack_standin, view, "analytics", action_id=DR_DATABASE_PICKER)
    assert {"branch", "into"} <= set(_elements(view))
    assert "events-rollup" in options_offered(demo_bot, view, action_id=DR_BRANCH_PICKER, typed="")
    view = await choose_database(demo_bot, slack_standin, view, "shop", action_id=DR_DATABASE_PICKER)
    offered = options_offered(demo_bot, view, action_id=DR_BRANCH_PICKER, typed="")
    assert {"add-fulltext", "main"} <= set(offered)
    assert "events-rollup" not in offered
    assert options_offered(demo_bot, view, action_id=DR_BRANCH_PICKER, typed="fulltext") == ["add-fulltext"]
    assert "main" in options_offered(demo_bot, view, action_id=DR_INTO_PICKER, typed="")

    since = len(slack_standin.calls)
    notes = 'Adds “a full-text” index on <orders> & "users" — see --notes'
    state = _state("shop", "add-fulltext", into="main", notes=notes, auto_apply="disable-auto-apply")
    assert submit(demo_bot, view, state) is None  # accepted: the form closes
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert told.args["user"] == ALICE.user_id
    assert "Opened and posted in this channel `shop`" in told.args["text"]
    assert "(`add-fulltext` → `main`)" in told.args["text"]
    [opened] = _opened(demo_bot, "add-fulltext")
    assert (opened.into_branch, opened.state) == ("main", "open")
    assert opened.notes == notes  # as written: no quoting or Slack markup rules apply to a form's field
    sent = json.loads(demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS)[-1].request_body)
    assert sent["auto_cutover"] is False  # gated, as chosen


async def test_the_channels_database_is_chosen_already_and_into_defaults_to_the_parent(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    world, alice = _seeded(demo_bot)
    with world.lock:
        staging = world.create_branch("acme", "shop", name="staging", actor_id=alice)
        staging.safe_migrations = True  # PlanetScale deploys only into branches with safe migrations
        world.create_branch("acme", "shop", name="add-column", actor_id=alice, parent_branch="staging")
    await reply(demo_bot, "channel db shop")
    view = await _open_form(demo_bot, slack_standin)
    elements = _elements(view)
    assert elements["database"]["initial_option"]["value"] == "shop"
    assert "add-column" in options_offered(demo_bot, view, action_id=DR_BRANCH_PICKER, typed="")

    since = len(slack_standin.calls)
    assert submit(demo_bot, view, _state("shop", "add-column")) is None
    told = await slack_standin.wait_call("chat.postEphemeral", since=since, timeout=10)
    assert "(`add-column` → `staging`)" in told.args["text"]  # no "into": the branch's parent
    [opened] = _opened(demo_bot, "add-column")
    assert (opened.into_branch, opened.notes) == ("staging", "")
    sent = json.loads(demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS)[-1].request_body)
    assert "auto_cutover" not in sent  # "PlanetScale's default": no flag, no field


async def test_deploying_a_branch_into_itself_is_shown_beside_into(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    assert demo_bot.planetscale is not None
    view = await _open_form(demo_bot, slack_standin)
    posts = len(demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS))
    answer = submit(demo_bot, view, _state("shop", "add-orders-index", into="add-orders-index"))
    assert answer is not None
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["into"]
    # Submitted before the branch menus were drawn: the error goes beside a field the form has.
    no_branch = {name: entry for name, entry in _state("shop", "x").items() if name not in ("branch", "into")}
    answer = submit(demo_bot, view, no_branch)
    assert answer is not None
    assert list(answer["errors"]) == ["database"]
    assert len(demo_bot.planetscale.calls("POST", paths.DEPLOY_REQUESTS)) == posts


async def test_a_name_the_grammar_refuses_is_shown_beside_its_field(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    view = await _open_form(demo_bot, slack_standin)
    for state, field in [(_state("shop", "has space/slash"), "branch"), (_state("shop", "a", into="bad name"), "into")]:
        answer = submit(demo_bot, view, state)
        assert answer is not None
        assert answer["response_action"] == "errors"
        assert list(answer["errors"]) == [field]
        assert "not a valid branch name" in answer["errors"][field]
