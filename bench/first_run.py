"""A newcomer's first ten seconds, measured: from a fresh clone to the sandbox's page answering, through `./dev run`.

Clones this checkout's HEAD into a temporary folder (so no `.venv`), runs `./dev run --port P` there and polls the
page until it answers. pip's cache is used as it is: warm after any earlier install on this machine. Prints the
wall-clock time, and the CPU time the whole process tree used until then (pip, then the bot's first start): on a
shared machine the wall clock mostly measures the wait for a core, and the load average says how long that was.

    .venv/bin/python -m bench.first_run
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        clone = Path(scratch) / "pscale-bot"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        port = free_port()
        env = {name: value for name, value in os.environ.items() if not name.startswith(("SLACK_", "PLANETSCALE_"))}
        load = os.getloadavg()[0]
        cpu_before = _cpu_of_children()
        started = time.monotonic()
        dev = subprocess.Popen(
            ["./dev", "run", "--port", str(port)], cwd=clone, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                if time.monotonic() - started > args.timeout:
                    raise SystemExit(f"the page did not answer within {args.timeout:.0f} s")
                if dev.poll() is not None:
                    raise SystemExit(f"./dev run ended with exit code {dev.returncode} before the page answered")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            elapsed = time.monotonic() - started
        finally:
            os.killpg(dev.pid, signal.SIGTERM)
            dev.wait(timeout=60)
        cpu = _cpu_of_children() - cpu_before
    print(f"fresh clone → sandbox page answering, via ./dev run: {elapsed:.1f} s wall clock, {cpu:.1f} s CPU "
          f"(load average {load:.1f} on {os.cpu_count()} cores when it started)")


if __name__ == "__main__":
    main()
