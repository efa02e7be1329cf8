"""The command set over real HTTP: the bot, the Slack stand-in and the spec-checked PlanetScale stand-in.

What holds for every command (confirmation, failures, a hung PlanetScale) and the deploy-request commands; the
resource commands (org, database, channel db, branch, password, audit) are in tests/commands_resources."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_sdk.models.blocks import Block

from bot.commands.catalog import CATALOG
from bot.commands.handlers import all_handlers
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from bot.storage import AuditLog
from tests.conftest import BOB_ACTOR
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import Actor, block_actions, button_action

ALICE = Actor()


async def _reply(bot: RunningBot, text: str, *, actor: Actor = ALICE, timeout: float = 10) -> dict[str, Any]:
    since = len(bot.slack.response_posts)
    ack = bot.command(text, actor=actor)
    assert ack.status_code == 200, ack.text
    post = await bot.slack.wait_response(since=since, timeout=timeout)
    body: dict[str, Any] = post.body
    for block in body.get("blocks", []):
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    return body


def _all_text(body: dict[str, Any]) -> str:
    return body.get("text", "") + str(body.get("blocks", ""))


def test_every_handler_is_a_command_of_the_catalog() -> None:
    keys = {spec.key for spec in CATALOG}
    registered = set(
        all_handlers(
            accounts=None, subscriptions=None, watches=None, cards=None, public_url="https://x"  # type: ignore[arg-type]
        )
    )
    assert registered <= keys, registered - keys


async def test_deploy_request_reads_and_the_queue(demo_bot: RunningBot) -> None:
    assert "add-orders-index" in _all_text(await _reply(demo_bot, "dr list shop"))
    assert "#1" in _all_text(await _reply(demo_bot, "dr show shop add-orders-index"))
    assert "no open deploy request for branch `no-such-branch`" in _all_text(
        await _reply(demo_bot, "dr deploy shop no-such-branch")
    )
    assert "queue" in _all_text(await _reply(demo_bot, "queue shop")).lower()


def test_wrong_input_gets_the_usage_in_the_ack(demo_bot: RunningBot) -> None:
    for text, usage in [
        ("branch show shop", "Usage: /pscale branch show"),
        ("branch show shop a b", "Usage: /pscale branch show"),
        ("dr show shop 0", "Usage: /pscale deploy-request show"),
        ("dr list shop --color red", "Usage: /pscale deploy-request list"),
    ]:
        body = demo_bot.command(text).json()
        assert body["response_type"] == "ephemeral"
        assert any(line.startswith(usage) for line in body["text"].splitlines()), (text, body["text"])


async def test_branch_delete_asks_first_runs_once_and_is_audited(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    await _reply(demo_bot, "branch create shop scratch")
    question = demo_bot.command("branch delete shop scratch").json()
    assert "can't be undone" in question["text"]
    confirm = next(
        element for block in question["blocks"] for element in block.get("elements", [])
        if element.get("action_id") == "cmd_confirm"
    )
    deletes_before = len(demo_bot.planetscale.calls("DELETE", paths.BRANCH))

    def click(actor: Actor) -> int:
        url = demo_bot.slack.new_response_url(channel=actor.channel_id, user=actor.user_id)
        request = block_actions(
            signing_secret=SIGNING_SECRET, actions=[button_action(confirm, block_id="confirm_command")],
            response_url=url, message_ts="1.000001", actor=actor, is_ephemeral=True,
        )
        return demo_bot.post_events(request).status_code

    since = len(demo_bot.slack.response_posts)
    assert click(BOB_ACTOR) == 200  # someone else: refused, nothing runs
    refusal = await demo_bot.slack.wait_response(since=since)
    assert "Only the person who asked" in refusal.body["text"]
    since = len(demo_bot.slack.response_posts)
    assert click(ALICE) == 200
    done = await demo_bot.slack.wait_response(since=since, where=lambda post: "Deleted" in post.body.get("text", ""))
    assert "scratch" in done.body["text"]
    since = len(demo_bot.slack.response_posts)
    assert click(ALICE) == 200  # the double click
    again = await demo_bot.slack.wait_response(since=since)
    assert "expired or was already answered" in again.body["text"]
    assert len(demo_bot.planetscale.calls("DELETE", paths.BRANCH)) == deletes_before + 1
    entries = AuditLog(demo_bot.runtime.database).recent(team_id=ALICE.team_id, organization="acme", database="shop")
    assert [(entry.action, entry.result) for entry in entries[:2]] == [("branch delete", "ok"), ("branch create", "ok")]
    assert entries[0].user_id == ALICE.user_id


async def test_planetscale_rules_come_back_in_its_words(demo_bot: RunningBot) -> None:
    # shop #2 was opened by Alice: she may not approve it herself.
    refused = _all_text(await _reply(demo_bot, "dr approve shop 2"))
    assert "PlanetScale refused" in refused
    assert "own" in refused
    # Carol's #1 needs an approval before it can deploy; Alice approves, then deploys it.
    approved = _all_text(await _reply(demo_bot, "dr review shop 1 --approve --comment lgtm"))
    assert "Approved" in approved
    deployed = _all_text(await _reply(demo_bot, "dr deploy shop 1"))
    assert "Queued for deployment" in deployed


async def test_deploy_request_create_posts_in_the_channel(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    assert demo_bot.planetscale is not None
    await _reply(demo_bot, "branch create shop add-column")
    reply = _all_text(await _reply(demo_bot, 'dr create shop add-column --notes "adds a column"'))
    assert "posted in this channel" in reply
    posted = [m for m in slack_standin.messages(ALICE.channel_id) if "add-column" in m.text and m.visible_to is None]
    assert len(posted) == 1


async def test_dr_diff_and_post(demo_bot: RunningBot, slack_standin: SlackStandIn) -> None:
    diff = _all_text(await _reply(demo_bot, "dr diff shop 1"))
    assert "orders" in diff
    assert "```" in diff
    assert "Posted" in _all_text(await _reply(demo_bot, "dr post shop 1"))
    in_channel = [message for message in slack_standin.messages(ALICE.channel_id) if message.visible_to is None]
    assert any("#1" in message.text for message in in_channel)


async def test_a_hung_planetscale_still_gets_a_final_reply_within_15_seconds(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.hang(method="GET", path=paths.BRANCHES, seconds=60)
    started = asyncio.get_running_loop().time()
    try:
        text = _all_text(await _reply(demo_bot, "branch list shop", timeout=16))
    finally:
        demo_bot.planetscale.world.faults.release()
    assert asyncio.get_running_loop().time() - started < 15
    assert "did not answer in time" in text
    assert "Nothing was changed" in text


async def test_a_failed_change_says_it_may_have_happened(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.error(method="POST", path=paths.BRANCHES, status=500, times=1)
    text = _all_text(await _reply(demo_bot, "branch create shop flaky"))
    assert "internal error (500)" in text
    assert "may or may not have happened" in text
    assert len(demo_bot.planetscale.calls("POST", paths.BRANCHES)) == 1  # a mutation is not retried after a 500
