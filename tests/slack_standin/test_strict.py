"""The stand-in refuses what Slack refuses: scopes, channel types and membership, Block Kit limits, pacing.

Over real HTTP through slack_sdk's own client, as the bot calls it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import ChannelKind, ScopeTable, SlackChannel, SlackStandIn, published_scopes
from bot.sandbox.slack.limits import MAX_BLOCKS_TEXT
from bot.sandbox.slack.pacing import POST_BURST, TIERS
from tests.support.slack import ALICE, BOB, GENERAL, MANIFEST_SCOPES, populated_standin, serve_slack_standin

PUBLIC_OUT = SlackChannel(id="C0RANDOM001", name="random", bot_is_member=False, members={ALICE.id})
PRIVATE_IN = SlackChannel(id="C0TEAM00001", name="team", is_private=True, members={ALICE.id})
PRIVATE_OUT = SlackChannel(id="C0SECRET001", name="secret", is_private=True, bot_is_member=False,
                           members={ALICE.id})
HUMANS_DM = SlackChannel(id="D0ALICEBOB1", name="alice-bob", is_im=True, bot_is_member=False,
                         members={ALICE.id, BOB.id})
GROUP_DM = SlackChannel(id="G0MPIM00001", name="mpdm-alice--bob-1", is_mpim=True, bot_is_member=False,
                        members={ALICE.id, BOB.id})
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}


def web(standin: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=standin.bot_token, base_url=standin.api_url, timeout=5)


@pytest.fixture
def workspace() -> Iterator[SlackStandIn]:
    standin = populated_standin()
    for channel in (PUBLIC_OUT, PRIVATE_IN, PRIVATE_OUT, HUMANS_DM, GROUP_DM):
        standin.add_channel(SlackChannel(**{**vars(channel), "members": set(channel.members)}))
    with serve_slack_standin(standin, audited=False) as served:
        yield served


async def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as refused:
        await call
    data: dict[str, Any] = refused.value.response.data
    return data


# -- the method list and the scopes file ---------------------------------------------------------------------------
def test_every_method_the_standin_answers_is_in_slacks_scopes_file_and_has_a_tier(
    slack_standin: SlackStandIn,
) -> None:
    answered = slack_standin.methods()
    table = published_scopes()
    assert answered - table.methods() == set(), "add the method's scopes (from its Slack page) to NEWER_THAN_SPEC"
    assert answered - set(TIERS) - {"chat.postMessage"} == set(), "add the method's rate-limit tier to pacing.TIERS"


def test_the_scopes_file_is_read_as_its_meaning_says() -> None:
    table = ScopeTable({"chat.postMessage": ["chat:write:bot", "chat:write:user"],
                        "conversations.info": ["channels:read", "groups:read", "im:read", "mpim:read"]})
    assert table.accepted("chat.postMessage") == ("chat:write",)
    assert table.accepted("conversations.info", ChannelKind.PRIVATE) == ("groups:read",)
    assert table.accepted("conversations.info", ChannelKind.IM) == ("im:read",)
    assert table.accepted("conversations.info") == ("channels:read", "groups:read", "im:read", "mpim:read")
    assert published_scopes().accepted("apps.connections.open") == ("connections:write",)
    assert published_scopes().accepted("views.open") == ()


# -- scopes ----------------------------------------------------------------------------------------------------------
async def test_a_call_without_its_scope_is_refused_with_needed_and_provided(workspace: SlackStandIn) -> None:
    workspace.scopes = MANIFEST_SCOPES - {"chat:write"}
    refused = await refusal(web(workspace).chat_postMessage(channel=GENERAL.id, text="hi"))
    assert refused["error"] == "missing_scope"
    assert refused["needed"] == "chat:write"
    assert set(refused["provided"].split(",")) == MANIFEST_SCOPES - {"chat:write"}
    assert workspace.messages(GENERAL.id) == []


async def test_every_answer_names_the_tokens_scopes(workspace: SlackStandIn) -> None:
    ok = await web(workspace).auth_test()
    assert set(ok.headers["X-OAuth-Scopes"].split(",")) == MANIFEST_SCOPES
    with pytest.raises(SlackApiError) as refused:
        await web(workspace).users_info(user="U0NOBODY001")
    assert set(refused.value.response.headers["X-OAuth-Scopes"].split(",")) == MANIFEST_SCOPES
    assert refused.value.response.headers["X-Accepted-OAuth-Scopes"] == "users:read"


async def test_conversation_scopes_count_by_channel_type(workspace: SlackStandIn) -> None:
    workspace.scopes = MANIFEST_SCOPES | {"channels:read"}
    client = web(workspace)
    public = await client.conversations_info(channel=PUBLIC_OUT.id)
    assert (public["channel"]["is_channel"], public["channel"]["is_member"]) == (True, False)
    private = await refusal(client.conversations_info(channel=PRIVATE_IN.id))
    assert (private["error"], private["needed"]) == ("missing_scope", "groups:read")
    workspace.scopes = MANIFEST_SCOPES | {"groups:read"}
    assert (await client.conversations_info(channel=PRIVATE_IN.id))["channel"]["is_private"] is True
    assert (await refusal(client.conversations_info(channel=PRIVATE_OUT.id)))["error"] == "channel_not_found"
    assert (await refusal(client.conversations_info(channel=PUBLIC_OUT.id)))["needed"] == "channels:read"


async def test_users_info_shows_the_email_only_with_users_read_email(workspace: SlackStandIn) -> None:
    workspace.workspace.user(ALICE.id).email = "alice@example.com"
    workspace.scopes = MANIFEST_SCOPES - {"users:read.email"}
    plain = (await web(workspace).users_info(user=ALICE.id))["user"]
    assert "email" not in plain["profile"]
    workspace.scopes = MANIFEST_SCOPES
    assert (await web(workspace).users_info(user=ALICE.id))["user"]["profile"]["email"] == "alice@example.com"
    workspace.scopes = MANIFEST_SCOPES - {"users:read"}
    assert (await refusal(web(workspace).users_info(user=ALICE.id)))["needed"] == "users:read"


# -- channel types and membership ----------------------------------------------------------------------------------
async def test_where_the_bot_may_post(workspace: SlackStandIn) -> None:
    client = web(workspace)
    for channel in (GENERAL, PUBLIC_OUT, PRIVATE_IN):
        assert (await client.chat_postMessage(channel=channel.id, text="hi"))["ok"] is True
    in_public = await workspace.wait_call("chat.postMessage", where=lambda c: c.args["channel"] == PUBLIC_OUT.id)
    assert in_public.scopes_used == ("chat:write", "chat:write.public")
    for channel in (PRIVATE_OUT, HUMANS_DM, GROUP_DM):
        assert (await refusal(client.chat_postMessage(channel=channel.id, text="hi")))["error"] == "channel_not_found"
    dm = await client.chat_postMessage(channel=ALICE.id, text="just you")
    assert dm["channel"].startswith("D")

    workspace.scopes = MANIFEST_SCOPES - {"chat:write.public"}
    assert (await refusal(client.chat_postMessage(channel=PUBLIC_OUT.id, text="hi")))["error"] == "not_in_channel"
    assert (await client.chat_postMessage(channel=GENERAL.id, text="still fine"))["ok"] is True


async def test_ephemeral_messages_need_the_bot_in_the_channel_even_a_public_one(workspace: SlackStandIn) -> None:
    client = web(workspace)
    refused = await refusal(client.chat_postEphemeral(channel=PUBLIC_OUT.id, user=ALICE.id, text="psst"))
    assert refused["error"] == "not_in_channel"
    refused = await refusal(client.chat_postEphemeral(channel=PRIVATE_OUT.id, user=ALICE.id, text="psst"))
    assert refused["error"] == "channel_not_found"
    assert (await client.chat_postEphemeral(channel=PRIVATE_IN.id, user=ALICE.id, text="psst"))["ok"] is True


async def test_response_urls_work_where_the_bot_is_not(workspace: SlackStandIn) -> None:
    url = workspace.new_response_url(channel=PRIVATE_OUT.id, user=ALICE.id)
    async with httpx.AsyncClient() as http:
        answer = await http.post(url, json={"text": "only you can see this"})
    assert answer.json() == {"ok": True}
    assert [m.text for m in workspace.messages(PRIVATE_OUT.id, viewer=ALICE.id)] == ["only you can see this"]


# -- Block Kit limits ----------------------------------------------------------------------------------------------
def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str, **more: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "a", **more}


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([SECTION] * 51, "/blocks"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
        ([section("")], "/blocks/0/text/text"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "/blocks/0/fields"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
        ([{"type": "actions", "elements": [button("b")] * 26}], "/blocks/0/elements"),
        ([{"type": "actions", "elements": [button("b" * 76)]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "actions", "elements": [button("b", value="v" * 2001)]}], "/blocks/0/elements/0/value"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "/blocks/0/elements"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}], "/blocks/0/type"),
    ],
)
async def test_blocks_over_slacks_limits_are_invalid_blocks(
    workspace: SlackStandIn, blocks: list[dict[str, Any]], pointer: str
) -> None:
    refused = await refusal(web(workspace).chat_postMessage(channel=GENERAL.id, text="x", blocks=blocks))
    assert refused["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{pointer}]" in message for message in refused["response_metadata"]["messages"])


async def test_too_much_text_is_refused(workspace: SlackStandIn) -> None:
    client = web(workspace)
    assert (await refusal(client.chat_postMessage(channel=GENERAL.id, text="x" * 40_001)))["error"] == "msg_too_long"
    many = [section("y" * 2500)] * (MAX_BLOCKS_TEXT // 2500 + 1)
    refused = await refusal(client.chat_postMessage(channel=GENERAL.id, text="x", blocks=many))
    assert refused["error"] == "msg_blocks_too_long"
    fits = [section("y" * 2500)] * (MAX_BLOCKS_TEXT // 2500)
    assert (await client.chat_postMessage(channel=GENERAL.id, text="x", blocks=fits))["ok"] is True
    posted = workspace.messages(GENERAL.id)[0]
    refused = await refusal(client.chat_update(channel=GENERAL.id, ts=posted.ts, text="x", blocks=many))
    assert refused["error"] == "msg_blocks_too_long"


def modal(**changes: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Create a branch"}, "blocks": [SECTION],
            **changes}


@pytest.mark.parametrize(
    "view",
    [
        modal(blocks=[SECTION] * 101),
        modal(title={"type": "plain_text", "text": "t" * 25}),
        modal(private_metadata="m" * 3001),
        modal(blocks=[{"type": "input", "label": {"type": "plain_text", "text": "Name"},
                       "element": {"type": "plain_text_input", "action_id": "name"}}]),
    ],
)
async def test_views_over_slacks_limits_are_refused(workspace: SlackStandIn, view: dict[str, Any]) -> None:
    refused = await refusal(web(workspace).views_open(trigger_id=workspace.new_trigger_id(ALICE.id), view=view))
    assert refused["error"] == "invalid_arguments"
    assert refused["response_metadata"]["messages"]
    assert (await web(workspace).views_open(trigger_id=workspace.new_trigger_id(ALICE.id), view=modal()))["ok"]


async def test_a_trigger_id_works_once(workspace: SlackStandIn) -> None:
    trigger = workspace.new_trigger_id(ALICE.id)
    await web(workspace).views_open(trigger_id=trigger, view=modal())
    refused = await refusal(web(workspace).views_open(trigger_id=trigger, view=modal()))
    assert refused["error"] == "exchanged_trigger_id"


# -- which surface each views method takes ---------------------------------------------------------------------------
HOME_VIEW = {"type": "home", "blocks": [SECTION]}
WRONG_VIEW_TYPE = {"ok": False, "error": "invalid_arguments",
                   "response_metadata": {"messages": ["[ERROR] must be a valid enum value [json-pointer:/view/type]"]}}


def slacks_refusal(answer: dict[str, Any]) -> dict[str, Any]:
    """The refusal without the scopes every answer names (`test_every_answer_names_the_tokens_scopes`)."""
    return {**answer, "response_metadata": {"messages": answer["response_metadata"]["messages"]}}


async def test_views_open_and_push_take_only_modals(workspace: SlackStandIn) -> None:
    client = web(workspace)
    home_opened = client.views_open(trigger_id=workspace.new_trigger_id(ALICE.id), view=HOME_VIEW)
    assert slacks_refusal(await refusal(home_opened)) == WRONG_VIEW_TYPE
    assert workspace.workspace.top_view(ALICE.id) is None

    await client.views_open(trigger_id=workspace.new_trigger_id(ALICE.id), view=modal())
    home_pushed = client.views_push(trigger_id=workspace.new_trigger_id(ALICE.id), view=HOME_VIEW)
    assert slacks_refusal(await refusal(home_pushed)) == WRONG_VIEW_TYPE
    assert len([view for view in workspace.workspace.views() if view.user == ALICE.id]) == 1


async def test_views_publish_takes_only_a_home_view(workspace: SlackStandIn) -> None:
    client = web(workspace)
    assert slacks_refusal(await refusal(client.views_publish(user_id=ALICE.id, view=modal()))) == WRONG_VIEW_TYPE
    assert workspace.workspace.home(ALICE.id) is None
    assert (await client.views_publish(user_id=ALICE.id, view=HOME_VIEW))["view"]["type"] == "home"


async def test_views_update_keeps_each_view_on_its_own_surface(workspace: SlackStandIn) -> None:
    client = web(workspace)
    opened = (await client.views_open(trigger_id=workspace.new_trigger_id(ALICE.id), view=modal()))["view"]
    published = (await client.views_publish(user_id=ALICE.id, view=HOME_VIEW))["view"]

    assert slacks_refusal(await refusal(client.views_update(view_id=opened["id"], view=HOME_VIEW))) == WRONG_VIEW_TYPE
    assert slacks_refusal(await refusal(client.views_update(view_id=published["id"], view=modal()))) == WRONG_VIEW_TYPE

    header = {"type": "header", "text": {"type": "plain_text", "text": "Your deploy requests"}}
    updated = (await client.views_update(view_id=published["id"], view={**HOME_VIEW, "blocks": [header]}))["view"]
    assert updated["id"] == published["id"]
    home = workspace.workspace.home(ALICE.id)
    assert home is not None
    assert home.view["blocks"] == [header]
    top = workspace.workspace.top_view(ALICE.id)
    assert top is not None
    assert top.view["type"] == "modal"


# -- pacing ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def paced() -> Iterator[tuple[SlackStandIn, list[float]]]:
    now = [1_800_000_000.0]
    with serve_slack_standin(populated_standin(clock=lambda: now[0]), audited=False) as standin:
        standin.add_channel(SlackChannel(id=PRIVATE_IN.id, name=PRIVATE_IN.name, is_private=True))
        yield standin, now


async def test_a_tier_3_method_gets_50_calls_a_minute_then_retry_after(
    paced: tuple[SlackStandIn, list[float]],
) -> None:
    standin, now = paced
    client = web(standin)
    posted = await client.chat_postMessage(channel=GENERAL.id, text="card")
    for second in range(50):
        now[0] += 0.5 if second else 0
        await client.chat_update(channel=GENERAL.id, ts=posted["ts"], text=f"update {second}")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_update(channel=GENERAL.id, ts=posted["ts"], text="one too many")
    assert (limited.value.response.status_code, limited.value.response["error"]) == (429, "ratelimited")
    assert limited.value.response.headers["Retry-After"] == str(60 - int(49 * 0.5))
    now[0] += 60 - 49 * 0.5
    assert (await client.chat_update(channel=GENERAL.id, ts=posted["ts"], text="later"))["ok"] is True


async def test_posting_is_paced_per_channel_with_a_burst(paced: tuple[SlackStandIn, list[float]]) -> None:
    standin, now = paced
    client = web(standin)
    for number in range(POST_BURST):
        await client.chat_postMessage(channel=GENERAL.id, text=f"burst {number}")
    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel=GENERAL.id, text="one too many")
    assert limited.value.response.headers["Retry-After"] == "1"
    assert (await client.chat_postMessage(channel=PRIVATE_IN.id, text="another channel"))["ok"] is True
    now[0] += 1
    assert (await client.chat_postMessage(channel=GENERAL.id, text="a second later"))["ok"] is True
