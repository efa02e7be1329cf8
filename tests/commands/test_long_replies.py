"""Replies that can grow without bound still reach the person: the strict Slack stand-in accepts them, and what did
not fit is counted with a way to see it all."""

from __future__ import annotations

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.cards import click, post_card
from tests.support.replies import ALICE, everything, reply

TABLES = 40
COLUMNS = 30


def create_table(number: int) -> str:
    columns = ",\n".join(f"  `column_{column:02d}_of_table_{number:02d}` varchar(255) NOT NULL DEFAULT ''"
                         for column in range(COLUMNS))
    key = "  `id` bigint NOT NULL AUTO_INCREMENT"
    return f"CREATE TABLE `table_{number:02d}` (\n{key},\n{columns},\n  PRIMARY KEY (`id`)\n)"


def open_wide_deploy_request(bot: RunningBot) -> int:
    assert bot.planetscale is not None
    world = bot.planetscale.world
    alice = bot.planetscale.demo.admin
    world.create_branch("acme", "shop", name="forty-tables", actor_id=alice.id)
    for number in range(TABLES):
        ddl = create_table(number)
        world.change_schema("acme", "shop", "forty-tables", table=f"table_{number:02d}", ddl=ddl, create_sql=ddl)
    return world.create_deploy_request("acme", "shop", actor_id=alice.id, branch="forty-tables").number


async def test_a_diff_of_forty_wide_tables_is_accepted_and_says_where_the_rest_is(
    demo_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    number = open_wide_deploy_request(demo_bot)
    since = len(slack_standin.response_posts)
    body = await reply(demo_bot, f"dr diff shop {number}")  # checks the blocks as the stand-in would
    [post] = slack_standin.response_posts.matching(since=since)
    assert post.ok, post.error
    shown = everything(body)
    assert "CREATE TABLE" in shown
    for table in range(TABLES):  # every table is named, the first ones with their DDL
        assert f"`table_{table:02d}`" in shown
    assert "more changes are listed without their DDL" in shown
    assert "Open in PlanetScale" in shown


async def test_the_cards_diff_modal_shows_every_tables_ddl(demo_bot: RunningBot) -> None:
    number = open_wide_deploy_request(demo_bot)
    card = await post_card(demo_bot, f"dr post shop {number}")
    since = len(demo_bot.slack.calls)
    click(demo_bot, card, "dr_diff")
    updated = await demo_bot.slack.wait_call("views.update", since=since, timeout=10)
    assert updated.ok, updated.response
    view = str(updated.args["view"])
    assert all(f"CREATE TABLE `table_{table:02d}`" in view for table in range(TABLES))


async def test_help_is_accepted_in_full(demo_bot: RunningBot) -> None:
    for topic in ("", "dr", "branch", "deploy-request create", "digest", "password create"):
        ack = demo_bot.command(f"help {topic}".strip(), actor=ALICE)
        assert ack.status_code == 200
        assert ack.json()["text"]  # RunningBot.command holds every ack to Slack's limits
