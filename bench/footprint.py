"""Start-up time and memory of `pscale-bot serve`, as an operator runs it.

    .venv/bin/python -m bench.footprint [--commands 10000] [--starts 1]

Starts `pscale-bot serve` on a fresh SQLite file against the stand-ins (as bench.ack_wrk does) and prints:
how long from starting the process until `/readyz` answers 200 (polled every 10 ms) and the CPU time (user + system)
the process had used by then, which a loaded machine changes far less than the wall time; its resident memory (VmRSS)
once idle; and its resident memory after `--commands` signed `/pscale` commands sent one after another, a mix of
help topics, usage errors and unknown commands whose texts differ every time (so nothing is answered from a cache
keyed by text), followed by 2 s of quiet.

It starts the bot twice, each time on a fresh database. The first start compiles every module it imports, as a
process does where no bytecode is cached (`./dev` installs with `--no-compile`, and a shell with
PYTHONDONTWRITEBYTECODE set never writes any); it caches that bytecode in a scratch PYTHONPYCACHEPREFIX. The second
start, measured in full, reads it, as an installed package does: pip compiles every module at install, the Docker
image's included. `--starts N` adds N - 1 more such starts (each on a fresh database, stopped once ready) and prints
each one's figures and their medians: on a shared machine one start says little.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bot.commands.catalog import CATALOG
from bot.sandbox.planetscale import World, seed_demo
from tests.support.bot import SIGNING_SECRET
from tests.support.replicas import Replica, Replicas, replicas_on
from tests.support.slack import Actor, serve_slack_standin, slash_command

ALICE = Actor()


def resident_mb(replica: Replica) -> float:
    for line in Path(f"/proc/{replica.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc (this program needs Linux)")


def cpu_seconds(replica: Replica) -> float:
    # /proc/PID/stat fields 14 and 15 (utime, stime) in clock ticks; the name in field 2 may hold spaces, so split
    # after its closing parenthesis (proc(5)).
    fields = Path(f"/proc/{replica.process.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_start(group: Replicas, environment: dict[str, str]) -> tuple[float, list[Replica]]:
    started = time.perf_counter()
    replicas = group.start(1, poll_seconds=0.01, **environment)
    return time.perf_counter() - started, replicas


def command_text(index: int) -> str:
    topics = ["", *(spec.key for spec in CATALOG)]
    kind = index % 3
    if kind == 0:
        return f"help {topics[index // 3 % len(topics)]}".strip()
    if kind == 1:
        return f"branch create db{index}"  # one argument short: a usage error naming db{index}
    return f"frobnicate{index} now"  # not a command


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=10_000)
    parser.add_argument("--starts", type=int, default=1, help="bytecode-cached starts to time (the first in full)")
    args = parser.parse_args()
    world = World()
    seed_demo(world)
    with tempfile.TemporaryDirectory() as scratch, serve_slack_standin(audited=False) as slack:
        folder = Path(scratch)
        # An empty PYTHONDONTWRITEBYTECODE counts as unset, so the first start writes the cache the second reads.
        bytecode = {"PYTHONPYCACHEPREFIX": str(folder / "bytecode"), "PYTHONDONTWRITEBYTECODE": ""}
        with replicas_on(str(folder / "first.sqlite3"), slack=slack, world=world, cwd=folder) as group:
            compiling_seconds, (first,) = timed_start(group, bytecode)
            compiling_cpu = cpu_seconds(first)
            first.stop()
        with replicas_on(str(folder / "bot.sqlite3"), slack=slack, world=world, cwd=folder) as group:
            ready_seconds, (bot,) = timed_start(group, bytecode)
            ready_cpu = cpu_seconds(bot)
            time.sleep(2)
            idle = resident_mb(bot)
            response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
            with httpx.Client(timeout=15) as http:
                for index in range(args.commands):
                    signed = slash_command(signing_secret=SIGNING_SECRET, text=command_text(index),
                                           response_url=response_url, actor=ALICE)
                    answer = http.post(f"{bot.url}/slack/events", content=signed.body, headers=signed.headers)
                    if answer.status_code != 200:
                        raise SystemExit(f"answered {answer.status_code}: {answer.text[:200]}")
            time.sleep(2)
            after = resident_mb(bot)
        starts = [(ready_seconds, ready_cpu)]
        for index in range(1, args.starts):
            with replicas_on(str(folder / f"again{index}.sqlite3"), slack=slack, world=world, cwd=folder) as group:
                seconds, (again,) = timed_start(group, bytecode)
                starts.append((seconds, cpu_seconds(again)))
    print("pscale-bot serve (SQLite, against the stand-ins)")
    print(f"  start-up: process started to /readyz 200 in {ready_seconds:.2f} s (target ≤ 1.5 s), "
          f"{ready_cpu:.2f} s of CPU")
    if len(starts) > 1:
        print(f"  {len(starts)} starts: median {statistics.median(wall for wall, _ in starts):.2f} s, "
              f"{statistics.median(cpu for _, cpu in starts):.2f} s of CPU; each "
              + ", ".join(f"{wall:.2f} s / {cpu:.2f} s" for wall, cpu in starts))
    print(f"  first start, compiling every module: {compiling_seconds:.2f} s, {compiling_cpu:.2f} s of CPU")
    print(f"  idle RSS {idle:.1f} MB (target ≤ 80 MB); after {args.commands} commands {after:.1f} MB, "
          f"{after - idle:+.1f} MB (target ≤ +10 MB)")


if __name__ == "__main__":
    main()
