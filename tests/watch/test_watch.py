"""`/pscale watch DB` over real HTTP: the scope it needs, the webhook it creates, signed deliveries posted once."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from bot.render import watch as render
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.workspace import Workspace
from bot.web.webhooks import delivery_view, read_delivery, updated_at_of
from tests.support.bot import RunningBot
from tests.support.replies import everything, reply, tracebacks
from tests.support.slack import Actor, WebApiHost
from tests.support.webhooks import signed_delivery, until, watched_hook

ALICE = Actor()


async def _reply(bot: RunningBot, text: str) -> str:
    since = len(bot.slack.response_posts)
    bot.command(text)
    post = await bot.slack.wait_response(since=since, timeout=10)
    return str(post.body.get("text", ""))


async def test_watch_without_the_scope_says_which(demo_bot: RunningBot) -> None:
    text = await _reply(demo_bot, "watch shop")
    assert "organization:write_databases" in text


async def test_watch_delivers_signed_events_once_and_unwatch_removes_it(
    watching_bot: RunningBot, slack_standin: SlackStandIn
) -> None:
    bot = watching_bot
    assert bot.planetscale is not None
    assert "Watching `shop`" in await _reply(bot, "watch shop")
    assert len(bot.planetscale.calls("POST", paths.WEBHOOKS)) == 1
    watch = await bot.call(bot.runtime.watches.of_database(team_id=ALICE.team_id, org="acme", database="shop"))
    assert watch is not None
    found = await bot.call(bot.runtime.watches.by_hook(watch.hook_id))
    assert found is not None
    _, secret = found
    assert secret not in str(await bot.call(bot.runtime.database.fetchall("SELECT * FROM watches")))

    url = f"{bot.base_url}/webhooks/planetscale/{watch.hook_id}"
    payload = {
        "timestamp": 1767610000, "event": "deploy_request.queued", "organization": "acme", "database": "shop",
        "resource": {"number": 3, "branch": "drop-legacy-coupons", "into_branch": "main",
                     "deployment_state": "queued", "updated_at": "2026-01-05T10:00:00Z"},
    }
    body = json.dumps(payload).encode()
    headers = signed_delivery(secret, body)
    assert bot.http.post(url, content=body, headers={**headers, "x-planetscale-signature": "0" * 64}).status_code == 401
    assert bot.http.post(f"{url}x", content=body, headers=headers).status_code == 404
    assert bot.http.post(url, content=body, headers=headers).status_code == 200
    posted = await slack_standin.wait_call("chat.postMessage", where=lambda call: "#3" in str(call.args.get("text")))
    assert "queued" in posted.args["text"]
    assert bot.http.post(url, content=body, headers=headers).status_code == 200  # a replay
    later = {**payload, "event": "deploy_request.in_progress",
             "resource": {**payload["resource"], "deployment_state": "in_progress",  # type: ignore[dict-item]
                          "updated_at": "2026-01-05T10:01:00Z"}}
    later_body = json.dumps(later).encode()
    later_headers = signed_delivery(secret, later_body)
    assert bot.http.post(url, content=later_body, headers=later_headers).status_code == 200
    await slack_standin.wait_call("chat.postMessage", where=lambda call: "in progress" in str(call.args.get("text")))
    queued = [
        m for m in slack_standin.messages(ALICE.channel_id) if "#3" in m.text and "(queued for deployment)" in m.text
    ]
    assert len(queued) == 1  # the replay, sent before the later event, posted nothing

    assert "Stopped watching" in await _reply(bot, "unwatch shop")
    assert await bot.call(bot.runtime.watches.by_hook(watch.hook_id)) is None
    assert len(bot.planetscale.calls("DELETE", paths.WEBHOOK)) == 1
    assert bot.http.post(url, content=body, headers=headers).status_code == 404


def _queued(number: int, *, updated_at: str) -> bytes:
    """A `deploy_request.queued` delivery of `shop` #`number`, a deploy request with no card in the channel."""
    return json.dumps({
        "timestamp": 1767610000, "event": "deploy_request.queued", "organization": "acme", "database": "shop",
        "resource": {"number": number, "branch": "drop-legacy-coupons", "into_branch": "main",
                     "deployment_state": "queued", "updated_at": updated_at},
    }).encode()


def _notices(slack: SlackStandIn, number: int) -> list[str]:
    return [m.text for m in slack.messages(ALICE.channel_id) if f"#{number} " in m.text and "queued" in m.text]


def _logged(caplog: pytest.LogCaptureFixture, words: str) -> bool:
    return any(words in record.getMessage() for record in caplog.records)


async def test_a_delivery_whose_notice_slack_could_not_be_reached_for_posts_it_when_sent_again(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """The issue: with Slack's Web API out of reach, the delivery's notice failed with a traceback ("background task
    webhook delivery failed") and its key stayed claimed, so the same delivery sent again was dropped as a replay
    and the channel never heard of it."""
    caplog.set_level(logging.INFO)
    url, secret = await watched_hook(apart_bot, team_id=ALICE.team_id, org="acme", database="shop")
    body = _queued(3, updated_at="2026-01-05T10:00:00Z")
    with web_api_host.unreachable():
        assert apart_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
        await until(lambda: _logged(caplog, "was not posted"), timeout=10)
    assert tracebacks(caplog) == []
    assert _notices(apart_bot.slack, 3) == []
    assert apart_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
    await until(lambda: len(_notices(apart_bot.slack, 3)) == 1, timeout=10)


async def test_a_delivery_whose_notice_slack_may_have_posted_posts_none_again_when_sent_again(
    watching_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack posts the notice but its answer is lost: one warning line (not "background task failed" with a
    traceback), and the same delivery sent again posts no second notice."""
    caplog.set_level(logging.INFO)
    url, secret = await watched_hook(watching_bot, team_id=ALICE.team_id, org="acme", database="shop")
    body = _queued(3, updated_at="2026-01-05T10:00:00Z")
    watching_bot.slack.drop_answer("chat.postMessage")
    assert watching_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
    await until(lambda: _logged(caplog, "counted as posted"), timeout=10)
    assert tracebacks(caplog) == []
    assert watching_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
    later = _queued(4, updated_at="2026-01-05T10:01:00Z")  # sent after the replay: once it shows, the replay is done
    assert watching_bot.http.post(url, content=later, headers=signed_delivery(secret, later)).status_code == 200
    await until(lambda: len(_notices(watching_bot.slack, 4)) == 1, timeout=10)
    assert len(_notices(watching_bot.slack, 3)) == 1


async def test_an_opened_delivery_slack_could_not_be_reached_for_tells_everyone_once_when_sent_again(
    apart_bot: RunningBot, web_api_host: WebApiHost, caplog: pytest.LogCaptureFixture
) -> None:
    """Alice follows `shop`'s reviews; Bob opens a deploy request while Slack's Web API is out of reach. Neither her
    direct message nor the channel's notice is sent, each logged in one line (the direct message had been logged
    with a traceback); the delivery sent again once Slack is back sends each once."""
    caplog.set_level(logging.INFO)
    assert apart_bot.planetscale is not None
    assert apart_bot.planetscale.demo is not None
    bob = apart_bot.planetscale.demo.second_admin
    assert "new deploy requests in `shop`" in everything(await reply(apart_bot, "notify on reviews shop"))
    url, secret = await watched_hook(apart_bot, team_id=ALICE.team_id, org="acme", database="shop")
    number = apart_bot.planetscale.world.create_deploy_request(
        "acme", "shop", actor_id=bob.id, branch="add-wishlist"
    ).number
    async with apart_bot.planetscale.client(apart_bot.planetscale.token(bob)) as planetscale:
        path = paths.DEPLOY_REQUEST.format(organization="acme", database="shop", number=number)
        resource = (await planetscale.get(path.removeprefix("/"))).json()
    body = json.dumps({"event": "deploy_request.opened", "organization": "acme", "database": "shop",
                       "resource": {**resource, "type": "DeployRequest"}}).encode()
    with web_api_host.unreachable():
        assert apart_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
        await until(lambda: _logged(caplog, "was not posted"), timeout=10)
    assert _logged(caplog, f"could not tell the reviewers of shop #{number}")
    assert tracebacks(caplog) == []
    assert apart_bot.http.post(url, content=body, headers=signed_delivery(secret, body)).status_code == 200
    await until(lambda: len(_opened(apart_bot.slack, ALICE.channel_id, number)) == 1, timeout=10)
    await until(lambda: apart_bot.runtime.tasks.running == 0)
    assert len(_opened(apart_bot.slack, Workspace.direct_message_id(ALICE.user_id), number)) == 1


def _opened(slack: SlackStandIn, channel: str, number: int) -> list[str]:
    return [m.text for m in slack.messages(channel) if f"shop` #{number}" in m.text or f"shop #{number}" in m.text]


def test_a_deliverys_updated_at_compares_with_what_cards_read_even_without_a_zone() -> None:
    aware = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert updated_at_of("2026-01-05T10:00:00Z") == aware
    assert updated_at_of("2026-01-05T10:00:00") == aware  # taken as UTC, never a naive time that cannot compare
    assert updated_at_of("yesterday") is None
    assert updated_at_of(1767607200) is None


def test_a_delivery_notice_shows_what_planetscale_sent_as_typed_and_links_only_https() -> None:
    payload: dict[str, object] = {
        "event": "deploy_request.schema_applied",
        "resource": {
            "number": 7, "branch": "<!channel>", "into_branch": "main", "deployment_state": "in_progress",
            "html_url": "javascript:alert(1)",
        },
    }
    view = delivery_view(*read_delivery(json.dumps(payload).encode()), database="shop")
    assert view is not None
    notice = render.delivery(view)
    assert notice.text == "`shop` #7 `&lt;!channel&gt;` → `main`: schema applied (deploying)."  # states in words
    assert notice.visibility == "in_channel"
    linked_payload = {**payload, "resource": {"number": 7, "html_url": "https://app.planetscale.com/x"}}
    linked = delivery_view(*read_delivery(json.dumps(linked_payload).encode()), database="shop")
    assert linked is not None
    assert render.delivery(linked).text.endswith(" <https://app.planetscale.com/x|Open in PlanetScale>")
    assert delivery_view(*read_delivery(b'{"event": "branch.ready", "resource": {}}'), database="shop") is None
