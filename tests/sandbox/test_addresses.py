"""Where the sandbox sends browsers and where it calls itself: `BOT_PUBLIC_URL` for every link a person follows,
the address it listens on for the bot's own calls to its stand-ins (so it works in a container, behind another
published port, or on another machine)."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.sandbox.app import OAUTH_MOUNT
from tests.support.sandbox_page import serve_sandbox

ALICE = "U0ALICE0001"
PUBLIC = "https://sandbox.example.com:8443"


def _link_button(messages: list[dict[str, object]]) -> str:
    for message in messages:
        for block in message.get("blocks") or []:  # type: ignore[attr-defined]
            for element in block.get("elements", []):
                if element.get("action_id") == "link_account":
                    return str(element["url"])
    raise AssertionError(f"no link button in {messages}")


def test_links_and_redirects_use_bot_public_url_while_the_bot_calls_itself_directly(tmp_path: Path) -> None:
    with serve_sandbox(tmp_path, host="0.0.0.0", bot_public_url=PUBLIC + "/") as url, httpx.Client(
        base_url=url, timeout=10
    ) as http:
        # The slash command reached the bot and its answer came back through the Slack stand-in: internal calls work.
        answer = http.post("/sandbox/command", json={"user_id": ALICE, "text": "login"}).json()
        assert answer["error"] is None
        messages = http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE}).json()["messages"]
        start = _link_button(messages)
        assert start.startswith(f"{PUBLIC}/oauth/planetscale/start?t=")
        # The start page, fetched here, sends the browser on to PlanetScale's consent page at the public address.
        local_start = url + start.removeprefix(PUBLIC)
        ticket = local_start.partition("?t=")[2]
        assert http.get(local_start).status_code == 200
        redirect = http.post(local_start.partition("?")[0], data={"t": ticket})
    assert redirect.status_code == 303
    location = redirect.headers["location"]
    assert location.startswith(f"{PUBLIC}{OAUTH_MOUNT}/oauth/authorize?")
    assert httpx.URL(location).params["redirect_uri"] == f"{PUBLIC}/oauth/planetscale/callback"
