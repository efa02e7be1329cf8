"""`pscale-bot serve`'s start, as an operator runs it (a real process, configured by environment, against the
stand-ins): ready only once its database is migrated, and nothing in its log an operator would have to learn to
skip."""

from __future__ import annotations

import re
from pathlib import Path

from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from bot.storage import MIGRATIONS
from tests.support.replicas import replicas_on


def test_serve_is_ready_migrated_and_logs_no_warning_on_the_way(
    database_url: str, slack_standin: SlackStandIn, world: World, demo: DemoWorld, tmp_path: Path
) -> None:
    with replicas_on(database_url, slack=slack_standin, world=world, cwd=tmp_path, log_level="INFO") as group:
        [replica] = group.start(1)  # returns once /readyz answered 200
        ready = replica.log.read_text()
        replica.stop()
    assert replica.process.returncode == 0
    applied = [int(number) for number in re.findall(r"applied database migration (\d+) ", ready)]
    assert applied == [migration.number for migration in MIGRATIONS]
    # What serve said at INFO until it was ready: no warning (bolt's "`token` will be unused" was one at every
    # start) and nothing worse.
    levels = {match.group(1) for match in re.finditer(r"^\S+ \S+ ([A-Z]+) ", ready, flags=re.MULTILINE)}
    assert levels == {"INFO"}, ready
