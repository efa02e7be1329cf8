"""`/pscale watch DB` over real HTTP: the scope it needs, the webhook it creates, signed deliveries posted once."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render import watch as render
from bot.sandbox.planetscale import paths
from bot.sandbox.slack import SlackStandIn
from bot.web.webhooks import delivery_view, updated_at_of
from tests.support.bot import RunningBot
from tests.support.slack import Actor
from tests.support.webhooks import signed_delivery

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
    body, headers = signed_delivery(secret, payload)
    assert bot.http.post(url, content=body, headers={**headers, "x-planetscale-signature": "0" * 64}).status_code == 401
    assert bot.http.post(f"{url}x", content=body, headers=headers).status_code == 404
    assert bot.http.post(url, content=body, headers=headers).status_code == 200
    posted = await slack_standin.wait_call("chat.postMessage", where=lambda call: "#3" in str(call.args.get("text")))
    assert "queued" in posted.args["text"]
    assert bot.http.post(url, content=body, headers=headers).status_code == 200  # a replay
    later = {**payload, "event": "deploy_request.in_progress",
             "resource": {**payload["resource"], "deployment_state": "in_progress",  # type: ignore[dict-item]
                          "updated_at": "2026-01-05T10:01:00Z"}}
    later_body, later_headers = signed_delivery(secret, later)
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
    view = delivery_view(payload, database="shop")
    assert view is not None
    notice = render.delivery(view)
    assert notice.text == "`shop` #7 `&lt;!channel&gt;` → `main`: schema applied (deploying)."  # states in words
    assert notice.visibility == "in_channel"
    linked = delivery_view({**payload, "resource": {"number": 7, "html_url": "https://app.planetscale.com/x"}},
                           database="shop")
    assert linked is not None
    assert render.delivery(linked).text.endswith(" <https://app.planetscale.com/x|Open in PlanetScale>")
    assert delivery_view({"event": "branch.ready", "resource": {}}, database="shop") is None
