"""Linking inside the real bot (`run_bot`: build_runtime + create_web_app, as the CLI starts it)."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.sandbox.planetscale import World, seed_demo
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot
from tests.support.oauth_browser import Browser


async def test_the_bot_serves_the_link_pages_and_tells_the_user_in_slack(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    world = World()
    seed_demo(world)
    with run_bot(slack=slack_standin, data_dir=tmp_path, planetscale=world) as bot:
        linking = bot.runtime.linking
        start_url = (await bot.call(linking.link_offer("T0SANDBOX01", "U0ALICE0001"))).url
        assert start_url.startswith(f"{bot.base_url}/oauth/planetscale/start?t=")

        with httpx.Client(timeout=10) as http:
            page = Browser(http).link(start_url)
        assert page.status_code == 200, page.text
        assert "Alice Admin" in page.text

        told = await slack_standin.wait_call(
            "chat.postMessage", where=lambda call: call.args["channel"] == "U0ALICE0001"
        )
        assert "Linked as Alice Admin" in told.args["text"]
        assert await linking.has_active_grant("T0SANDBOX01", "U0ALICE0001")
        assert bot.oauth is not None
        assert bot.oauth.counters.exchanges == 1
