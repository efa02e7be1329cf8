"""Another connection holds the SQLite write lock: the running bot keeps answering what does not write, and what
does write waits for the lock in a thread and then answers (over real HTTP, no timings asserted)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import httpx

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot


def test_health_and_help_answer_while_a_login_waits_for_the_lock(slack_standin: SlackStandIn, tmp_path: Path) -> None:
    with run_bot(slack=slack_standin, data_dir=tmp_path) as bot:
        holder = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO idempotency_keys VALUES ('held-by-another-process', 0)")
        login: list[httpx.Response] = []
        waiting = threading.Thread(target=lambda: login.append(bot.command("login")))
        waiting.start()
        try:
            for _ in range(5):
                assert httpx.get(f"{bot.base_url}/healthz").status_code == 200
                help_ack = bot.command("help")
                assert help_ack.status_code == 200
                assert "/pscale" in help_ack.text
            assert waiting.is_alive()  # its ack writes a link ticket: it cannot have answered yet
        finally:
            holder.execute("COMMIT")
            holder.close()
        waiting.join(timeout=15)
        assert login[0].status_code == 200
        assert "link" in login[0].text.lower()
