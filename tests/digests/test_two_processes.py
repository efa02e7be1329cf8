"""Two cron runs at once (`pscale-bot digest`, two real processes on one database file) post a due digest once.

The slot is claimed by one SQLite `INSERT … ON CONFLICT DO NOTHING`; this is that claim across processes, with
the running bot's own schedule as a possible third contender.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.config import Settings
from bot.digests.schedule import Timing
from bot.digests.store import Subscription, Subscriptions
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot
from tests.support.replies import ALICE
from tests.support.slack import digests_in


def _environment(settings: Settings, cwd: Path) -> dict[str, str]:
    """The running bot's settings as the environment a cron job would give `pscale-bot digest`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "PLANETSCALE_", "BOT_"))}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        env[name.upper()] = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    env["HOME"] = str(cwd)
    return env


async def test_two_cron_runs_at_once_post_a_due_digest_once(
    demo_bot: RunningBot, slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    a_minute_ago = (datetime.now(UTC) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    await demo_bot.call(
        Subscriptions(demo_bot.runtime.database).subscribe(
            Subscription(ALICE.team_id, ALICE.channel_id, "acme", "shop", ALICE.user_id,
                         Timing(at=a_minute_ago, tz="UTC", daily=True))
        )
    )
    env = _environment(demo_bot.runtime.settings, tmp_path)
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "digest", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(run.communicate() for run in runs)), 60)
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err.decode()
        assert out.decode().startswith("digests: "), out.decode()
    await asyncio.sleep(0.5)
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 1
