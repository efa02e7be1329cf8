"""response_url: applied to the channel like Slack, at most 5 uses within 30 minutes."""

from __future__ import annotations

import httpx
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sandbox.slack import SlackStandIn
from tests.support.slack import ALICE, BOB, GENERAL, populated_standin, serve_slack_standin


async def test_ephemeral_reply_is_seen_by_the_asker_only(slack_standin: SlackStandIn) -> None:
    url = slack_standin.new_response_url(channel=GENERAL.id, user=ALICE.id, team=slack_standin.team_id)
    assert url.startswith(slack_standin.base_url + "/response/")
    assert len(url.rsplit("/", 1)[1]) >= 32
    response = await AsyncWebhookClient(url).send(text="only you", response_type="ephemeral")
    assert response.status_code == 200
    assert [m.text for m in slack_standin.messages(GENERAL.id, viewer=ALICE.id)] == ["only you"]
    assert slack_standin.messages(GENERAL.id, viewer=BOB.id) == []
    post = await slack_standin.wait_response(where=lambda p: p.body is not None and p.body["text"] == "only you")
    assert (post.status, post.channel, post.user) == (200, GENERAL.id, ALICE.id)


async def test_in_channel_reply_and_thread(slack_standin: SlackStandIn) -> None:
    url = slack_standin.new_response_url(channel=GENERAL.id, user=ALICE.id)
    await AsyncWebhookClient(url).send(text="everyone", response_type="in_channel")
    [parent] = slack_standin.messages(GENERAL.id, viewer=BOB.id)
    await AsyncWebhookClient(url).send_dict({"text": "reply", "response_type": "in_channel", "thread_ts": parent.ts})
    assert slack_standin.messages(GENERAL.id)[1].thread_ts == parent.ts


async def test_a_click_reply_replaces_the_message_unless_told_not_to(slack_standin: SlackStandIn) -> None:
    card = slack_standin.workspace.post(channel=GENERAL.id, author=slack_standin.bot_user_id, text="card",
                                        blocks=[], source="chat.postMessage")
    url = slack_standin.new_response_url(channel=GENERAL.id, user=BOB.id, message_ts=card.ts)
    client = AsyncWebhookClient(url)
    await client.send(text="done, privately", replace_original=False)
    assert [m.text for m in slack_standin.messages(GENERAL.id, viewer=BOB.id)] == ["card", "done, privately"]
    await client.send(text="card v2")  # Slack's default for a message interaction: replace it
    assert slack_standin.messages(GENERAL.id)[0].text == "card v2"
    await client.send(delete_original=True)
    assert slack_standin.messages(GENERAL.id) == []


async def test_five_uses_then_used_url(slack_standin: SlackStandIn) -> None:
    url = slack_standin.new_response_url(channel=GENERAL.id, user=ALICE.id)
    async with httpx.AsyncClient() as http:
        statuses = [(await http.post(url, json={"text": f"#{n}"})).status_code for n in range(5)]
        sixth = await http.post(url, json={"text": "#6"})
    assert statuses == [200] * 5
    assert (sixth.status_code, sixth.json()["error"]) == (404, "used_url")
    assert len(slack_standin.messages(GENERAL.id, viewer=ALICE.id)) == 5
    assert [p.error for p in slack_standin.response_posts][-1] == "used_url"


async def test_expired_after_thirty_minutes() -> None:
    now = [1_700_000_000.0]
    standin = populated_standin()
    standin.workspace.clock = lambda: now[0]
    with serve_slack_standin(standin):
        url = standin.new_response_url(channel=GENERAL.id, user=ALICE.id)
        now[0] += 30 * 60 + 1
        async with httpx.AsyncClient() as http:
            late = await http.post(url, json={"text": "late"})
            unknown = await http.post(standin.base_url + "/response/not-issued", json={"text": "x"})
            garbage = await http.post(standin.new_response_url(channel=GENERAL.id, user=ALICE.id), content=b"{")
    assert (late.status_code, late.json()["error"]) == (404, "expired_url")
    assert (unknown.status_code, unknown.json()["error"]) == (404, "invalid_url")
    assert (garbage.status_code, garbage.json()["error"]) == (400, "invalid_payload")
