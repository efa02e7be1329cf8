"""Card clicks: how fast is a click acked, and how many PlanetScale calls do many simultaneous Deploy clicks make?

    .venv/bin/python -m bench.card_clicks [--clicks 300] [--racers 16]

The bot runs as in production (build_runtime + create_web_app under uvicorn) against the Slack stand-in and the
PlanetScale stand-in (seeded demo world). First, `--clicks` sequential signed `dr_refresh` clicks on one card: the
ack round trip over loopback HTTP (the refresh itself runs after the ack). Then `--racers` threads click Deploy on
the same drawing of a card at once; the figure to watch is how many deploy calls reached PlanetScale (one).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import tempfile
import time
from pathlib import Path

import httpx

from bench.acks import print_percentiles, time_acks
from bot.sandbox.planetscale import World, paths, seed_demo
from bot.sandbox.slack.workspace import StoredMessage
from tests.conftest import BOB_ACTOR
from tests.support.bot import RunningBot, run_bot
from tests.support.cards import WithSlack, click_request
from tests.support.slack import Actor, serve_slack_standin

ALICE = Actor()


def _post_card(bot: RunningBot, text: str) -> StoredMessage:
    since = len(bot.slack.calls)
    bot.command(text)
    call = bot.slack.wait_call_blocking(
        "chat.postMessage", where=lambda c: not c.args.get("thread_ts"), since=since, timeout=10
    )
    return bot.slack.workspace.message(ALICE.channel_id, str(call.response["ts"]))


def settled(bot: WithSlack, ts: str, *, showing: str, replies_since: int, quiet_seconds: float = 1.0) -> StoredMessage:
    """The card once it shows `showing` and has not been redrawn for `quiet_seconds` (the refreshes have settled).
    If it never does, the failure quotes the replies posted since index `replies_since` of the response_url posts
    (taken before the clicks): what the clickers were told is what says why."""
    deadline = time.monotonic() + 30
    last, quiet_since = "", time.monotonic()
    while time.monotonic() < deadline:
        card = bot.slack.workspace.message(ALICE.channel_id, ts)
        drawing = str(card.blocks)
        if drawing != last:
            last, quiet_since = drawing, time.monotonic()
        elif showing in drawing and time.monotonic() - quiet_since >= quiet_seconds:
            return card
        time.sleep(0.05)
    told = [str((post.body or {}).get("text", "")) for post in bot.slack.response_posts[replies_since:]]
    raise SystemExit(f"the card never settled showing {showing!r}; replies since the clicks: {told}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=300)
    parser.add_argument("--racers", type=int, default=16)
    args = parser.parse_args()
    world = World()
    demo = seed_demo(world)
    with tempfile.TemporaryDirectory() as data, serve_slack_standin() as slack, run_bot(
        slack=slack, data_dir=Path(data), planetscale=world
    ) as bot, httpx.Client() as http:
        bot.link(ALICE, planetscale_user_id=demo.admin.id)
        bot.link(BOB_ACTOR, planetscale_user_id=demo.second_admin.id)
        url = f"{bot.base_url}/slack/events"
        card = _post_card(bot, "dr post shop 1")
        samples = time_acks(http, url, lambda: click_request(bot, card, "dr_refresh", actor=ALICE), count=args.clicks)
        print_percentiles(
            f"dr_refresh: {len(samples)} sequential signed clicks, ack round trip over loopback HTTP", samples
        )

        world.review_deploy_request("acme", "shop", 1, actor_id=demo.second_admin.id, state="approved")
        refresh = click_request(bot, card, "dr_refresh", actor=ALICE)  # an approval in the web app: Refresh shows it
        replies = len(bot.slack.response_posts)
        http.post(url, content=refresh.body, headers=refresh.headers)
        card = settled(bot, card.ts, showing="Approved by", replies_since=replies)
        before = len([r for r in world.requests if r.method == "POST" and r.template == paths.DEPLOY])
        racers = [click_request(bot, card, "dr_deploy", actor=(ALICE, BOB_ACTOR)[i % 2]) for i in range(args.racers)]

        def send(index: int) -> int:
            with httpx.Client(timeout=10) as client:
                return client.post(url, content=racers[index].body, headers=racers[index].headers).status_code

        replies = len(bot.slack.response_posts)
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.racers) as pool:
            statuses = list(pool.map(send, range(args.racers)))
        settled(bot, card.ts, showing="Starting the deployment", replies_since=replies)
        deploys = len([r for r in world.requests if r.method == "POST" and r.template == paths.DEPLOY]) - before
        print(f"dr_deploy: {args.racers} simultaneous clicks on one drawing (acks {sorted(set(statuses))}) made "
              f"{deploys} deploy call(s) to PlanetScale")


if __name__ == "__main__":
    main()
