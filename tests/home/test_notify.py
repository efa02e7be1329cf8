"""`/pscale notify` over real HTTP: following a database's reviews brings one direct message per new deploy
request, with Approve and Show diff that work from the DM; turning it off stops them."""

from __future__ import annotations

import asyncio

from bot.sandbox.planetscale import World, paths
from bot.sandbox.slack.workspace import StoredMessage, Workspace
from tests.support.bot import RunningBot
from tests.support.cards import ALICE, buttons, click, post_card
from tests.support.home import direct_messages, wait_direct_message
from tests.support.replies import everything, reply, usage_error
from tests.support.slack import BOB_ACTOR, CAROL, CAROL_ACTOR, Actor


def in_direct_messages(actor: Actor) -> Actor:
    """`actor` clicking in the app's DM with them."""
    channel_id = Workspace.direct_message_id(actor.user_id)
    return Actor(user_id=actor.user_id, user_name=actor.user_name, channel_id=channel_id)


async def _reply(bot: RunningBot, text: str, actor: Actor) -> str:
    return everything(await reply(bot, text, actor=actor))


def _new_branch(world: World, name: str, author_id: str) -> str:
    world.create_branch("acme", "shop", name=name, actor_id=author_id)
    sql = f"CREATE TABLE `{name.replace('-', '_')}` (`id` bigint NOT NULL, PRIMARY KEY (`id`))"
    world.change_schema("acme", "shop", name, table=name.replace("-", "_"), ddl=sql, create_sql=sql)
    return name


def _about(bot: RunningBot, actor: Actor, number: int) -> list[StoredMessage]:
    return [m for m in direct_messages(bot, actor.user_id) if f"shop #{number}" in m.text]


async def test_following_reviews_brings_one_dm_per_new_request_until_turned_off(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    world = demo_bot.planetscale.world
    bob = demo_bot.planetscale.demo.second_admin
    demo_bot.slack.add_user(CAROL)
    demo_bot.slack.workspace.channel(ALICE.channel_id).members.add(CAROL.id)
    demo_bot.link(CAROL_ACTOR, planetscale_user_id=demo_bot.planetscale.demo.member.id)
    demo_bot.runtime.review_pass_seconds = 0.5
    assert "new deploy requests in `shop`" in await _reply(demo_bot, "notify on reviews shop", CAROL_ACTOR)
    assert "new deploy requests in `shop`" in await _reply(demo_bot, "notify on reviews shop", ALICE)
    assert "`acme/shop`" in await _reply(demo_bot, "notify", CAROL_ACTOR)

    # Bob opens one from Slack: its card is posted, and both followers hear of it at once.
    card = await post_card(demo_bot, "dr create shop add-wishlist", actor=BOB_ACTOR)
    number = int(str(card.text).split("#")[1].split()[0])
    dm = await wait_direct_message(demo_bot, CAROL_ACTOR.user_id, f"shop #{number}")
    assert f"<@{BOB_ACTOR.user_id}>" in dm.text
    assert {"dr_approve", "dr_diff"} <= set(buttons(dm))
    alice_dm = await wait_direct_message(demo_bot, ALICE.user_id, f"shop #{number}")

    # Show diff from Carol's DM: the modal, filled from what her grant reads.
    since = len(demo_bot.slack.calls)
    click(demo_bot, dm, "dr_diff", actor=in_direct_messages(CAROL_ACTOR))
    await demo_bot.slack.wait_call("views.open", since=since, timeout=10)
    diff = await demo_bot.slack.wait_call("views.update", since=since, timeout=10)
    assert "CREATE TABLE `wishlist_items`" in str(diff.args["view"])

    # Approve from Alice's DM: one review at PlanetScale, the card and Bob hear of it.
    reviews = len(demo_bot.planetscale.calls("POST", paths.REVIEWS))
    since = len(demo_bot.slack.response_posts)
    click(demo_bot, alice_dm, "dr_approve", actor=in_direct_messages(ALICE))
    answer = await demo_bot.slack.wait_response(since=since, timeout=10)
    assert answer.body["text"].endswith(f"Approved shop #{number}.")  # to her only, under the DM
    assert answer.body["replace_original"] is False
    await wait_direct_message(demo_bot, BOB_ACTOR.user_id, f"approved by <@{ALICE.user_id}>")
    assert len(demo_bot.planetscale.calls("POST", paths.REVIEWS)) == reviews + 1
    since = len(demo_bot.slack.response_posts)
    assert demo_bot.command("audit shop").status_code == 200
    assert "deploy-request approve (direct message)" in str(
        (await demo_bot.slack.wait_response(since=since, timeout=10)).body
    )

    # One opened in PlanetScale's web app is found by reading (no webhook here): one message each, not one a pass.
    second = world.create_deploy_request(
        "acme", "shop", actor_id=bob.id, branch=_new_branch(world, "add-gift-cards", bob.id)
    ).number
    await wait_direct_message(demo_bot, CAROL_ACTOR.user_id, f"shop #{second}")
    assert "Carol" not in str(await _reply(demo_bot, "notify off reviews shop", CAROL_ACTOR))
    third = world.create_deploy_request(
        "acme", "shop", actor_id=bob.id, branch=_new_branch(world, "add-returns", bob.id)
    ).number
    await wait_direct_message(demo_bot, ALICE.user_id, f"shop #{third}")  # Alice still follows
    await asyncio.sleep(1.5)  # passes enough to send anything twice
    assert [len(_about(demo_bot, CAROL_ACTOR, n)) for n in (number, second, third)] == [1, 1, 0]
    assert [len(_about(demo_bot, ALICE, n)) for n in (number, second, third)] == [1, 1, 1]


async def test_notify_says_how_when_the_words_do_not_fit(demo_bot: RunningBot) -> None:
    reply = await _reply(demo_bot, "notify on reviews", ALICE)
    assert "takes a database" in reply
    assert "Usage: /pscale notify on|off reviews DB" in reply
    assert "takes no database" in await _reply(demo_bot, "notify off mine shop", ALICE)
    assert "is not on or off" in usage_error(demo_bot, "notify maybe mine")
    assert "No more direct messages about your own" in await _reply(demo_bot, "notify off mine", ALICE)
    assert "about your own deploy requests: *off*" in await _reply(demo_bot, "notify", ALICE)
