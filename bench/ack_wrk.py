"""Acks under load, against the least a bolt app can do: `wrk` against two server processes, side by side.

    .venv/bin/python -m bench.ack_wrk [--seconds 5] [--connections 50] [--rounds 3]
                                      [--text help --text "branch list shop"] [--no-clicks]

Starts `pscale-bot serve` (SQLite, against the Slack and PlanetScale stand-ins served by this program, Alice
linked to the demo organization) and `bench/bare_bolt.py`, each in its own process. For each command text, one
signed request body is sent over and over by `wrk` (https://github.com/wg/wrk): once on 1 connection (latency),
once on `--connections` connections (throughput), at the bare app and then at the bot, `--rounds` times over; the
table compares medians and shows each round's ratio. The signature covers a
timestamp taken just before each run, which Slack's 5-minute window (docs/reference) accepts for the whole run.

Commands that need PlanetScale answer through `response_url` after the ack; the bot's process does that work while
it acks. PlanetScale's 600 requests a minute let about ten a second through: once one person's earlier commands
queue for longer than a command may wait, the bot answers the next ones in the ack ("backlogged", counted from its
`/metrics`) instead of queueing them too. Before the next run, this program waits until every command that was
queued has had its reply, so one run's follow-ups do not load the next.

Besides wrk's figures it prints each server's CPU time per request during the run (user + system, from `/proc`),
the figure that decides throughput on a machine whose cores are shared, and which moves far less with other load
than the latencies do.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import median

import httpx

from bench.card_clicks import settled
from bot.sandbox.planetscale import World, paths, seed_demo
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET
from tests.support.cards import click_request
from tests.support.replicas import Replica, Replicas, environment, replicas_on
from tests.support.servers import free_port
from tests.support.slack import Actor, SignedRequest, serve_slack_standin, slash_command

ALICE = Actor()
REPLIES_SECONDS = 60.0  # generous: 14 s for the slowest follow-up, then the stand-in working through the replies
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkRun:
    p50_ms: float
    p99_ms: float
    requests: int
    per_second: float
    cpu_ms_per_request: float = 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk_measured(wrk: str, url: str, request: SignedRequest, *, pid: int, connections: int, seconds: float,
                     folder: Path, delay_ms: int = 0) -> WrkRun:
    """`run_wrk`, with the server's CPU time per request over the run."""
    before = cpu_seconds(pid)
    run = run_wrk(wrk, url, request, connections=connections, seconds=seconds, folder=folder, delay_ms=delay_ms)
    spent = cpu_seconds(pid) - before
    return replace(run, cpu_ms_per_request=spent * 1000 / max(run.requests, 1))


def backlogged(bot_url: str) -> int:
    """How many `/pscale` commands the bot has answered at once as backlogged (its /metrics counter)."""
    text = httpx.get(f"{bot_url}/metrics", timeout=5).text
    return sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
               if line.startswith("pscale_bot_commands_total{") and 'outcome="backlogged"' in line)


def lua_script(request: SignedRequest, url: str, *, delay_ms: int = 0) -> str:
    """wrk's script: the same signed POST on every request (wrk takes headers and body only from Lua), each
    `delay_ms` after the previous answer if given (wrk's `delay()` hook)."""

    def quoted(value: str | bytes) -> str:
        raw = value.encode() if isinstance(value, str) else value
        return '"' + "".join(f"\\{byte:03d}" for byte in raw) + '"'

    lines = ['wrk.method = "POST"', f"wrk.body = {quoted(request.body)}"]
    lines += [f"wrk.headers[{quoted(name)}] = {quoted(value)}" for name, value in request.headers.items()]
    if delay_ms:
        lines.append(f"function delay() return {delay_ms} end")
    return "\n".join(lines) + "\n"


def run_wrk(wrk: str, url: str, request: SignedRequest, *, connections: int, seconds: float, folder: Path,
            delay_ms: int = 0) -> WrkRun:
    script = folder / "request.lua"
    script.write_text(lua_script(request, url, delay_ms=delay_ms))
    threads = min(connections, 2)
    completed = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=False, timeout=seconds + 60,
    )
    output = completed.stdout
    if completed.returncode != 0 or "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk against {url} did not get only 200s:\n{output}{completed.stderr}")
    return WrkRun(
        p50_ms=_latency(output, "50%"),
        p99_ms=_latency(output, "99%"),
        requests=int(_found(r"(\d+) requests in", output)),
        per_second=float(_found(r"Requests/sec:\s+([\d.]+)", output)),
    )


def _found(pattern: str, output: str) -> str:
    match = re.search(pattern, output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"no {pattern!r} in wrk's output:\n{output}")
    return match.group(1)


def _latency(output: str, percentile: str) -> float:
    shown = _found(rf"^\s+{percentile}\s+(\S+)$", output)
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", shown)
    if match is None:
        raise SystemExit(f"cannot read wrk's latency {shown!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@contextmanager
def bare_bolt(cwd: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**environment({}, cwd), "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    process = subprocess.Popen([sys.executable, "-m", "bench.bare_bolt", "--port", str(port)], env=env,
                               cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("bench/bare_bolt.py did not start") from None
                time.sleep(0.05)
        yield url + "/slack/events", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_for_replies(slack: SlackStandIn, *, before: int, expected: int) -> float:
    """Seconds until `expected` more response_url posts arrived (every acked command answered)."""
    started = time.monotonic()
    while len(slack.response_posts) - before < expected:
        if time.monotonic() - started > REPLIES_SECONDS:
            raise SystemExit(f"only {len(slack.response_posts) - before} of {expected} replies within "
                             f"{REPLIES_SECONDS:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3,
                        help="bare bolt then the bot, this many times over for each command (medians are compared)")
    parser.add_argument("--text", action="append", help="command texts (default: help, branch list shop)")
    parser.add_argument("--no-clicks", action="store_true", help="skip the card clicks (dr_deploy, dr_refresh)")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("bench.ack_wrk needs wrk (Debian/Ubuntu: apt-get install wrk; https://github.com/wg/wrk)",
              file=sys.stderr)
        raise SystemExit(2)
    texts = args.text or ["help", "branch list shop"]
    world = World()
    demo = seed_demo(world)
    table: list[Rounds] = []
    paced: list[str] = []
    with tempfile.TemporaryDirectory() as scratch, serve_slack_standin(audited=False) as slack:
        folder = Path(scratch)
        with replicas_on(str(folder / "bot.sqlite3"), slack=slack, world=world, cwd=folder) as group, \
                bare_bolt(folder) as (bare_url, bare_pid):
            (bot,) = group.start(1)
            group.link(bot, ALICE, planetscale_user_id=demo.admin.id)
            servers = (("bare bolt", bare_url, bare_pid), ("pscale-bot serve", f"{bot.url}/slack/events",
                                                           bot.process.pid))
            for text in texts:
                rounds = Rounds(text)
                # Bare bolt and the bot in turn, round after round: a machine that slows down or speeds up for a
                # while (other work, its CPU's clock) then weighs on both sides of a ratio, not on one.
                for _ in range(args.rounds):
                    for name, url, pid in servers:
                        rounds.add(name, measure_server(wrk, text, name, url, pid, slack=slack, bot=bot,
                                                        connections=args.connections, seconds=args.seconds,
                                                        folder=folder))
                table.append(rounds)
                if rounds.replies_follow:
                    paced.append(measure_paced(wrk, text, servers, slack, bot, seconds=2 * args.seconds,
                                               folder=folder))
            clicks = [] if args.no_clicks else measure_clicks(
                wrk, group, bot, world, demo, bare_url=bare_url, seconds=args.seconds, folder=folder)
    _print_table(table, connections=args.connections, seconds=args.seconds)
    for line in paced + clicks:
        print(line)


@dataclass
class Rounds:
    """One command's runs: per app, each round's 1-connection run and many-connection run."""

    text: str
    runs: dict[str, list[tuple[WrkRun, WrkRun]]] = field(default_factory=dict)
    replies_follow: bool = False

    def add(self, name: str, measured: tuple[WrkRun, WrkRun, bool]) -> None:
        one, many, replies_follow = measured
        self.runs.setdefault(name, []).append((one, many))
        self.replies_follow = self.replies_follow or replies_follow


def measure_server(wrk: str, text: str, name: str, url: str, pid: int, *, slack: SlackStandIn, bot: Replica,
                   connections: int, seconds: float, folder: Path) -> tuple[WrkRun, WrkRun, bool]:
    """One round against one server: on 1 connection, then on `connections`, each after a 1 s warm-up run; and
    whether the command's answers follow through response_url (every one of which is awaited after each run)."""
    response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    runs = []
    replies_follow = False
    for count in (1, connections):
        signed = slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=ALICE)
        # An ack with no body means the answer follows through response_url: wait for those.
        replies_follow = name != "bare bolt" and not httpx.post(
            url, content=signed.body, headers=signed.headers, timeout=10).content
        if replies_follow:  # and for that one's reply, so that the runs start with no queue
            wait_for_replies(slack, before=len(slack.response_posts) - 1, expected=1)
        for run_seconds in (1, seconds):  # a warm-up run, then the measured one
            before, answered_at_once = len(slack.response_posts), backlogged(bot.url)
            run = run_wrk_measured(wrk, url, signed, pid=pid, connections=count, seconds=run_seconds,
                                   folder=folder)
            if replies_follow:
                at_once = backlogged(bot.url) - answered_at_once
                waited = wait_for_replies(slack, before=before, expected=run.requests - at_once)
                print(f"  {text!r} x{run.requests} on {count} connection(s): {run.requests - at_once} queued for "
                      f"PlanetScale, every reply delivered {waited:.1f} s after the run; {at_once} answered in the "
                      "ack as backlogged", file=sys.stderr)
        runs.append(run)
    return runs[0], runs[1], replies_follow


def measure_paced(wrk: str, text: str, servers: Sequence[tuple[str, str, int]], slack: SlackStandIn, bot: Replica, *,
                  seconds: float, folder: Path) -> str:
    """The ack of a command that is let through: one connection, each request 150 ms after the previous answer,
    under PlanetScale's ten a second, so none queues long enough to be answered as backlogged."""
    delay_ms = 150
    figures = []
    for name, url, pid in servers:
        response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
        signed = slash_command(signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=ALICE)
        before, answered_at_once = len(slack.response_posts), backlogged(bot.url)
        run = run_wrk_measured(wrk, url, signed, pid=pid, connections=1, seconds=seconds, folder=folder,
                               delay_ms=delay_ms)
        figures.append(run)
        if name != "bare bolt":
            at_once = backlogged(bot.url) - answered_at_once
            wait_for_replies(slack, before=before, expected=run.requests - at_once)
            bare = figures[0]
            return (f"{text!r} paced (1 connection, {delay_ms} ms between requests, {seconds:g} s): bare bolt p50 "
                    f"{bare.p50_ms:.2f} ms, pscale-bot p50 {run.p50_ms:.2f} ms = {run.p50_ms / bare.p50_ms:.2f}× "
                    f"({run.requests} acks, {at_once} backlogged; CPU {bare.cpu_ms_per_request:.2f} vs "
                    f"{run.cpu_ms_per_request:.2f} ms/request, the bot's including the replies of the run)")
    raise SystemExit("measure_paced needs the bare app and the bot")


def measure_clicks(wrk: str, group: Replicas, bot: Replica, world: World, demo: DemoWorld, *, bare_url: str,
                   seconds: float, folder: Path) -> list[str]:
    """Clicks on one card of `dr post shop 1`, approved in PlanetScale: Deploy on one drawing over and over (the
    figure to watch besides the ack: how many deploy calls reached PlanetScale), then Refresh."""
    slack = group.slack
    since = len(slack.calls)
    group.command(bot, "dr post shop 1", actor=ALICE)
    posted = slack.wait_call_blocking(
        "chat.postMessage", where=lambda call: not call.args.get("thread_ts"), since=since, timeout=10)
    card = slack.workspace.message(ALICE.channel_id, str(posted.response["ts"]))
    world.review_deploy_request("acme", "shop", 1, actor_id=demo.second_admin.id, state="approved")
    replies = len(slack.response_posts)
    # Clicked as soon as Slack has the card, maybe before the bot has heard its ts: a click then must still act.
    bot.post_events(click_request(group, card, "dr_refresh", actor=ALICE))
    card = settled(group, card.ts, showing="Approved by", replies_since=replies)

    def deploys() -> int:
        return len([r for r in world.requests if r.method == "POST" and r.template == paths.DEPLOY])

    # Both drawn now, while the card offers Deploy: once deployed, the clicks are on a drawing that moved on.
    clicks = {action: click_request(group, card, action, actor=ALICE) for action in ("dr_deploy", "dr_refresh")}
    deploy = clicks["dr_deploy"]
    before = deploys()
    crowd = run_wrk(wrk, f"{bot.url}/slack/events", deploy, connections=50, seconds=seconds, folder=folder)
    lines = [f"card clicks: the same Deploy button clicked {crowd.requests} times on 50 connections at once: "
             f"{deploys() - before} deploy call(s) reached PlanetScale",
             f"card clicks, wrk on 1 connection for {seconds:g} s (target: bot p50 ≤ 2 ms)"]
    for action_id, signed in clicks.items():
        for name, url in (("bare bolt", bare_url), ("pscale-bot serve", f"{bot.url}/slack/events")):
            run = run_wrk(wrk, url, signed, connections=1, seconds=seconds, folder=folder)
            lines.append(f"  {action_id:<11} {name:<17} p50 {run.p50_ms:5.2f} ms  p99 {run.p99_ms:6.2f} ms  "
                         f"{run.per_second:6.0f} req/s")
    return lines


def _print_table(table: list[Rounds], *, connections: int, seconds: float) -> None:
    rounds = len(next(iter(table[0].runs.values()))) if table else 0
    print(f"wrk, {seconds:g} s per run, one signed body per command, separate server processes "
          f"({os.cpu_count()} cores shared with wrk and the stand-ins); {rounds} rounds of bare bolt then the bot: "
          "medians, each round's ratio in brackets")
    print(f"{'command':<18} {'app':<17} {'1 conn p50':>10} {'p99':>8}  {'× bare':<24} "
          f"{connections} conns p99 {'req/s':>8}  {'× bare':<24} CPU ms/request (1 conn, {connections} conns)")
    for command in table:
        bare = command.runs["bare bolt"]
        for name, runs in command.runs.items():
            ones = [one for one, _ in runs]
            manys = [many for _, many in runs]
            if name == "bare bolt":
                latency_ratio = throughput_ratio = ""
            else:
                latency_ratio = _ratios([one.p50_ms / base.p50_ms for (one, _), (base, _) in zip(runs, bare,
                                                                                              strict=True)])
                throughput_ratio = _ratios([many.per_second / base.per_second for (_, many), (_, base)
                                            in zip(runs, bare, strict=True)])
            print(f"{command.text:<18} {name:<17} {median(r.p50_ms for r in ones):>7.2f} ms "
                  f"{median(r.p99_ms for r in ones):>5.2f} ms  {latency_ratio:<24} "
                  f"{median(r.p99_ms for r in manys):>9.1f} ms {median(r.per_second for r in manys):>8.0f}  "
                  f"{throughput_ratio:<24} {median(r.cpu_ms_per_request for r in ones):.2f}, "
                  f"{median(r.cpu_ms_per_request for r in manys):.2f}")
    print("targets: 1-connection p50 ≤ 1.2× bare bolt; throughput ≥ 0.8× bare bolt")


def _ratios(values: list[float]) -> str:
    """The median ratio, then each round's: `1.12 (1.10 1.15 1.12)`."""
    return f"{median(values):.2f} ({' '.join(f'{value:.2f}' for value in values)})"


if __name__ == "__main__":
    main()
