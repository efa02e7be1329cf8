"""`branch list|show|create|delete` over real HTTP against both stand-ins."""

from __future__ import annotations

from bot.sandbox.planetscale import paths
from bot.storage import AuditLog
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import ALICE, confirmed, everything, planetscale_calls, reply, usage_error
from tests.support.slack import BOB_ACTOR, Actor, block_actions, button_action


def _give_analytics_1000_branches(bot: RunningBot) -> None:
    assert bot.planetscale is not None
    world, alice = bot.planetscale.world, bot.planetscale.demo
    assert alice is not None
    existing = len(world.database_for(alice.admin.id, "acme", "analytics").branches)
    world.add_many_branches("acme", "analytics", 1000 - existing)


def _listed(text: str) -> list[str]:
    """The branch lines of a list reply."""
    return [line for line in text.splitlines() if line.startswith("• ")]


async def test_a_1000_branch_database_is_listed_truthfully_in_one_request(demo_bot: RunningBot) -> None:
    _give_analytics_1000_branches(demo_bot)
    assert demo_bot.planetscale is not None
    before = planetscale_calls(demo_bot, "GET", paths.BRANCHES)
    body = await reply(demo_bot, "branch list analytics")
    assert body["response_type"] == "ephemeral"
    text = everything(body)
    assert "Showing 25 of 1,000 branches" in text
    assert "https://app.planetscale.com/acme/analytics/branches|See them all in PlanetScale" in text
    assert planetscale_calls(demo_bot, "GET", paths.BRANCHES) == before + 1
    assert "per_page=25" in demo_bot.planetscale.calls("GET", paths.BRANCHES)[-1].query
    assert "Next: `/pscale branch list analytics --page 2`" in text
    assert len(_listed(text)) == 25


async def test_a_1000_branch_database_is_read_one_page_at_a_time_on_request(demo_bot: RunningBot) -> None:
    _give_analytics_1000_branches(demo_bot)
    assert demo_bot.planetscale is not None
    first = _listed(everything(await reply(demo_bot, "branch list analytics")))
    before = planetscale_calls(demo_bot, "GET", paths.BRANCHES)
    second = everything(await reply(demo_bot, "b ls analytics --page 2 --org acme"))
    assert planetscale_calls(demo_bot, "GET", paths.BRANCHES) == before + 1
    assert "page=2&per_page=25" in demo_bot.planetscale.calls("GET", paths.BRANCHES)[-1].query
    assert "Showing branches 26–50 of 1,000, page 2." in second
    assert "Next: `/pscale branch list analytics --page 3 --org acme`" in second
    listed = _listed(second)
    assert len(listed) == 25
    assert not set(listed) & set(first)  # the next 25, oldest first as PlanetScale lists them
    last = everything(await reply(demo_bot, "branch list analytics --page 40"))
    assert "Showing branches 976–1,000 of 1,000, page 40." in last
    assert "Next:" not in last
    beyond = everything(await reply(demo_bot, "branch list analytics --page 41"))
    assert "Page 41 is past the end of the list: 1,000 branches make 40 pages of 25." in beyond
    assert "None on this page." in beyond


async def test_a_short_branch_list_is_all_there_with_no_pages(demo_bot: RunningBot) -> None:
    text = everything(await reply(demo_bot, "branch list shop"))
    listed = _listed(text)
    assert listed
    assert f"{len(listed)} branches." in text
    assert "Showing" not in text
    assert "Next:" not in text


async def test_branch_show_create_from_a_parent_and_delete(demo_bot: RunningBot) -> None:
    created = everything(await reply(demo_bot, "branch create shop feature-x"))
    assert "Created branch `feature-x` of `shop` from `main`" in created
    child = everything(await reply(demo_bot, "branch create shop feature-y --from feature-x"))
    assert "from `feature-x`" in child
    shown = everything(await reply(demo_bot, "branch show shop feature-y"))
    assert "*Parent:* `feature-x`" in shown
    before = planetscale_calls(demo_bot, "DELETE", paths.BRANCH)
    assert "Deleted branch `feature-y` of `shop`" in await confirmed(demo_bot, "branch rm shop feature-y")
    assert planetscale_calls(demo_bot, "DELETE", paths.BRANCH) == before + 1
    gone = everything(await reply(demo_bot, "branch show shop feature-y"))
    assert "found no branch `feature-y` of `shop`" in gone


async def test_branch_commands_name_an_unknown_database_and_the_scope(demo_bot: RunningBot) -> None:
    for text in ("branch list nosuchdb", "branch show nosuchdb main", "branch create nosuchdb dev"):
        answer = everything(await reply(demo_bot, text))
        assert "`nosuchdb`" in answer, text
        assert "organization:read_branches" in answer, text


def test_branch_wrong_input(demo_bot: RunningBot) -> None:
    usage_error(demo_bot, "branch list")
    usage_error(demo_bot, "branch list shop extra")
    assert "give a page number from 1 to 10,000" in usage_error(demo_bot, "branch list shop --page 0")
    usage_error(demo_bot, "branch list shop --page two")
    usage_error(demo_bot, "branch list shop --page 10001")
    usage_error(demo_bot, "branch show shop")
    usage_error(demo_bot, "branch create shop")  # some arguments: the usage, not the form
    usage_error(demo_bot, "branch create shop a b")
    usage_error(demo_bot, "branch create shop dev --from")
    usage_error(demo_bot, "branch delete shop")


async def test_branch_delete_asks_first_runs_once_and_is_audited(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    await reply(demo_bot, "branch create shop scratch")
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
    entries = await demo_bot.call(
        AuditLog(demo_bot.runtime.database).recent(team_id=ALICE.team_id, organization="acme", database="shop")
    )
    assert [(entry.action, entry.result) for entry in entries[:2]] == [("branch delete", "ok"), ("branch create", "ok")]
    assert entries[0].user_id == ALICE.user_id


async def test_a_branch_with_children_is_deleted_only_with_its_descendants(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    await reply(demo_bot, "b create shop parent-x")
    await reply(demo_bot, "b create shop child-x --from parent-x")
    refused = await confirmed(demo_bot, "b rm shop parent-x")
    assert "child branches" in refused  # PlanetScale's refusal, in its words
    deleted = await confirmed(demo_bot, "b rm shop parent-x --delete-descendants")
    assert "Deleted branch `parent-x` of `shop` and the branches made from it" in deleted
    assert "delete_descendants=true" in demo_bot.planetscale.calls("DELETE", paths.BRANCH)[-1].query
    assert "found no branch `child-x`" in everything(await reply(demo_bot, "b show shop child-x"))
