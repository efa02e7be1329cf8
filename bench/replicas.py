"""Acks per second and their p99: one SQLite process, one PostgreSQL replica, and two replicas on one PostgreSQL.

    .venv/bin/python -m bench.replicas [--requests 2000] [--clients 16]

Each setup is `pscale-bot serve` processes started as an operator starts them (tests/support/replicas.py), against
the Slack and PlanetScale stand-ins served by this program, with PostgreSQL from Debian's binaries in a temporary
folder. The load is `/pscale channel db --clear` from someone not linked yet, a signed slash command whose ack
reads and writes the database (two reads: the channel's default database and the grant; two writes: the one-time
link ticket of the prompt the ack carries): `--clients` threads send `--requests` between them, spread round-robin
over the replicas. Everything shares the machine, so the figures compare the
setups with each other; they are not what one replica on its own hardware would do.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.sandbox.planetscale import World, seed_demo
from tests.support.bot import SIGNING_SECRET
from tests.support.postgres import PostgresCluster
from tests.support.replicas import Replica, Replicas, replicas_on
from tests.support.slack import Actor, serve_slack_standin, slash_command

ALICE = Actor()


@contextmanager
def _setup(database: str, count: int, cwd: Path) -> Iterator[Replicas]:
    world = World()
    seed_demo(world)
    with serve_slack_standin() as slack, replicas_on(database, slack=slack, world=world, cwd=cwd) as group:
        group.start(count)
        yield group


def _load(group: Replicas, *, requests: int, clients: int) -> tuple[float, list[float]]:
    """(acks per second, sorted ack times in ms) for `requests` commands from `clients` threads."""
    members: list[Replica] = group.members
    response_url = group.slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    samples: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            for index in counter:
                replica = members[index % len(members)]
                signed = slash_command(
                    signing_secret=SIGNING_SECRET, text="channel db --clear", response_url=response_url, actor=ALICE
                )
                started = time.perf_counter()
                answer = http.post(f"{replica.url}/slack/events", content=signed.body, headers=signed.headers)
                elapsed = (time.perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{replica.name} answered {answer.status_code}: {answer.text[:200]}")
                with lock:
                    samples.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(samples) / (time.perf_counter() - began), sorted(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    cluster = PostgresCluster()
    cluster.start()
    rows = []
    try:
        for name, count, database in (
            ("1 process, SQLite", 1, None),
            ("1 replica, PostgreSQL", 1, cluster.new_database()),
            ("2 replicas, PostgreSQL", 2, cluster.new_database()),
        ):
            with tempfile.TemporaryDirectory() as folder:
                location = database or str(Path(folder) / "bot.sqlite3")
                with _setup(location, count, Path(folder)) as group:
                    _load(group, requests=min(200, args.requests), clients=args.clients)  # warm up
                    rate, samples = _load(group, requests=args.requests, clients=args.clients)
            cuts = statistics.quantiles(samples, n=100)
            rows.append((name, rate, cuts[49], cuts[98]))
    finally:
        cluster.stop()
    print(f"{args.requests} signed `/pscale channel db --clear` acks (2 reads and 2 writes of storage each), "
          f"{args.clients} concurrent clients, all on this machine")
    print(f"  {'setup':<24} {'acks/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, rate, p50, p99 in rows:
        print(f"  {name:<24} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f}")


if __name__ == "__main__":
    main()
