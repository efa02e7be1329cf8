"""The stand-in's Web API over real HTTP, through slack_sdk's own async client."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import SlackError, SlackStandIn, SlackUser
from bot.sandbox.slack.webapi import ApiCall
from tests.support.slack import ALICE, BOB, GENERAL, MANIFEST_SCOPES


def client(standin: SlackStandIn, token: str | None = None) -> AsyncWebClient:
    return AsyncWebClient(token=token or standin.bot_token, base_url=standin.api_url, timeout=5)


SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}


async def test_auth_test_names_the_team_and_the_bot(slack_standin: SlackStandIn) -> None:
    response = await client(slack_standin).auth_test()
    assert response["team_id"] == slack_standin.team_id
    assert response["user_id"] == slack_standin.bot_user_id
    assert response["bot_id"] == "B0PSCALEBOT"


async def test_a_wrong_or_missing_token_is_refused(slack_standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as wrong:
        await client(slack_standin, token="xoxb-not-the-token").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    async with httpx.AsyncClient() as http:
        missing = await http.post(slack_standin.api_url + "auth.test")
        form_token = await http.post(slack_standin.api_url + "auth.test", data={"token": slack_standin.bot_token})
    assert missing.json() == {"ok": False, "error": "not_authed"}
    assert form_token.json()["ok"] is True


async def test_unknown_method(slack_standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as error:
        await client(slack_standin).api_call("chat.teleport")
    assert error.value.response["error"] == "unknown_method"


async def test_post_update_delete_keep_the_ts_and_are_recorded(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    posted = await web.chat_postMessage(channel=GENERAL.id, text="hi", blocks=[SECTION])
    ts = posted["ts"]
    seconds, _, micros = ts.partition(".")
    assert seconds.isdigit()
    assert len(micros) == 6
    assert posted["message"]["blocks"] == [SECTION]

    updated = await web.chat_update(channel=GENERAL.id, ts=ts, text="edited", blocks=[])
    assert updated["ts"] == ts
    [message] = slack_standin.messages(GENERAL.id)
    assert (message.ts, message.text, message.edited) == (ts, "edited", True)

    reply = await web.chat_postMessage(channel=GENERAL.id, text="in thread", thread_ts=ts)
    assert slack_standin.messages(GENERAL.id)[1].thread_ts == ts
    assert reply["ts"] > ts

    await web.chat_delete(channel=GENERAL.id, ts=ts)
    assert [m.text for m in slack_standin.messages(GENERAL.id)] == ["in thread"]
    call = await slack_standin.wait_call("chat.update", where=lambda c: c.args["ts"] == ts)
    assert call.args["text"] == "edited"
    assert [c.method for c in slack_standin.calls] == [
        "chat.postMessage", "chat.update", "chat.postMessage", "chat.delete"]


async def test_form_encoded_blocks_are_decoded(slack_standin: SlackStandIn) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            slack_standin.api_url + "chat.postMessage",
            data={"channel": GENERAL.id, "text": "form", "blocks": json.dumps([SECTION])},
            headers={"Authorization": f"Bearer {slack_standin.bot_token}"},
        )
    assert response.json()["ok"] is True
    assert slack_standin.messages(GENERAL.id)[0].blocks == [SECTION]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_messages_are_checked_like_slack_does(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    too_many = [SECTION] * 51
    for kwargs, error in (({"text": ""}, "no_text"), ({"text": "x", "blocks": too_many}, "invalid_blocks"),
                          ({"text": "x", "thread_ts": "1.000001"}, "thread_not_found")):
        with pytest.raises(SlackApiError) as refused:
            await web.chat_postMessage(channel=GENERAL.id, **kwargs)
        assert refused.value.response["error"] == error


async def test_ephemeral_messages_are_seen_by_their_user_only(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    response = await web.chat_postEphemeral(channel=GENERAL.id, user=BOB.id, text="psst")
    assert response["message_ts"]
    assert [m.text for m in slack_standin.messages(GENERAL.id, viewer=BOB.id)] == ["psst"]
    assert slack_standin.messages(GENERAL.id, viewer=ALICE.id) == []
    with pytest.raises(SlackApiError) as not_editable:
        await web.chat_update(channel=GENERAL.id, ts=response["message_ts"], text="x")
    assert not_editable.value.response["error"] == "message_not_found"
    slack_standin.add_user(SlackUser(id="U0CAROL0001", name="carol", real_name="Carol"))
    with pytest.raises(SlackApiError) as outsider:
        await web.chat_postEphemeral(channel=GENERAL.id, user="U0CAROL0001", text="psst")
    assert outsider.value.response["error"] == "user_not_in_channel"


async def test_unfurl_attaches_to_the_message(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    posted = await web.chat_postMessage(channel=GENERAL.id, text="see https://app.planetscale.com/x")
    url = "https://app.planetscale.com/x"
    await web.chat_unfurl(channel=GENERAL.id, ts=posted["ts"], unfurls={url: {"blocks": [SECTION]}})
    assert slack_standin.messages(GENERAL.id)[0].unfurls == {url: {"blocks": [SECTION]}}


async def test_unfurl_refuses_as_slack_does_where_the_message_or_its_link_is_not(slack_standin: SlackStandIn) -> None:
    """chat.unfurl's own codes (https://api.slack.com/methods/chat.unfurl#errors), not chat.update's
    `message_not_found`: the bot must know them to stop drawing an unfurl that can never be drawn."""
    web = client(slack_standin)
    url = "https://app.planetscale.com/x"
    linked = (await web.chat_postMessage(channel=GENERAL.id, text=f"see <{url}>"))["ts"]
    unlinked = (await web.chat_postMessage(channel=GENERAL.id, text="no link here"))["ts"]
    deleted = (await web.chat_postMessage(channel=GENERAL.id, text=f"see <{url}>"))["ts"]
    await web.chat_delete(channel=GENERAL.id, ts=deleted)
    unfurls = {url: {"blocks": [SECTION]}}
    for channel, ts, error in ((GENERAL.id, unlinked, "cannot_unfurl_message"),
                               (GENERAL.id, deleted, "cannot_find_message"),
                               ("C0NOSUCH001", linked, "cannot_find_channel")):
        with pytest.raises(SlackApiError) as refused:
            await web.chat_unfurl(channel=channel, ts=ts, unfurls=unfurls)
        assert refused.value.response["error"] == error
    await web.chat_unfurl(channel=GENERAL.id, ts=linked, unfurls=unfurls)


async def test_a_scripted_refusal_answers_slacks_error_and_does_nothing(slack_standin: SlackStandIn) -> None:
    slack_standin.refuse("chat.postMessage", "token_revoked")
    web = client(slack_standin)
    with pytest.raises(SlackApiError) as refused:
        await web.chat_postMessage(channel=GENERAL.id, text="x")
    assert (refused.value.response.status_code, refused.value.response["error"]) == (200, "token_revoked")
    assert slack_standin.messages(GENERAL.id) == []
    assert (await web.chat_postMessage(channel=GENERAL.id, text="y"))["ok"] is True


async def test_users_info_reports_zone_and_deletion(slack_standin: SlackStandIn) -> None:
    slack_standin.add_user(SlackUser(id="U0GONE00001", name="gone", real_name="Gone", deleted=True, tz="Asia/Tokyo"))
    alice = (await client(slack_standin).users_info(user=ALICE.id))["user"]
    assert alice["tz"] == "Europe/Berlin"
    assert alice["tz_offset"] in (3600, 7200)
    assert alice["is_admin"] is True
    gone = (await client(slack_standin).users_info(user="U0GONE00001"))["user"]
    assert (gone["deleted"], gone["tz_offset"]) == (True, 9 * 3600)
    with pytest.raises(SlackApiError) as unknown:
        await client(slack_standin).users_info(user="U0NOBODY001")
    assert unknown.value.response["error"] == "user_not_found"


async def test_rate_limit_answers_429_with_retry_after(slack_standin: SlackStandIn) -> None:
    slack_standin.rate_limit("chat.postMessage", retry_after=7, times=2)
    web = client(slack_standin)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            await web.chat_postMessage(channel=GENERAL.id, text="x")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "7"
        assert limited.value.response["error"] == "ratelimited"
    assert (await web.chat_postMessage(channel=GENERAL.id, text="x"))["ok"] is True
    assert [c.status for c in slack_standin.calls] == [429, 429, 200]


async def test_a_late_answer_is_acted_on_at_once_and_not_answered_to_a_client_that_left(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.answer_late("chat.postMessage", seconds=30, times=1)
    impatient = AsyncWebClient(token=slack_standin.bot_token, base_url=slack_standin.api_url, timeout=0.3)
    with pytest.raises(asyncio.TimeoutError):
        await impatient.chat_postMessage(channel=GENERAL.id, text="posted, answer late")
    assert [message.text for message in slack_standin.messages(GENERAL.id)] == ["posted, answer late"]
    assert (await client(slack_standin).chat_postMessage(channel=GENERAL.id, text="on time"))["ok"] is True
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []


async def test_a_dropped_answer_is_acted_on_and_its_connection_reset(
    slack_standin: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    slack_standin.drop_answer("chat.postMessage")
    web = client(slack_standin)
    web.retry_handlers = []  # slack_sdk's default would post it again
    with pytest.raises(aiohttp.ClientConnectionError):  # a reset, as it reads the answer
        await web.chat_postMessage(channel=GENERAL.id, text="posted, answer dropped")
    assert [message.text for message in slack_standin.messages(GENERAL.id)] == ["posted, answer dropped"]
    assert (await web.chat_postMessage(channel=GENERAL.id, text="answered"))["ok"] is True
    assert [record.getMessage() for record in caplog.records if record.levelname == "ERROR"] == []


async def test_an_answer_dropped_after_a_call_was_seen_is_the_next_ones(
    slack_standin: SlackStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test waits for a call, then asks for the next answer to be dropped: the call it saw is answered all the same
    (this ordering once broke a form test now and then, the form's own update losing its answer)."""
    seen = slack_standin.calls.append

    def drop_the_next_as_soon_as_seen(call: ApiCall) -> None:
        seen(call)
        if len(slack_standin.calls) == 1:
            slack_standin.drop_answer("chat.postMessage")

    monkeypatch.setattr(slack_standin.calls, "append", drop_the_next_as_soon_as_seen)
    web = client(slack_standin)
    web.retry_handlers = []
    assert (await web.chat_postMessage(channel=GENERAL.id, text="seen, then answered"))["ok"] is True
    with pytest.raises(aiohttp.ClientConnectionError):
        await web.chat_postMessage(channel=GENERAL.id, text="answer dropped")


async def test_modals_open_push_update_with_single_use_triggers(slack_standin: SlackStandIn) -> None:
    web = client(slack_standin)
    view = {"type": "modal", "callback_id": "branch_create", "title": {"type": "plain_text", "text": "New branch"},
            "blocks": []}
    trigger = slack_standin.new_trigger_id(ALICE.id)
    opened = (await web.views_open(trigger_id=trigger, view=view))["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "branch_create"
    with pytest.raises(SlackApiError) as reused:
        await web.views_open(trigger_id=trigger, view=view)
    assert reused.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as invented:
        await web.views_open(trigger_id="123.456.abc", view=view)
    assert invented.value.response["error"] == "invalid_trigger_id"

    updated = (await web.views_update(view_id=opened["id"], hash=opened["hash"],
                                      view={**view, "blocks": [SECTION]}))["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as stale:
        await web.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    assert stale.value.response["error"] == "hash_conflict"

    pushed = (await web.views_push(trigger_id=slack_standin.new_trigger_id(ALICE.id), view=view))["view"]
    assert pushed["root_view_id"] == opened["id"]
    top = slack_standin.workspace.top_view(ALICE.id)
    assert top is not None
    assert top.id == pushed["id"]


async def test_a_trigger_expires_after_three_seconds() -> None:
    now = [1_700_000_000.0]
    standin = SlackStandIn(scopes=MANIFEST_SCOPES, clock=lambda: now[0])
    standin.add_user(SlackUser(**vars(ALICE)))
    trigger = standin.new_trigger_id(ALICE.id)
    now[0] += 3.5
    with pytest.raises(SlackError) as expired:
        standin.workspace.open_view(trigger_id=trigger, view={"type": "modal", "title": {"type": "plain_text",
                                                                                             "text": "x"}})
    assert expired.value.code == "expired_trigger_id"
