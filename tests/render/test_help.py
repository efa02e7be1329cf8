"""Help and usage-error messages: content, Block Kit validity and Slack's limits, for every command."""

from __future__ import annotations

import pytest

from bot.commands.catalog import CATALOG, CommandSpec
from bot.commands.grammar import Invocation, ParseFailure, parse
from bot.commands.help import help_view, usage_view
from bot.render.help import render_help, render_usage_error
from bot.render.message import Message
from bot.render.mrkdwn import escape
from tests.support.replies import assert_valid_slack_message


def block_texts(message: Message) -> str:
    texts: list[str] = []
    for block in message.blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []))
    return "\n".join(texts)


def test_overview_groups_every_command_by_area() -> None:
    message = render_help(help_view(()))
    assert_valid_slack_message(message)
    shown = block_texts(message)
    for area, _ in CATALOG.by_area():
        assert f"*{area.value}*" in shown
    for spec in CATALOG:
        for synopsis in spec.synopses():
            assert f"`/pscale {escape(synopsis)}`" in shown
    assert "`dr` = `deploy-request`" in shown


def test_group_help_lists_every_subcommand_with_usage_and_summary() -> None:
    message = render_help(help_view(("branch",)))
    assert_valid_slack_message(message)
    shown = block_texts(message)
    for spec in CATALOG.in_group("branch"):
        assert f"`/pscale {spec.synopses()[0]}`" in shown
        assert spec.summary in shown
    assert message.text.splitlines() == [line for spec in CATALOG.in_group("branch") for line in spec.usage_lines()]


def test_command_help_has_usage_flags_and_example() -> None:
    message = render_help(help_view(("branch", "create")))
    assert_valid_slack_message(message)
    shown = block_texts(message)
    assert "Usage: /pscale branch create DB BRANCH [--from PARENT]" in shown.splitlines()
    assert "`--from PARENT`" in shown
    assert "`--org ORG`" in shown
    assert "`/pscale branch create app add-index`" in shown
    assert "opens a form" in shown


def test_help_through_an_alias_is_the_same_help() -> None:
    parsed = parse("help dr")
    assert isinstance(parsed, Invocation)
    assert render_help(help_view(parsed.topic)) == render_help(help_view(("deploy-request",)))


def test_destructive_and_posting_commands_say_so() -> None:
    assert "confirm" in block_texts(render_help(help_view(("branch", "delete"))))
    assert "Posts in this channel" in block_texts(render_help(help_view(("watch",))))


def test_an_unresolved_topic_falls_back_to_the_overview() -> None:
    message = render_help(help_view(("nonsense", "<!channel>")))
    assert_valid_slack_message(message)
    assert "There is no command `nonsense &lt;!channel&gt;`" in block_texts(message)


@pytest.mark.parametrize("spec", list(CATALOG), ids=lambda spec: spec.key)
def test_help_for_every_command_renders(spec: CommandSpec) -> None:
    message = render_help(help_view(spec.words))
    assert_valid_slack_message(message)
    assert spec.usage_lines()[0] in message.text.splitlines()


@pytest.mark.parametrize("group", sorted({spec.group for spec in CATALOG}))
def test_help_for_every_group_renders(group: str) -> None:
    assert_valid_slack_message(render_help(help_view((group,))))


def test_parse_failure_message_shows_problem_and_usage() -> None:
    failure = parse("branch show app")
    assert isinstance(failure, ParseFailure)
    message = render_usage_error(usage_view(failure))
    assert_valid_slack_message(message)
    assert "missing BRANCH" in message.text
    assert "Usage: /pscale branch show DB BRANCH" in message.text.splitlines()
    assert "Usage: /pscale branch show DB BRANCH" in block_texts(message).splitlines()
    assert "`/pscale help branch show`" in block_texts(message)
    assert message.to_response()["response_type"] == "ephemeral"


def test_parse_failure_escapes_user_input() -> None:
    failure = parse("branch list app &lt;!channel&gt;")
    assert isinstance(failure, ParseFailure)
    message = render_usage_error(usage_view(failure))
    assert "<!channel>" not in message.text
    assert "<!channel>" not in block_texts(message)
    assert "&lt;!channel&gt;" in message.text


def test_unknown_command_failure_points_at_help() -> None:
    failure = parse("frobnicate")
    assert isinstance(failure, ParseFailure)
    message = render_usage_error(usage_view(failure))
    assert "`/pscale help` lists every command." in block_texts(message)


def test_a_typo_gets_the_suggestion_and_nothing_unrelated() -> None:
    failure = parse("brnach list")
    assert isinstance(failure, ParseFailure)
    message = render_usage_error(usage_view(failure))
    shown = block_texts(message)
    assert shown.count("Did you mean `branch list`?") == 1
    assert shown.count("`/pscale help` lists every command.") == 1
    assert "Usage:" not in shown
    assert "Usage:" not in message.text
