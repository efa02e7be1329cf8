"""The command framework end to end: link prompt, whoami, logout, confirmations, audit — over real HTTP."""

from __future__ import annotations

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.slack import BOB_ACTOR, Actor

CAROL = Actor(user_id="U0CAROL0001", user_name="carol")


async def test_an_unlinked_user_gets_only_the_link_prompt(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    calls_before = len(demo_bot.planetscale.calls())
    body = demo_bot.command("whoami", actor=CAROL).json()
    assert body["response_type"] == "ephemeral"
    buttons = [element for block in body["blocks"] for element in block.get("elements", [])]
    assert any(button.get("action_id") == "link_account" for button in buttons)
    assert len(demo_bot.planetscale.calls()) == calls_before  # nothing else happened


async def test_linking_tells_the_user_in_a_direct_message(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    direct = slack_standin.messages("D" + BOB_ACTOR.user_id.removeprefix("U"))
    assert any("Linked as Bob Builder" in message.text for message in direct)


async def test_whoami_shows_the_linked_planetscale_user(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    since = len(slack_standin.response_posts)
    assert demo_bot.command("whoami").status_code == 200
    reply = await slack_standin.wait_response(since=since)
    assert "Alice Admin" in reply.body["text"] + str(reply.body.get("blocks"))
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"


async def test_logout_then_commands_prompt_to_link(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    since = len(slack_standin.response_posts)
    demo_bot.command("logout", actor=BOB_ACTOR)
    reply = await slack_standin.wait_response(since=since)
    assert "Bob" in reply.body["text"]
    assert not await demo_bot.call(demo_bot.runtime.linking.has_active_grant(BOB_ACTOR.team_id, BOB_ACTOR.user_id))
    body = demo_bot.command("whoami", actor=BOB_ACTOR).json()
    assert "link" in body["text"].lower()
