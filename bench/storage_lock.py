"""While another connection holds the SQLite write lock for 8 s: is the bot still quick where it does not write?

    .venv/bin/python -m bench.storage_lock [--hold 8]

Starts `pscale-bot serve` on a SQLite file (as an operator would, against the stand-ins), then takes the file's
write lock from this program (BEGIN IMMEDIATE on its own connection) and holds it `--hold` seconds. Meanwhile one
thread polls `/healthz`, another sends signed `/pscale help` commands (whose ack reads storage), and a third sends
one `/pscale login` (whose ack writes a link ticket, so it must wait for the lock). Printed: the p50/p99/max of the
first two during the hold, and how long the login's ack took (about the rest of the hold, off the event loop).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bot.sandbox.planetscale import World, seed_demo
from tests.support.bot import SIGNING_SECRET
from tests.support.replicas import replicas_on
from tests.support.slack import Actor, serve_slack_standin, slash_command

ALICE = Actor()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hold", type=float, default=8.0)
    args = parser.parse_args()
    world = World()
    seed_demo(world)
    with tempfile.TemporaryDirectory() as folder, serve_slack_standin() as slack:
        database = Path(folder) / "bot.sqlite3"
        with replicas_on(str(database), slack=slack, world=world, cwd=Path(folder)) as group:
            (bot,) = group.start(1)
            response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
            stop = threading.Event()
            health: list[float] = []
            helps: list[float] = []
            login: list[float] = []

            def timed(samples: list[float], send: httpx.Client, make: object) -> None:
                started = time.perf_counter()
                answer = make(send)  # type: ignore[operator]
                samples.append((time.perf_counter() - started) * 1000)
                if answer.status_code != 200:
                    raise SystemExit(f"answered {answer.status_code}: {answer.text[:200]}")

            def command(text: str) -> object:
                def send(http: httpx.Client) -> httpx.Response:
                    signed = slash_command(
                        signing_secret=SIGNING_SECRET, text=text, response_url=response_url, actor=ALICE
                    )
                    return http.post(f"{bot.url}/slack/events", content=signed.body, headers=signed.headers)

                return send

            def poll(samples: list[float], make: object) -> None:
                with httpx.Client(timeout=30) as http:
                    while not stop.is_set():
                        timed(samples, http, make)
                        time.sleep(0.01)

            holder = sqlite3.connect(database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("INSERT INTO idempotency_keys VALUES ('bench-holds-the-lock', 0)")
            held_at = time.perf_counter()
            workers = [
                threading.Thread(target=poll, args=(health, lambda http: http.get(f"{bot.url}/healthz"))),
                threading.Thread(target=poll, args=(helps, command("help"))),
            ]
            for worker in workers:
                worker.start()

            def log_in() -> None:  # its ack waits for the lock, in a thread of the bot's
                with httpx.Client(timeout=30) as http:
                    timed(login, http, command("login"))

            logging_in = threading.Thread(target=log_in)
            logging_in.start()
            time.sleep(max(args.hold - (time.perf_counter() - held_at), 0))
            holder.execute("COMMIT")
            holder.close()
            logging_in.join()
            stop.set()
            for worker in workers:
                worker.join()
    print(f"another connection held the SQLite write lock for {args.hold:.0f} s; meanwhile:")
    for name, samples in (("GET /healthz", health), ("/pscale help ack", helps)):
        ordered = sorted(samples)
        cuts = statistics.quantiles(ordered, n=100)
        print(f"  {name:<18} {len(ordered):>5} answers  p50 {cuts[49]:6.1f} ms  p99 {cuts[98]:6.1f} ms  "
              f"max {ordered[-1]:6.1f} ms")
    print(f"  /pscale login ack  (writes a ticket) answered after {login[0] / 1000:.1f} s, once the lock was free")


if __name__ == "__main__":
    main()
