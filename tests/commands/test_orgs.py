"""`org list|show|switch` over real HTTP against both stand-ins."""

from __future__ import annotations

from bot.sandbox.planetscale import paths
from bot.storage import UserPreferences
from tests.support.bot import RunningBot
from tests.support.replies import ALICE, everything, planetscale_calls, reply, usage_error


async def test_org_list_show_and_switch(demo_bot: RunningBot) -> None:
    listed = await reply(demo_bot, "org list")
    assert listed["response_type"] == "ephemeral"
    assert "`acme`" in everything(listed)
    assert "globex" not in everything(listed)  # Alice is not a member there
    assert "Organization acme" in everything(await reply(demo_bot, "org show"))
    assert "switched" not in everything(await reply(demo_bot, "org show acme"))
    assert "now use the organization `acme`" in everything(await reply(demo_bot, "org switch acme"))
    stored = await demo_bot.call(UserPreferences(demo_bot.runtime.database).default_org(ALICE.team_id, ALICE.user_id))
    assert stored == "acme"
    assert "your default" in everything(await reply(demo_bot, "org list"))


async def test_org_switch_to_an_org_one_is_not_in_is_refused_and_stores_nothing(demo_bot: RunningBot) -> None:
    text = everything(await reply(demo_bot, "org switch globex"))
    assert "found no organization `globex`" in text
    assert "user:read_organizations" in text
    users = UserPreferences(demo_bot.runtime.database)
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) is None


async def test_the_only_org_is_looked_up_once_and_then_is_the_default(demo_bot: RunningBot) -> None:
    users = UserPreferences(demo_bot.runtime.database)
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) is None
    lookups = planetscale_calls(demo_bot, "GET", paths.ORGANIZATIONS)
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop"))
    assert planetscale_calls(demo_bot, "GET", paths.ORGANIZATIONS) == lookups + 1
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) == "acme"
    assert demo_bot.planetscale is not None
    before = len(demo_bot.planetscale.calls())
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop"))
    assert [call.template for call in demo_bot.planetscale.calls()[before:]] == [paths.BRANCHES]
    assert "your default" in everything(await reply(demo_bot, "org list"))


async def test_an_account_in_several_orgs_is_asked_to_pick_one_and_nothing_is_stored(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    world = demo_bot.planetscale.world
    with world.lock:
        world.organizations["globex"].members[demo_bot.planetscale.demo.admin.id] = "member"
    text = everything(await reply(demo_bot, "branch list shop"))
    assert "several organizations (`acme`, `globex`)" in text
    assert "/pscale org switch ORG" in text
    users = UserPreferences(demo_bot.runtime.database)
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) is None


def test_org_wrong_input(demo_bot: RunningBot) -> None:
    assert "missing ORG" in usage_error(demo_bot, "org switch")
    usage_error(demo_bot, "org switch acme globex")
    usage_error(demo_bot, "org list extra")
    usage_error(demo_bot, "org show acme --org acme")


async def test_a_default_org_belongs_to_the_account_it_was_chosen_with(demo_bot: RunningBot) -> None:
    """Linking the same account again keeps `org switch`'s choice; a link after logging out (perhaps to another
    account, which may not see that organization) starts without one, and the only org is looked up again."""
    assert demo_bot.planetscale is not None
    assert demo_bot.planetscale.demo is not None
    account = demo_bot.planetscale.demo.admin.id
    users = UserPreferences(demo_bot.runtime.database)
    await reply(demo_bot, "org switch acme")
    demo_bot.link(ALICE, planetscale_user_id=account)
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) == "acme"
    assert "unlinked" in everything(await reply(demo_bot, "logout")).lower()
    demo_bot.link(ALICE, planetscale_user_id=account)
    assert await demo_bot.call(users.default_org(ALICE.team_id, ALICE.user_id)) is None
    lookups = planetscale_calls(demo_bot, "GET", paths.ORGANIZATIONS)
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop"))
    assert planetscale_calls(demo_bot, "GET", paths.ORGANIZATIONS) == lookups + 1
