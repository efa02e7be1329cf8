"""org, database, channel db, branch, password and audit commands over real HTTP against both stand-ins."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from bot.storage import ChannelPreferences, UserPreferences
from tests.commands_resources.replies import ALICE, everything, reply, usage_error, validate_blocks
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import block_actions, button_action


def _calls(bot: RunningBot, method: str, template: str) -> int:
    assert bot.planetscale is not None
    return len(bot.planetscale.calls(method, template))


async def _confirmed(bot: RunningBot, text: str) -> str:
    """A destructive command: the dispatcher's question, then the asker's click; returns the final reply."""
    question = bot.command(text).json()
    confirm = next(element for block in question["blocks"] for element in block.get("elements", [])
                   if element.get("action_id") == "cmd_confirm")
    since = len(bot.slack.response_posts)
    url = bot.slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    click = block_actions(signing_secret=SIGNING_SECRET, actions=[button_action(confirm, block_id="confirm_command")],
                          response_url=url, message_ts="1.000001", actor=ALICE, is_ephemeral=True)
    assert bot.post_events(click).status_code == 200
    done = await bot.slack.wait_response(since=since, timeout=10)
    validate_blocks(done.body.get("blocks", []))
    return everything(done.body)


# --- organizations --------------------------------------------------------------------------------------------


async def test_org_list_show_and_switch(demo_bot: RunningBot) -> None:
    listed = await reply(demo_bot, "org list")
    assert listed["response_type"] == "ephemeral"
    assert "`acme`" in everything(listed)
    assert "globex" not in everything(listed)  # Alice is not a member there
    assert "Organization acme" in everything(await reply(demo_bot, "org show"))
    assert "switched" not in everything(await reply(demo_bot, "org show acme"))
    assert "now use the organization `acme`" in everything(await reply(demo_bot, "org switch acme"))
    stored = UserPreferences(demo_bot.runtime.database).default_org(ALICE.team_id, ALICE.user_id)
    assert stored == "acme"
    assert "your default" in everything(await reply(demo_bot, "org list"))


async def test_org_switch_to_an_org_one_is_not_in_is_refused_and_stores_nothing(demo_bot: RunningBot) -> None:
    text = everything(await reply(demo_bot, "org switch globex"))
    assert "found no organization `globex`" in text
    assert "user:read_organizations" in text
    assert UserPreferences(demo_bot.runtime.database).default_org(ALICE.team_id, ALICE.user_id) is None


def test_org_wrong_input(demo_bot: RunningBot) -> None:
    assert "missing ORG" in usage_error(demo_bot, "org switch")
    usage_error(demo_bot, "org switch acme globex")
    usage_error(demo_bot, "org list extra")
    usage_error(demo_bot, "org show acme --org acme")


# --- databases and the channel's default ----------------------------------------------------------------------


async def test_database_list_counts_truthfully_from_one_request(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    seeded = everything(await reply(demo_bot, "db ls"))
    assert "`shop`" in seeded
    assert "`analytics`" in seeded
    for index in range(30):
        demo_bot.planetscale.world.add_database("acme", f"tenant-{index:02d}")
    before = _calls(demo_bot, "GET", paths.DATABASES)
    text = everything(await reply(demo_bot, "db ls"))
    assert "Showing 25 of 32 databases" in text
    assert _calls(demo_bot, "GET", paths.DATABASES) == before + 1


async def test_database_show_and_an_unknown_database(demo_bot: RunningBot) -> None:
    shown = everything(await reply(demo_bot, "database show shop"))
    assert "acme/shop" in shown
    assert "Deploy requests need approval:* yes" in shown
    unknown = everything(await reply(demo_bot, "database show nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    assert "organization:read_databases" in unknown
    usage_error(demo_bot, "database show")
    usage_error(demo_bot, "database show shop extra")


async def test_channel_db_is_checked_stored_used_and_cleared(demo_bot: RunningBot) -> None:
    channels = ChannelPreferences(demo_bot.runtime.database)
    unknown = everything(await reply(demo_bot, "channel db nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    assert channels.default_database(ALICE.team_id, ALICE.channel_id) is None
    chosen = everything(await reply(demo_bot, "channel db shop"))
    assert "now uses `shop`" in chosen
    assert "may omit it" in chosen
    assert channels.default_database(ALICE.team_id, ALICE.channel_id) == "shop"
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list"))
    assert "no longer has a default database (it was `shop`)" in everything(await reply(demo_bot, "channel db --clear"))
    assert channels.default_database(ALICE.team_id, ALICE.channel_id) is None
    assert "nothing changed" in everything(await reply(demo_bot, "channel db --clear"))
    usage_error(demo_bot, "channel db")
    usage_error(demo_bot, "channel db shop --clear")
    usage_error(demo_bot, "channel db shop analytics")


# --- branches -------------------------------------------------------------------------------------------------


async def test_a_1000_branch_database_is_listed_truthfully_in_one_request(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    world, alice = demo_bot.planetscale.world, demo_bot.planetscale.demo
    assert alice is not None
    existing = len(world.database_for(alice.admin.id, "acme", "analytics").branches)
    world.add_many_branches("acme", "analytics", 1000 - existing)
    before = _calls(demo_bot, "GET", paths.BRANCHES)
    body = await reply(demo_bot, "branch list analytics")
    assert body["response_type"] == "ephemeral"
    text = everything(body)
    assert "Showing 25 of 1,000 branches" in text
    assert "https://app.planetscale.com/acme/analytics/branches|See them all in PlanetScale" in text
    assert _calls(demo_bot, "GET", paths.BRANCHES) == before + 1
    assert "per_page=25" in demo_bot.planetscale.calls("GET", paths.BRANCHES)[-1].query


async def test_branch_show_create_from_a_parent_and_delete(demo_bot: RunningBot) -> None:
    created = everything(await reply(demo_bot, "branch create shop feature-x"))
    assert "Created branch `feature-x` of `shop` from `main`" in created
    child = everything(await reply(demo_bot, "branch create shop feature-y --from feature-x"))
    assert "from `feature-x`" in child
    shown = everything(await reply(demo_bot, "branch show shop feature-y"))
    assert "*Parent:* `feature-x`" in shown
    before = _calls(demo_bot, "DELETE", paths.BRANCH)
    assert "Deleted branch `feature-y` of `shop`" in await _confirmed(demo_bot, "branch rm shop feature-y")
    assert _calls(demo_bot, "DELETE", paths.BRANCH) == before + 1
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
    usage_error(demo_bot, "branch show shop")
    usage_error(demo_bot, "branch create shop")  # some arguments: the usage, not the form
    usage_error(demo_bot, "branch create shop a b")
    usage_error(demo_bot, "branch create shop dev --from")
    usage_error(demo_bot, "branch delete shop")


# --- passwords ------------------------------------------------------------------------------------------------


async def test_a_new_password_is_shown_once_only_to_the_asker_and_kept_nowhere(
    demo_bot: RunningBot, slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = await reply(demo_bot, "password create shop main ci-reader")
    assert body["response_type"] == "ephemeral"
    text = everything(body)
    secret = text.split("DATABASE_PASSWORD=")[1].split("`")[0].strip()
    assert secret.startswith("pscale_pw_")
    assert len(secret) >= len("pscale_pw_") + 8
    assert any(secret in str(block.get("text")) for block in body["blocks"])  # shown, not only in the fallback text
    assert "*reader* password" in text  # the grammar's default role
    assert 'ssl={"rejectUnauthorized":true}' in text
    assert "DATABASE_HOST=" in text
    assert "DATABASE_USERNAME=" in text
    assert demo_bot.planetscale is not None
    sent = json.loads(demo_bot.planetscale.calls("POST", paths.PASSWORDS)[-1].request_body)
    assert sent == {"name": "ci-reader", "role": "reader", "ttl": 86400}  # the grammar's defaults: reader, 24 h
    assert [post for post in slack_standin.response_posts if secret in str(post.body)] == [
        post for post in slack_standin.response_posts if post.body is body
    ]
    assert all(secret not in message.text + str(message.blocks) for message in slack_standin.messages())
    assert all(secret not in str(call.args) for call in slack_standin.calls)
    database_file = Path(demo_bot.runtime.settings.bot_database)
    for file in (database_file, database_file.with_name(database_file.name + "-wal")):
        if file.exists():
            assert secret.encode() not in file.read_bytes()
    assert secret not in caplog.text


async def test_password_role_and_ttl_list_and_delete(demo_bot: RunningBot) -> None:
    assert demo_bot.planetscale is not None
    text = everything(await reply(demo_bot, "password create shop main deployer --role writer --ttl 7d"))
    assert "*writer* password" in text
    assert json.loads(demo_bot.planetscale.calls("POST", paths.PASSWORDS)[-1].request_body)["ttl"] == 7 * 86400
    listed = everything(await reply(demo_bot, "password list shop"))  # no branch: the default branch
    assert "Passwords of acme/shop branch main" in listed
    assert "`deployer` (writer)" in listed
    assert "pscale_pw_" not in listed
    password_id = listed.split("`deployer` (writer) — ID `")[1].split("`")[0]
    assert "Deleted password" in await _confirmed(demo_bot, f"password delete shop main {password_id}")
    assert "deployer" not in everything(await reply(demo_bot, "password list shop main"))


async def test_password_commands_name_an_unknown_database(demo_bot: RunningBot) -> None:
    for text in ("password list nosuchdb main", "password create nosuchdb main x"):
        assert "`nosuchdb`" in everything(await reply(demo_bot, text)), text


def test_password_wrong_input(demo_bot: RunningBot) -> None:
    usage_error(demo_bot, "password create shop main")
    usage_error(demo_bot, "password create shop main x y")
    usage_error(demo_bot, "password create shop main x --role root")
    usage_error(demo_bot, "password create shop main x --ttl forever")
    usage_error(demo_bot, "password list")
    usage_error(demo_bot, "password list shop main extra")
    usage_error(demo_bot, "password delete shop main")


# --- audit ----------------------------------------------------------------------------------------------------


async def test_audit_shows_changes_made_from_slack_to_someone_who_can_read_the_database(demo_bot: RunningBot) -> None:
    assert "Nothing has been changed" in everything(await reply(demo_bot, "audit shop"))
    await reply(demo_bot, "branch create shop audited")
    await reply(demo_bot, "branch create shop Bad_Name")  # PlanetScale refuses: recorded as refused
    text = everything(await reply(demo_bot, "audit shop"))
    assert f"<@{ALICE.user_id}> `branch create` branch `audited` of `shop` — :white_check_mark: ok" in text
    assert "refused: 422" in text
    assert text.index("Bad_Name") < text.index("`audited`")  # newest first
    assert "<!date^" in text
    unknown = everything(await reply(demo_bot, "audit nosuchdb"))
    assert "found no database `nosuchdb`" in unknown
    usage_error(demo_bot, "audit")
    usage_error(demo_bot, "audit shop extra")
