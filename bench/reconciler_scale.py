"""Reconciler at scale: PlanetScale requests in one real minute with 2,000 open cards over 200 deploy requests.

    .venv/bin/python -m bench.reconciler_scale [--requests 200] [--cards-per-request 10] [--seconds 60] [--all-due]

A `pscale-bot serve` replica (tests/support/replicas.py) runs as in production against the stand-ins served here,
its reconciler on (`refresh_due` every 2 s, then now and then the look for new deploy requests). Alice links her
PlanetScale account through it. The deploy requests are open and wait for review, so the schedule
(bot/deploy_requests/lifecycle.py) reads each again every 5 minutes. Each is read once here to draw its cards, and
its `--cards-per-request` cards are stored as posted (bot/cards/store.py), with their next reads spread evenly over
the next 5 minutes, as cards posted at different times are; the measured minute starts once they are stored.
`--all-due`: every card falls due at once instead, as after an outage: the window then shows the reconciler catching
up, held to the pacer's background share (half of PlanetScale's 600 a minute, bot/planetscale/pacing.py).

Printed: the PlanetScale requests the replica made in the window, against what the schedule implies when each deploy
request is read once per interval however many cards show it (in the long run, and in this window: every deploy
request has a card due within the first interval, so a window longer than one interval holds a second read of
each), and when each card is read on its own; the reads of each deploy request against its cards' due times (more
shows a read the schedule did not call for, fewer one that fell behind); the requests of the window's last interval
alone; any request that is not part of reading a deploy request; how many cards were read and how many were overdue
at the end; and the room left under PlanetScale's 600 requests a minute for people's commands.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.cards.store import Cards
from bot.deploy_requests.lifecycle import refresh_seconds
from bot.deploy_requests.summary import Snapshot, read_snapshot
from bot.planetscale import PlanetScaleClient
from bot.planetscale.pacing import Pacer
from bot.sandbox.planetscale import World, paths, seed_demo
from bot.storage import open_database
from tests.support.planetscale import ServedPlanetScale
from tests.support.replicas import replicas_on, sqlite_rows
from tests.support.slack import Actor, serve_slack_standin

ALICE = Actor()
ORG = "acme"
REQUESTS_PER_DATABASE = 10
PLANETSCALE_PER_MINUTE = 600  # docs/reference/planetscale-api.md: "600 requests per minute"
SETTLE_SECONDS = 5.0
# What reading one deploy request asks PlanetScale (bot/deploy_requests/summary.py `read_snapshot`).
READ_TEMPLATES = frozenset({paths.DEPLOY_REQUEST, paths.REVIEWS, paths.OPERATIONS, paths.DATABASE, paths.MEMBERS})


class IssuedToken:
    """A token the stand-in issued to this program: for drawing the cards before the replica keeps them current."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def refresh_after_unauthorized(self, rejected_token: str) -> str:
        raise SystemExit("the stand-in refused the token it issued")


def _add_requests(world: World, author_id: str, count: int) -> list[tuple[str, int]]:
    made = []
    for index in range(count):
        database = f"busy-{index // REQUESTS_PER_DATABASE:02d}"
        if index % REQUESTS_PER_DATABASE == 0:
            world.add_database(ORG, database)
        branch = f"change-{index:03d}"
        world.create_branch(ORG, database, name=branch, actor_id=author_id)
        world.change_schema(ORG, database, branch, table=f"t{index}", ddl=f"CREATE TABLE t{index} (id int)",
                            create_sql=f"CREATE TABLE t{index} (id int)")
        made.append((database, world.create_deploy_request(ORG, database, actor_id=author_id, branch=branch).number))
    return made


def _first_due(index: int, total: int, interval: float, *, all_due: bool) -> float:
    """Seconds from now until card `index` of `total` falls due: spread over one interval, or all at once."""
    return SETTLE_SECONDS if all_due else SETTLE_SECONDS + interval * index / total


async def _store_cards(
    database_url: str, planetscale: ServedPlanetScale, author_id: str, requests: list[tuple[str, int]], copies: int,
    *, all_due: bool,
) -> tuple[float, int]:
    """Read each deploy request once and store `copies` posted cards of it; (interval in s, requests per read)."""
    before = len(planetscale.calls())
    # The stand-in does not limit this program; the bot's 600-a-minute pacing would only slow the drawing down.
    unpaced = Pacer(requests_per_minute=len(requests) * 100, burst=len(requests) * 50)
    async with PlanetScaleClient(base_url=planetscale.base_url, pacer=unpaced) as client:
        api = client.as_user(IssuedToken(planetscale.token(author_id)))
        now = datetime.now(UTC)
        snapshots: list[Snapshot] = [  # one at a time: the stand-in shares this machine's two cores
            await read_snapshot(api, org=ORG, database=db, number=number, now=now) for db, number in requests
        ]
    per_read = (len(planetscale.calls()) - before) // len(requests)
    intervals = {refresh_seconds(snapshot) for snapshot in snapshots}
    if len(intervals) != 1 or None in intervals:
        raise SystemExit(f"the deploy requests are not all on one schedule: {intervals}")
    (interval,) = intervals
    assert interval is not None
    database = await open_database(database_url)
    try:
        cards = Cards(database)
        total = len(snapshots) * copies
        for index in range(total):
            card = await cards.add(
                snapshots[index % len(snapshots)], team_id=ALICE.team_id, channel_id=ALICE.channel_id, org=ORG,
                reader_id=ALICE.user_id, refresh_in=_first_due(index, total, interval, all_due=all_due),
            )
            await cards.set_ts(card.card_id, f"1767000000.{index:06d}")
    finally:
        await database.close()
    return interval, per_read


def _due_moments(first: float, interval: float, start: float, end: float) -> int:
    """How many of first, first + interval, first + 2 × interval, … fall in [start, end)."""
    if first >= end:
        return 0
    before_start = max(0, math.ceil((start - first) / interval))
    return max(0, math.ceil((end - first) / interval) - before_start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="open deploy requests")
    parser.add_argument("--cards-per-request", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to watch the replica")
    parser.add_argument("--all-due", action="store_true", help="every card due at once, as after an outage")
    args = parser.parse_args()
    world = World()
    demo = seed_demo(world)
    requests = _add_requests(world, demo.admin.id, args.requests)
    total_cards = args.requests * args.cards_per_request
    with tempfile.TemporaryDirectory() as scratch, serve_slack_standin(audited=False) as slack:
        folder = Path(scratch)
        database_file = folder / "bot.sqlite3"
        with replicas_on(str(database_file), slack=slack, world=world, cwd=folder) as group:
            (replica,) = group.start(1)
            group.link(replica, ALICE, planetscale_user_id=demo.admin.id)
            interval, per_read = asyncio.run(
                _store_cards(str(database_file), group.planetscale, demo.admin.id, requests, args.cards_per_request,
                             all_due=args.all_due)
            )
            started = time.time()
            calls_before = len(group.planetscale.calls())
            # The replica reads the cards that fell due while the rest were still being stored: before the window.
            early_reads = len(group.planetscale.calls("GET", paths.DEPLOY_REQUEST)) - len(requests)
            # The last `interval` of the window is measured on its own too: by then the first reads have set each
            # deploy request's pace, and each is due once in it.
            steady_seconds = interval if args.seconds >= interval + interval / 10 else 0.0
            time.sleep(args.seconds - steady_seconds)
            steady_before = len(group.planetscale.calls())
            time.sleep(steady_seconds)
            window = group.planetscale.calls()[calls_before:]
            calls = len(window)
            steady_calls = len(window) - (steady_before - calls_before)
            ended = time.time()
            [(read,)] = sqlite_rows(database_file, "SELECT count(*) FROM cards WHERE refreshed_at >= ?", (started,))
            [(overdue,)] = sqlite_rows(
                database_file, "SELECT count(*) FROM cards WHERE next_refresh_at < ?", (ended - 1,)
            )
            replica.stop()
    minutes = args.seconds / 60
    reads = Counter(call.path for call in window if call.method == "GET" and call.template == paths.DEPLOY_REQUEST)
    # Card i (of request i % requests) falls due `_first_due(i)` in, so request r's earliest card is card r: the
    # schedule reads it then, and every `interval` after.
    first_due = {
        "/v1" + paths.DEPLOY_REQUEST.format(organization=ORG, database=db, number=number):
            _first_due(index, total_cards, interval, all_due=args.all_due)
        for index, (db, number) in enumerate(requests)
    }
    implied = {path: _due_moments(first, interval, 0, args.seconds) for path, first in first_due.items()}
    steady_implied = sum(
        _due_moments(first, interval, args.seconds - steady_seconds, args.seconds) for first in first_due.values()
    )
    beyond = Counter(reads[path] - due for path, due in implied.items())
    others = Counter(call.template for call in window if call.template not in READ_TEMPLATES)
    per_request = args.requests * 60 / interval * per_read
    per_card = total_cards * 60 / interval * per_read
    print(f"reconciler: {total_cards} open cards over {args.requests} deploy requests awaiting review "
          f"(read again every {interval:.0f} s; {per_read} PlanetScale requests a read), one replica, "
          f"{args.seconds:.0f} s watched")
    print(f"  PlanetScale requests: {calls / minutes:.0f} a minute; the schedule implies {per_request:.0f} a minute "
          f"reading each deploy request once an interval, {per_card:.0f} reading each card on its own")
    print(f"  deploy requests read {sum(reads.values())} times; their cards' due times imply {sum(implied.values())} "
          f"in the window (each from its earliest due card, then every {interval:.0f} s: "
          f"{sum(implied.values()) * per_read / minutes:.0f} requests a minute); reads beyond that, per deploy "
          "request: " + ", ".join(f"{extra:+d}: {count}" for extra, count in sorted(beyond.items()))
          + (f" ({early_reads} deploy requests were read by the replica before the window, while the cards were"
             " being stored)" if early_reads else ""))
    if steady_seconds:
        print(f"  the last {steady_seconds:.0f} s: {steady_calls * 60 / steady_seconds:.0f} requests a minute; "
              f"the due times imply {steady_implied * per_read * 60 / steady_seconds:.0f}")
    print("  requests other than reading a deploy request: "
          + (", ".join(f"{template} {count}" for template, count in others.most_common()) or "none"))
    fell_due = sum(
        _first_due(index, total_cards, interval, all_due=args.all_due) < args.seconds for index in range(total_cards)
    )
    print(f"  cards read in the window: {read} of the {fell_due} that fell due in it; {overdue} overdue at the end")
    room = PLANETSCALE_PER_MINUTE - calls / minutes
    print(f"  PlanetScale allows {PLANETSCALE_PER_MINUTE} a minute: "
          + (f"{room:.0f} a minute left for commands" if room > 0 else f"over by {-room:.0f} a minute"))


if __name__ == "__main__":
    main()
