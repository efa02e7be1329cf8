"""Digest fan-out: one `pscale-bot digest --all` run over 1,000 subscriptions, 100 databases and 20 grants.

    .venv/bin/python -m bench.digest_fanout [--databases 100] [--copies 10] [--grants 20] [--channels 50]

The stand-ins are served by this program (tests/support/replicas.py): PlanetScale answers every request 50 ms late
(a latency fault, bot/sandbox/planetscale/faults.py) and Slack paces `chat.postMessage` as Slack does, one message a
second per channel after a burst (bot/sandbox/slack/pacing.py). `--grants` people link their PlanetScale accounts
through a `pscale-bot serve` replica and the real OAuth flow; the replica is then stopped, so the cron run is the
only thing reading. Each database gets `--copies` subscriptions in different channels (of `--channels`), read with
two owners' grants, so the subscriptions name twice as many (grant, database) pairs as there are databases.

Printed: the PlanetScale reads of open deploy requests against the distinct (grant, database) pairs (one read per
pair is the target); the run's wall time, from starting the process until it exits, against the bound the pacing
sets (the longest of: the posts a channel gets beyond Slack's burst, at one a second; the PlanetScale requests at
50 ms each, `READ_CONCURRENCY` at a time; the PlanetScale requests beyond the pacer's burst at its 600 a minute;
target within 1.2 times it); and the process's peak RSS (target
at most 200 MB), with the CPU time it used: what of the wall time was work, not waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import time as clock_time
from pathlib import Path

from bot.digests.schedule import Timing
from bot.digests.service import READ_CONCURRENCY
from bot.digests.store import Subscription, Subscriptions
from bot.planetscale.pacing import DEFAULT_BURST, PLANETSCALE_REQUESTS_PER_MINUTE
from bot.sandbox.planetscale import World, paths, seed_demo
from bot.sandbox.slack import SlackChannel
from bot.sandbox.slack.pacing import POST_BURST, POSTS_PER_SECOND
from bot.sandbox.slack.workspace import SlackUser
from bot.storage import open_database
from tests.support.replicas import replicas_on
from tests.support.slack import Actor, serve_slack_standin

LATENCY_SECONDS = 0.05
ORG = "acme"
DIGEST_TIME = Timing(at=clock_time(11, 0), tz="Europe/Berlin", daily=False)
OWNERS_PER_DATABASE = 2


async def _subscribe_all(database_url: str, subscriptions: list[Subscription]) -> None:
    database = await open_database(database_url)
    try:
        store = Subscriptions(database)
        for subscription in subscriptions:
            await store.subscribe(subscription)
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", type=int, default=100)
    parser.add_argument("--copies", type=int, default=10, help="subscriptions per database")
    parser.add_argument("--grants", type=int, default=20)
    parser.add_argument("--channels", type=int, default=50)
    args = parser.parse_args()
    if args.copies > args.channels:
        raise SystemExit("--copies must not exceed --channels: a channel subscribes to a database once")
    world = World()
    seed_demo(world)  # the organization the subscriptions name
    people = [Actor(user_id=f"U0GRANT{n:04d}", user_name=f"grant{n}") for n in range(args.grants)]
    accounts = [world.add_user(f"Grant {n}") for n in range(args.grants)]
    with world.lock:
        for account in accounts:
            world.organizations[ORG].members[account.id] = "member"
    databases = [f"db-{n:03d}" for n in range(args.databases)]
    for name in databases:
        world.add_database(ORG, name)
    channels = [f"C0FAN{n:05d}" for n in range(args.channels)]
    subscriptions = []
    for number, name in enumerate(databases):
        for copy in range(args.copies):
            owner = people[(number + copy * OWNERS_PER_DATABASE // args.copies) % len(people)]
            channel = channels[(number * args.copies + copy) % len(channels)]
            subscriptions.append(Subscription(Actor.team_id, channel, ORG, name, owner.user_id, DIGEST_TIME))
    pairs = {(s.owner_id, s.database) for s in subscriptions}
    per_channel = Counter(s.channel_id for s in subscriptions)

    with tempfile.TemporaryDirectory() as scratch, serve_slack_standin(audited=False) as slack:
        folder = Path(scratch)
        for person, account in zip(people, accounts, strict=True):
            slack.add_user(SlackUser(id=person.user_id, name=person.user_name, real_name=account.name,
                                     email=account.email))
        for channel in channels:
            slack.add_channel(SlackChannel(id=channel, name=channel.lower(), members={p.user_id for p in people}))
        database_url = str(folder / "bot.sqlite3")
        with replicas_on(database_url, slack=slack, world=world, cwd=folder) as group:
            (replica,) = group.start(1)
            for person, account in zip(people, accounts, strict=True):
                group.link(replica, person, planetscale_user_id=account.id)
            replica.stop()
            asyncio.run(_subscribe_all(database_url, subscriptions))
            world.faults.latency(seconds=LATENCY_SECONDS)
            reads_before = len(group.planetscale.calls("GET", paths.DEPLOY_REQUESTS))
            requests_before = len(group.planetscale.calls())
            posts_before = len(slack.calls)
            started = time.perf_counter()
            with (folder / "digest.out").open("wb") as out, (folder / "digest.err").open("wb") as err:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot", "digest", "--all"], cwd=folder, env=group.environment,
                    stdout=out, stderr=err,
                )
                # wait4, not wait: the child's own resource usage, its peak RSS among it.
                _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - started
            exit_code = os.waitstatus_to_exitcode(status)
            output = (folder / "digest.out").read_text().strip()
            refusals = [line for line in (folder / "digest.err").read_text().splitlines()
                        if line.startswith("pscale-bot: digest: not posted:")]
            reads = len(group.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) - reads_before
            requests = len(group.planetscale.calls()) - requests_before
            slack_calls = slack.calls.snapshot()[posts_before:]
    posts = [call for call in slack_calls if call.method == "chat.postMessage"]
    limited = [call for call in posts if call.status == 429]
    slack_bound = max(max(0, count - POST_BURST) / POSTS_PER_SECOND for count in per_channel.values())
    latency_bound = requests * LATENCY_SECONDS / READ_CONCURRENCY
    # The bot's pacer keeps PlanetScale within its 600 a minute: a burst, then the rest of the minute's allowance.
    rate_bound = max(0, requests - DEFAULT_BURST) * 60 / (PLANETSCALE_REQUESTS_PER_MINUTE - DEFAULT_BURST)
    planetscale_bound = max(latency_bound, rate_bound)
    bound = max(slack_bound, planetscale_bound)
    print(f"digest fan-out: {len(subscriptions)} subscriptions, {args.databases} databases, {args.grants} grants, "
          f"{args.channels} channels ({max(per_channel.values())} digests in the busiest); PlanetScale +"
          f"{LATENCY_SECONDS * 1000:.0f} ms a request, Slack 1 post/s per channel after a burst of {POST_BURST}")
    print(f"  `pscale-bot digest --all` exited {exit_code}: {output}"
          + (f"; the first: {refusals[0].split(': ', 3)[3].split(';')[0]}" if refusals else ""))
    print(f"  PlanetScale: {reads} reads of open deploy requests for {len(pairs)} distinct (grant, database) pairs "
          f"(target: equal); {requests} requests in all")
    print(f"  Slack: {len(posts)} chat.postMessage calls, {len(limited)} answered 429")
    print(f"  wall time {wall:.1f} s (process start to exit) against a pacing bound of {bound:.1f} s "
          f"(Slack {slack_bound:.1f} s, PlanetScale {planetscale_bound:.1f} s: {latency_bound:.1f} s of latency, "
          f"{rate_bound:.1f} s of its {PLANETSCALE_REQUESTS_PER_MINUTE} a minute): {wall / bound:.2f}x (target ≤ 1.2x)"
          if bound else f"  wall time {wall:.1f} s (process start to exit); the pacing sets no bound")
    print(f"  the digest process used {usage.ru_utime + usage.ru_stime:.1f} s of CPU (user + system); "
          f"peak RSS {usage.ru_maxrss / 1024:.1f} MB (target ≤ 200 MB)")


if __name__ == "__main__":
    main()
