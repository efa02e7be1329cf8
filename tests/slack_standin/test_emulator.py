"""The emulator page: its HTTP routes, and the page itself in a real browser against a fake bot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.sandbox.emulator import create_emulator_routes
from bot.sandbox.slack import SlackStandIn
from tests.support.fake_slack_bot import SIGNING_SECRET, FakeBot
from tests.support.servers import serve_asgi
from tests.support.slack import ALICE, BOB, GENERAL, populated_standin


@dataclass
class Sandbox:
    url: str
    standin: SlackStandIn
    bot: FakeBot


def emulator_app(standin: SlackStandIn, events_url: str) -> Starlette:
    # Composed like the sandbox: the emulator at `/`, the stand-in mounted beside it; Reset forgets the messages.
    async def reset() -> None:
        standin.workspace.forget_conversations()

    routes = create_emulator_routes(slack=standin, events_url=events_url, signing_secret=SIGNING_SECRET,
                                    team_id=standin.team_id, channel_id=GENERAL.id,
                                    users=standin.workspace.users(), on_reset=reset)
    return Starlette(routes=[*routes, Mount("/slack", app=standin.app)])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    standin = populated_standin()
    bot = FakeBot(standin)
    with serve_asgi(bot.app) as bot_url, serve_asgi(emulator_app(standin, f"{bot_url}/slack/events")) as url:
        standin.base_url = f"{url}/slack"
        yield Sandbox(url, standin, bot)


async def test_a_command_is_signed_and_its_ack_shown_to_the_asker_only(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        answer = (await http.post("/sandbox/command", json={"text": "help <me> & you", "user_id": ALICE.id})).json()
        assert answer["status"] == 200
        assert answer["error"] is None
        form = await sandbox.bot.received.wait(lambda r: r.get("command") == "/pscale")
        assert form["text"] == "help &lt;me&gt; &amp; you"  # escaped as Slack does
        assert form["user_id"] == ALICE.id
        assert form["response_url"].startswith(sandbox.standin.base_url + "/response/")
        alice = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()
        bob = (await http.get("/sandbox/messages", params={"since": 0, "user_id": BOB.id})).json()
    assert [m["text"] for m in alice["messages"]] == ["/pscale help &lt;me&gt; &amp; you", "pscale help"]
    assert all(m["ephemeral"] for m in alice["messages"])
    assert bob["messages"] == []
    assert sandbox.bot.rejected == 0


async def test_problems_are_answered_plainly(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        failing = (await http.post("/sandbox/command", json={"text": "fail", "user_id": ALICE.id})).json()
        stranger = await http.post("/sandbox/command", json={"text": "help", "user_id": "U0STRANGER1"})
        not_json = await http.post("/sandbox/action", content=b"nope")
        no_message = await http.post("/sandbox/action", json={"user_id": ALICE.id, "message_ts": "1.000001",
                                                              "block_index": 0, "element_index": 0})
        bad_since = await http.get("/sandbox/messages", params={"since": "x", "user_id": ALICE.id})
    assert (failing["status"], failing["error"]) == (500, "the bot answered HTTP 500: boom")
    assert stranger.status_code == 400
    assert "unknown user" in stranger.json()["error"]
    assert not_json.status_code == 400
    assert (no_message.status_code, no_message.json()["error"]) == (404, "message_not_found")
    assert bad_since.status_code == 400


async def test_an_unreachable_bot_is_reported() -> None:
    standin = populated_standin()
    with serve_asgi(emulator_app(standin, "http://127.0.0.1:9/slack/events")) as url:
        standin.base_url = f"{url}/slack"
        async with httpx.AsyncClient(base_url=url) as http:
            answer = (await http.post("/sandbox/command", json={"text": "help", "user_id": ALICE.id})).json()
    assert answer["error"].startswith("dispatch_failed: cannot reach http://127.0.0.1:9/slack/events")


async def test_a_modal_submission_carries_the_inputs_and_shows_errors(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await http.post("/sandbox/command", json={"text": "branch create", "user_id": ALICE.id})
        modal = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()["modal"]
        assert modal["callback_id"] == "branch_create"
        refused = (await http.post("/sandbox/view", json={"user_id": ALICE.id, "view_id": modal["id"],
                                                          "values": {"0": "", "1": "dev"}})).json()
        assert refused["errors"] == {"name": "A branch needs a name"}
        accepted = (await http.post("/sandbox/view", json={"user_id": ALICE.id, "view_id": modal["id"],
                                                           "values": {"0": "feature-x", "1": "dev"}})).json()
        assert accepted["errors"] is None
        after = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()
    submission = sandbox.bot.received.matching(lambda r: r.get("type") == "view_submission")[-1]
    assert submission["view"]["callback_id"] == "branch_create"
    assert submission["view"]["state"]["values"] == {
        "name": {"value": {"type": "plain_text_input", "value": "feature-x"}},
        "parent": {"value": {"type": "static_select",
                             "selected_option": {"text": {"type": "plain_text", "text": "dev"}, "value": "dev"}}},
    }
    assert after["modal"] is None


async def _open_picker(http: httpx.AsyncClient) -> dict[str, Any]:
    await http.post("/sandbox/command", json={"text": "pick", "user_id": ALICE.id})
    modal: dict[str, Any] = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()[
        "modal"]
    assert modal["callback_id"] == "picker"
    return modal


SHOP = {"value": "shop", "text": "The shop database"}
SHOP_OPTION = {"text": {"type": "plain_text", "text": "The shop database", "emoji": True}, "value": "shop"}


async def test_a_menu_loads_its_options_from_the_bot_with_a_signed_options_request(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        modal = await _open_picker(http)
        answer = (await http.post("/sandbox/options", json={
            "user_id": ALICE.id, "view_id": modal["id"], "block_index": 0, "value": "sh", "values": {"1": "later"},
        })).json()
        not_a_menu = await http.post("/sandbox/options", json={
            "user_id": ALICE.id, "view_id": modal["id"], "block_index": 1, "value": ""})
    assert answer == {"options": [{"text": {"type": "plain_text", "text": "The shop database"}, "value": "shop"}],
                      "option_groups": []}
    [asked] = sandbox.bot.received.matching(lambda r: r.get("type") == "block_suggestion")
    assert (asked["action_id"], asked["block_id"], asked["value"]) == ("pick_database", "database", "sh")
    assert asked["container"] == {"type": "view", "view_id": modal["id"]}
    assert asked["view"]["state"]["values"]["when"]["when"]["selected_option"]["value"] == "later"
    assert not_a_menu.status_code == 400
    assert sandbox.bot.rejected == 0  # signed as Slack signs


async def test_a_choice_in_a_dispatching_input_tells_the_bot_at_once(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        modal = await _open_picker(http)
        chosen = await http.post("/sandbox/action", json={
            "user_id": ALICE.id, "view_id": modal["id"], "block_index": 0, "value": SHOP,
            "values": {"0": SHOP, "1": "now", "2": ["dry-run"]},
        })
        # An input without dispatch_action says nothing to the app until the form is submitted.
        quiet = await http.post("/sandbox/action", json={
            "user_id": ALICE.id, "view_id": modal["id"], "block_index": 1, "value": "later"})
    assert chosen.json()["error"] is None
    click = await sandbox.bot.received.wait(lambda r: r.get("type") == "block_actions")
    [action] = click["actions"]
    assert {key: action[key] for key in ("type", "action_id", "block_id", "selected_option")} == {
        "type": "external_select", "action_id": "pick_database", "block_id": "database", "selected_option": SHOP_OPTION,
    }
    assert click["container"] == {"type": "view", "view_id": modal["id"]}
    assert (click["view"]["id"], click["view"]["callback_id"]) == (modal["id"], "picker")
    extras = click["view"]["state"]["values"]["extras"]["extras"]
    assert [option["value"] for option in extras["selected_options"]] == ["dry-run"]
    assert quiet.status_code == 400


async def test_radio_buttons_and_checkboxes_are_submitted_as_slack_reports_them(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        modal = await _open_picker(http)
        await http.post("/sandbox/view", json={"user_id": ALICE.id, "view_id": modal["id"],
                                               "values": {"0": SHOP, "1": "later", "2": ["notify", "dry-run"]}})
    submission = await sandbox.bot.received.wait(lambda r: r.get("type") == "view_submission")
    values = submission["view"]["state"]["values"]
    assert values["database"] == {
        "pick_database": {"type": "external_select", "selected_option": SHOP_OPTION}}
    assert values["when"]["when"] == {"type": "radio_buttons", "selected_option": {
        "text": {"type": "plain_text", "text": "Later"}, "value": "later"}}
    assert [option["value"] for option in values["extras"]["extras"]["selected_options"]] == ["notify", "dry-run"]


async def test_the_bot_s_direct_messages_and_commands_sent_from_them(sandbox: Sandbox) -> None:
    alice_dm = sandbox.standin.workspace.direct_message_id(ALICE.id)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await http.post("/sandbox/command", json={"text": "dm me", "user_id": ALICE.id})
        await sandbox.standin.wait_call("chat.postMessage")
        alice = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()
        bob = (await http.get("/sandbox/messages", params={"since": 0, "user_id": BOB.id})).json()
        from_dm = (await http.post("/sandbox/command", json={"text": "help", "user_id": ALICE.id,
                                                             "channel_id": alice_dm})).json()
        someone_elses = await http.post("/sandbox/command", json={
            "text": "help", "user_id": BOB.id, "channel_id": alice_dm})
    [hello] = [m for m in alice["messages"] if m["channel"] == alice_dm]
    assert (hello["text"], hello["is_bot"], hello["ephemeral"]) == (f"Hello <@{ALICE.id}>", True, False)
    assert not [m for m in bob["messages"] if m["channel"] == alice_dm]
    assert from_dm["error"] is None
    command = sandbox.bot.received.matching(lambda r: r.get("command") == "/pscale" and r["text"] == "help")[-1]
    assert (command["channel_id"], command["channel_name"]) == (alice_dm, "directmessage")
    assert someone_elses.status_code == 400


async def test_a_reply_in_a_thread_and_the_link_in_it(sandbox: Sandbox) -> None:
    link = "https://app.planetscale.com/acme/shop/deploy-requests/1"
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await http.post("/sandbox/post", json={"text": "shipping today", "user_id": ALICE.id})
        [parent] = sandbox.standin.messages(GENERAL.id)
        await http.post("/sandbox/post", json={"text": f"this one: {link}", "user_id": BOB.id,
                                               "thread_ts": parent.ts})
    event = await sandbox.bot.received.wait(lambda r: r.get("type") == "event_callback")
    assert event["event"]["thread_ts"] == parent.ts
    assert event["event"]["links"] == [{"url": link, "domain": "app.planetscale.com"}]
    [_, reply] = sandbox.standin.messages(GENERAL.id)
    assert reply.thread_ts == parent.ts


async def test_reset_forgets_every_conversation_and_says_so(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        await http.post("/sandbox/command", json={"text": "dm me", "user_id": ALICE.id})
        await sandbox.standin.wait_call("chat.postMessage")
        before = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()
        reset = (await http.post("/sandbox/reset", json={})).json()
        after = (await http.get("/sandbox/messages", params={"since": 0, "user_id": ALICE.id})).json()
    assert before["messages"]
    assert reset == {"reset": True, "generation": before["generation"] + 1}
    assert (after["messages"], after["generation"]) == ([], before["generation"] + 1)

@pytest.mark.browser
async def test_the_page_runs_a_command_and_a_click_round_trip(sandbox: Sandbox, browser_page: Page) -> None:
    page = browser_page
    await page.goto(sandbox.url + "/")
    await expect(page.locator("#pane-title")).to_have_text("#" + GENERAL.name)
    await expect(page.locator(".sidebar")).to_contain_text("PlanetScale Sandbox")

    await page.locator("#composer-input").fill("/pscale help")
    await page.locator("#composer-input").press("Enter")
    reply = page.locator(".msg.ephemeral", has_text="pscale help —")
    await expect(reply).to_be_visible()
    await expect(reply.locator(".only-you")).to_have_text("Only visible to you")
    await expect(reply.locator("b").first).to_have_text("pscale help")
    await expect(reply.locator("code")).to_have_text("branch list")
    await expect(reply.locator("i")).to_have_text("second line")
    await expect(reply.locator("button.btn.primary")).to_have_text("Approve")
    await expect(reply.locator("button.btn.danger")).to_have_text("Close")

    await reply.locator("button", has_text="Approve").click()
    await expect(page.locator("#confirm-overlay")).to_be_visible()
    await expect(page.locator("#confirm-text b")).to_have_text("#42")
    await page.locator("#confirm-ok").click()
    click = await sandbox.bot.received.wait(lambda r: r.get("type") == "block_actions")
    [action] = click["actions"]
    assert (action["action_id"], action["value"], action["block_id"]) == ("dr_approve", "approve:42", "help_actions")
    assert click["user"]["id"] == ALICE.id
    assert click["container"]["is_ephemeral"] is True
    await expect(page.locator(".msg.ephemeral", has_text="Approved by @alice")).to_be_visible()
    await page.screenshot(path="/tmp/emulator.png")

    # Bob sees none of Alice's private replies.
    await page.locator("#user-switcher").select_option(BOB.id)
    await expect(page.locator(".msg")).to_have_count(0)


@pytest.mark.browser
async def test_mrkdwn_is_rendered_and_escaped(sandbox: Sandbox, browser_page: Page) -> None:
    page = browser_page
    await page.goto(sandbox.url + "/")
    render = "(text) => window.__renderMrkdwn(text).innerHTML"
    assert await page.evaluate(render, "&lt;script&gt;alert(1)&lt;/script&gt; &amp;") == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp;")
    assert await page.evaluate(render, "<https://example.com/a_b|the *label*>") == (
        '<a href="https://example.com/a_b" target="_blank" rel="noopener noreferrer">the *label*</a>')
    assert await page.evaluate(render, "<javascript:alert(1)|click>") == "click"
    assert await page.evaluate(render, "*bold* _it_ ~gone~ `co*de*`") == (
        "<b>bold</b> <i>it</i> <s>gone</s> <code>co*de*</code>")
    assert await page.evaluate(render, "```a\n*b*```") == "<pre>a\n*b*</pre>"
    dated = await page.evaluate(render, "<!date^1700000000^{date_num}|fallback>")
    assert dated.startswith('<time class="date">2023-11-1')
    assert await page.evaluate(render, f"<@{BOB.id}> :white_check_mark:") == (
        '<span class="mention">@bob</span> ✅')
