"""Reply latency of `branch list` on a 1,000-branch database, PlanetScale answering every request 50 ms late.

    .venv/bin/python -m bench.reply_latency [--commands 20] [--branches 1000] [--text "branch list analytics"]

Starts `pscale-bot serve` as an operator would (SQLite, the Slack and PlanetScale stand-ins served by this program,
Alice linked through the real OAuth flow: tests/support/replicas.py), gives the demo database `analytics`
`--branches` branches in the PlanetScale stand-in, tells the stand-in to answer every API request 50 ms late (a
latency fault, bot/sandbox/planetscale/faults.py), then sends `--commands` signed `/pscale` commands one after
another, each waiting for its final reply through `response_url` before the next is sent.

Just before each command, the same page is read with a plain GET from this process: one round trip as the
stand-in and loopback HTTP serve it at that moment (the 50 ms, plus the stand-in drawing the page and HTTP both
ways, in a process that also serves the Slack stand-in), so what the reply takes beyond it is the bot's.

Printed for each command: that round trip; the ack's round trip; the time from sending the command until its final
`response_url` reply arrived at the Slack stand-in; the PlanetScale API requests the command made (and, for the
first, which); the bot process's CPU time for the command. The baseline is one round trip plus the time the pure
renderer takes to draw that reply, measured here in-process on the same data the bot read (the page the stand-in
served, parsed by the bot's own model): p50 of the replies against p50 of the round trips, and the target, the
final reply within 1.2x the baseline. Also printed against the nominal round trip, the 50 ms alone, which leaves
the stand-in's own serving time to the bot's account.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.footprint import cpu_seconds
from bot.commands.branches import branch_list_view
from bot.planetscale import endpoints as ep
from bot.sandbox.planetscale import World, paths, seed_demo
from tests.support.bot import SIGNING_SECRET
from tests.support.replicas import replicas_on
from tests.support.slack import Actor, serve_slack_standin, slash_command

ALICE = Actor()
LATENCY_SECONDS = 0.05
TARGET_RATIO = 1.2
DATABASE = "analytics"
RENDER_REPEATS = 200


def render_seconds(page_body: bytes, *, org: str, db: str) -> float:
    """The median time the pure renderer takes to draw the reply from the page the stand-in served."""
    page = ep.LIST_BRANCHES.response.model_validate_json(page_body)
    timings = []
    for _ in range(RENDER_REPEATS):
        started = time.perf_counter()
        branch_list_view(org, db, page)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=20)
    parser.add_argument("--branches", type=int, default=1000)
    parser.add_argument("--text", default=f"branch list {DATABASE}")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    world = World()
    demo = seed_demo(world)
    existing = len(world.database_for(demo.admin.id, "acme", DATABASE).branches)
    world.add_many_branches("acme", DATABASE, max(0, args.branches - existing))
    rows: list[tuple[float, float, float, int, float]] = []
    first_requests: list[str] = []
    render = 0.0
    with tempfile.TemporaryDirectory() as scratch, serve_slack_standin(audited=False) as slack:
        folder = Path(scratch)
        with replicas_on(str(folder / "bot.sqlite3"), slack=slack, world=world, cwd=folder) as group, \
                httpx.Client(timeout=30) as http:
            (bot,) = group.start(1)
            group.link(bot, ALICE, planetscale_user_id=demo.admin.id)
            world.faults.latency(seconds=LATENCY_SECONDS)
            token = group.planetscale.token(demo.admin)
            page_url = f"{group.planetscale.base_url}/organizations/acme/databases/{DATABASE}/branches"
            for index in range(args.commands):
                round_trip = plain_get_seconds(http, page_url, token)
                response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
                signed = slash_command(signing_secret=SIGNING_SECRET, text=args.text, response_url=response_url,
                                       actor=ALICE)
                requests_before = len(group.planetscale.calls())
                replies_before = len(slack.response_posts)
                cpu_before = cpu_seconds(bot)
                sent = time.perf_counter()
                ack = http.post(f"{bot.url}/slack/events", content=signed.body, headers=signed.headers)
                acked = time.perf_counter()
                if ack.status_code != 200:
                    raise SystemExit(f"the command was answered {ack.status_code}: {ack.text[:200]}")
                reply = slack.response_posts.wait_blocking(None, since=replies_before, timeout=30)
                if reply.body is None or "Branches of" not in str(reply.body.get("text")):
                    raise SystemExit(f"the reply is not the list: {reply.body}")
                time.sleep(0.2)  # anything the command still sends after its reply is counted with it
                made = group.planetscale.calls()[requests_before:]
                rows.append(
                    (round_trip, acked - sent, reply.received_at - sent, len(made), cpu_seconds(bot) - cpu_before)
                )
                if index == 0:
                    first_requests = [f"{record.method} {record.template}?{record.query}" for record in made]
                    listed = [record for record in made if record.template == paths.BRANCHES]
                    render = render_seconds(listed[-1].response_body, org="acme", db=DATABASE)
    round_trips = [round_trip for round_trip, *_ in rows]
    acks = [ack for _, ack, *_ in rows]
    replies = [reply for _, _, reply, *_ in rows]
    baseline = statistics.median(round_trips) + render
    nominal = LATENCY_SECONDS + render
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"reply latency: `/pscale {args.text}`, {args.branches:,} branches, PlanetScale +"
          f"{LATENCY_SECONDS * 1000:.0f} ms a request; `pscale-bot serve` on SQLite, commands one after another")
    print(f"  the first command's PlanetScale requests: {', '.join(first_requests) or 'none'}")
    print(f"  baseline: one round trip {statistics.median(round_trips) * 1000:.1f} ms (p50 of a plain GET of the page "
          f"before each command; nominal {LATENCY_SECONDS * 1000:.0f} ms) + rendering {render * 1000:.2f} ms "
          f"= {baseline * 1000:.1f} ms")
    print(f"  {'#':>3} {'round trip':>11} {'ack':>8} {'reply':>9} {'beyond':>9} {'requests':>9} {'bot CPU':>9}")
    for number, (round_trip, ack_s, reply_s, requests, cpu) in enumerate(rows, 1):
        print(f"  {number:>3} {round_trip * 1000:>8.1f} ms {ack_s * 1000:>5.1f} ms {reply_s * 1000:>6.1f} ms "
              f"{(reply_s - round_trip) * 1000:>6.1f} ms {requests:>9} {cpu * 1000:>6.0f} ms")
    p50, worst = statistics.median(replies), max(replies)
    later = rows[1:] or rows  # the first may also look up the account's organization
    print(f"  bot CPU a command (user + system, mean of commands 2 to {len(rows)}): "
          f"{statistics.mean(cpu for *_, cpu in later) * 1000:.1f} ms; load average {' '.join(load_before)} "
          f"before, {' '.join(load_after)} after")
    print(f"  ack p50 {statistics.median(acks) * 1000:.1f} ms, max {max(acks) * 1000:.1f} ms; requests a command: "
          f"{statistics.median(r for *_, r, _ in rows):g} (median)")
    print(f"  final reply p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms; beyond the round trip just before it: "
          f"p50 {statistics.median(reply - trip for trip, _, reply, *_ in rows) * 1000:.1f} ms")
    print(f"  against the nominal baseline ({nominal * 1000:.1f} ms): p50 {p50 / nominal:.2f}x")
    print(f"  target: final reply within {TARGET_RATIO}x the baseline ({baseline * TARGET_RATIO * 1000:.1f} ms): p50 "
          f"{p50 / baseline:.2f}x, " + ("met" if p50 <= baseline * TARGET_RATIO else "not met"))


def plain_get_seconds(http: httpx.Client, page_url: str, token: str) -> float:
    """One round trip: the page `branch list` reads, with nothing of the bot in the way."""
    started = time.perf_counter()
    answer = http.get(page_url, params={"page": 1, "per_page": 25}, headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
