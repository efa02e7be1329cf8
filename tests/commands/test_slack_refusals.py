"""When Slack refuses what a command needs, the person is told plainly what happened and what to do (never
"something went wrong"): a missing scope, Slack's rate limit, a form that could not open in time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import ALICE, everything, reply
from tests.support.slack import MANIFEST_SCOPES, populated_standin, serve_slack_standin, slash_command

NOW = [1_767_607_200.0]


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    """A stand-in on a clock the test moves, for the 3 seconds a trigger_id lives."""
    with serve_slack_standin(populated_standin(clock=lambda: NOW[0])) as standin:
        yield standin


def plain(text: str) -> None:
    assert "went wrong" not in text.lower()
    assert "Traceback" not in text


async def test_a_missing_scope_is_named_with_who_can_add_it(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    slack_standin.scopes = MANIFEST_SCOPES - {"chat:write"}
    said = everything(await reply(demo_bot, "dr post shop 1"))
    assert "lacks the `chat:write` scope" in said
    assert "Slack admin" in said
    assert "reinstall" in said
    plain(said)


async def test_slacks_rate_limit_says_to_wait(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    slack_standin.rate_limit("chat.postMessage", retry_after=0, times=3)  # outlasts the bot's two retries
    said = everything(await reply(demo_bot, "dr post shop 1"))
    assert "Slack is limiting how fast I may do that" in said
    assert "Wait a minute, then try again" in said
    plain(said)


async def test_a_form_that_could_not_open_in_time_says_to_run_the_command_again(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    since = len(slack_standin.response_posts)
    trigger = slack_standin.new_trigger_id(ALICE.user_id)
    NOW[0] += 4  # Slack lets a trigger_id open a form within 3 s
    url = slack_standin.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    request = slash_command(signing_secret=SIGNING_SECRET, text="branch create", response_url=url, trigger_id=trigger)
    assert demo_bot.post_events(request).status_code == 200
    told = await slack_standin.wait_response(since=since, timeout=10)
    said = str(told.body.get("text"))
    assert "Slack allows 3 seconds" in said
    assert "try again" in said
    plain(said)
