"""The Web API adapter behind `SlackPort` and `UserNotifier`, against the Slack stand-in over real HTTP: Slack's
refusals come out as our own `SlackRefused`, and linking's notices arrive as DMs worded by the transport."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_SLACK_API_TIMEOUT
from bot.ports import SlackRefused
from bot.render.message import Message
from bot.sandbox.slack import SlackChannel, SlackStandIn
from bot.slack.app import build_web_client
from bot.slack.port import WebApiSlackPort
from tests.support.replies import tracebacks
from tests.support.slack import ALICE, GENERAL, MANIFEST_SCOPES


def port(standin: SlackStandIn) -> WebApiSlackPort:
    return WebApiSlackPort(
        build_web_client(token=standin.bot_token, base_url=standin.api_url, timeout=DEFAULT_SLACK_API_TIMEOUT)
    )


async def test_a_refusal_is_a_slack_refused_with_slacks_code(slack_standin: SlackStandIn) -> None:
    slack = port(slack_standin)
    with pytest.raises(SlackRefused) as refused:
        await slack.update_message(channel=GENERAL.id, ts="1.000001", message=Message(text="gone"))
    assert (refused.value.method, refused.value.code) == ("chat.update", "message_not_found")
    assert str(refused.value) == "Slack chat.update: message_not_found"


async def test_a_rate_limit_that_outlasts_the_retries_is_refused_as_ratelimited(slack_standin: SlackStandIn) -> None:
    slack_standin.rate_limit("chat.postMessage", retry_after=0, times=5)
    with pytest.raises(SlackRefused) as refused:
        await port(slack_standin).post_message(channel=GENERAL.id, message=Message(text="hi"))
    assert refused.value.code == "ratelimited"


@pytest.mark.parametrize(("code", "status", "final"), [
    ("account_inactive", 200, True),
    ("account_inactive", None, True),  # built with no answer's status: Slack's code alone decides
    ("ratelimited", 429, False),
    ("internal_error", 200, False),
    ("unknown", 403, False),  # no code of Slack's: a proxy's error page, say
    ("channel_not_found", 503, False),  # a 5xx is an outage, whatever its body says
])
def test_a_refusal_is_final_only_when_slack_itself_refused_the_call_as_made(
    code: str, status: int | None, final: bool
) -> None:
    assert SlackRefused("chat.update", code, status=status).final is final


async def test_linking_notices_are_direct_messages_in_the_transports_words(slack_standin: SlackStandIn) -> None:
    slack = port(slack_standin)
    await slack.tell_linked(team_id=slack_standin.team_id, user_id=ALICE.id, planetscale_name="Alice <Admin>")
    await slack.tell_link_stopped_working(team_id=slack_standin.team_id, user_id=ALICE.id)

    linked, stopped = slack_standin.messages("D" + ALICE.id.removeprefix("U"))
    assert "Linked as Alice &lt;Admin&gt; on PlanetScale" in linked.text
    assert "stopped working" in stopped.text
    assert "/pscale login" in stopped.text


async def test_a_missing_scope_names_the_scope_slack_wants(slack_standin: SlackStandIn) -> None:
    slack_standin.scopes = MANIFEST_SCOPES - {"chat:write"}
    with pytest.raises(SlackRefused) as refused:
        await port(slack_standin).post_message(channel=GENERAL.id, message=Message(text="hi"))
    assert (refused.value.code, refused.value.needed) == ("missing_scope", "chat:write")


async def test_something_private_goes_by_direct_message_where_slack_takes_no_ephemeral_message(
    slack_standin: SlackStandIn,
) -> None:
    slack_standin.add_channel(SlackChannel(id="C0RANDOM001", name="random", bot_is_member=False, members={ALICE.id}))
    slack = port(slack_standin)
    await slack.ephemeral_or_direct(channel=GENERAL.id, user=ALICE.id, message=Message(text="in the channel"))
    await slack.ephemeral_or_direct(channel="C0RANDOM001", user=ALICE.id, message=Message(text="in private"))
    assert [m.text for m in slack_standin.messages(GENERAL.id, viewer=ALICE.id)] == ["in the channel"]
    assert [m.text for m in slack_standin.messages("D" + ALICE.id.removeprefix("U"))] == ["in private"]
    assert slack_standin.messages("C0RANDOM001", viewer=ALICE.id) == []


@pytest.mark.parametrize("answer", ["refused", "lost"])
async def test_a_question_slack_does_not_answer_is_answered_without_it_in_one_line(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    """`person` and `user_time_zone` answer None where Slack refuses (an unknown user) or its answer is lost: one
    warning each, naming the call, and no traceback."""
    slack = port(slack_standin)
    user_id = "U0NOBODY001" if answer == "refused" else ALICE.id
    if answer == "lost":
        # Each question's request is sent a second time after a reset (a GET, which the HTTP client may repeat; a
        # read, so harmless): both are lost.
        slack_standin.drop_answer("users.info", times=4)
    assert await slack.person(team_id=slack_standin.team_id, user_id=user_id) is None
    assert await slack.user_time_zone(user_id) is None
    warnings = [record for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 2, [record.getMessage() for record in warnings]
    assert all("users.info" in record.getMessage() for record in warnings)
    assert tracebacks(caplog) == []
