"""`password list|create|delete` over real HTTP: a new password is shown once, only to the asker."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.replies import confirmed, everything, reply, usage_error


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
    assert "Deleted password" in await confirmed(demo_bot, f"password delete shop main {password_id}")
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
