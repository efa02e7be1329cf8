"""SIGTERM as an orchestrator sends it to `pscale-bot serve`: start-up work and the background loops stop at once,
a request in flight is finished and answered, and the process exits 0 well within its 10 s drain in every state."""

from __future__ import annotations

import asyncio
import signal

from bot.runtime import SHUTDOWN_DRAIN_SECONDS
from bot.sandbox.planetscale import World, paths
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from tests.support.replicas import Replica, Replicas
from tests.support.slack import Actor

ALICE = Actor()
# Well inside the drain: what SIGTERM may take when nothing is in flight is the time to close, not to wait.
PROMPT_EXIT_SECONDS = SHUTDOWN_DRAIN_SECONDS / 2


def _terminate(bot: Replica, *, within: float) -> int:
    bot.process.send_signal(signal.SIGTERM)
    return bot.process.wait(timeout=within)


async def test_sigterm_while_the_start_up_auth_test_is_still_retrying_exits_0_at_once(
    replicas: Replicas, slack_standin: SlackStandIn
) -> None:
    """The issue: SIGTERM while `auth.test` was still being retried waited out the whole drain, then cancelled."""
    slack_standin.rate_limit("auth.test", retry_after=5, times=100)  # each auth.test now takes 10 s and fails
    (bot,) = replicas.start(1)
    await slack_standin.wait_call("auth.test", timeout=15)
    assert _terminate(bot, within=PROMPT_EXIT_SECONDS) == 0, bot.log.read_text()
    assert "Traceback" not in bot.log.read_text()


async def test_sigterm_with_a_command_in_flight_answers_it_then_exits_0(
    replicas: Replicas, world: World, demo: DemoWorld
) -> None:
    (bot,) = replicas.start(1)
    replicas.link(bot, ALICE, planetscale_user_id=demo.admin.id)
    world.faults.latency(method="GET", path=paths.BRANCHES, seconds=2, times=1)
    since = len(replicas.slack.response_posts)
    assert replicas.command(bot, "branch list shop --org acme", actor=ALICE).status_code == 200
    async with asyncio.timeout(15):
        while not replicas.planetscale.calls("GET", paths.BRANCHES):
            await asyncio.sleep(0.02)
    assert await asyncio.to_thread(_terminate, bot, within=SHUTDOWN_DRAIN_SECONDS) == 0, bot.log.read_text()
    answered = await replicas.slack.wait_response(since=since, timeout=1)
    assert "Branches of acme/shop" in str(answered.body), answered.body
