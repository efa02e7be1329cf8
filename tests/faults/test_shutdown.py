"""SIGTERM as an orchestrator sends it to `pscale-bot serve` (or `socket`): start-up work and the background loops
stop at once, a request in flight is finished and answered, and the process exits 0 well within its 10 s drain in
every state."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.runtime import SHUTDOWN_DRAIN_SECONDS
from bot.sandbox.planetscale import World, paths
from bot.sandbox.planetscale.seed import DemoWorld
from bot.sandbox.slack import SlackStandIn
from bot.slack.app import MAX_SLACK_RETRY_AFTER_SECONDS
from tests.support.replicas import Replica, Replicas, environment, sqlite_rows
from tests.support.servers import free_port
from tests.support.slack import Actor, digests_in

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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_while_socket_mode_still_connects_to_slack_exits_at_once(
    slack_standin: SlackStandIn, tmp_path: Path, stop: signal.Signals
) -> None:
    """The issue: `pscale-bot socket` connected to Slack inside its start-up, which a stop did not interrupt: SIGTERM
    while Slack's WebSocket did not answer waited for the connect to give up (minutes), then for the next try."""
    slack_standin.socket.leave_unanswered(1)
    settings = {
        "slack_bot_token": slack_standin.bot_token,
        "slack_app_token": slack_standin.app_token,
        "slack_api_url": slack_standin.api_url,
        "planetscale_client_id": "test-client",
        "planetscale_client_secret": "test-client-secret",
        "bot_database": str(tmp_path / "bot.sqlite3"),
        "bot_encryption_keys": Fernet.generate_key().decode(),
        "port": free_port(),
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "socket", "--host", "127.0.0.1"], cwd=tmp_path,
        env=environment(settings, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        await slack_standin.socket.unanswered.wait(timeout=30)  # connecting: its handshake is held
        bot.send_signal(stop)
        _, stderr = await asyncio.to_thread(bot.communicate, timeout=PROMPT_EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        bot.kill()
        _, stderr = bot.communicate()
        pytest.fail(f"still running {PROMPT_EXIT_SECONDS} s after {stop.name}:\n{stderr}")
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.communicate()
    assert bot.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr


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



async def _subscribed_to_a_due_digest(replicas: Replicas, demo: DemoWorld) -> None:
    """Alice subscribes #general to `shop`'s digest, due a minute ago, through a replica that then stops: its
    schedule ran as it started, before anything was due."""
    (first,) = replicas.start(1)
    replicas.link(first, ALICE, planetscale_user_id=demo.admin.id)
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    told = await replicas.reply(first, f"digest subscribe shop --at {due} --tz UTC --daily --org acme", actor=ALICE)
    assert "subscribed" in told.lower(), told
    assert await asyncio.to_thread(_terminate, first, within=PROMPT_EXIT_SECONDS) == 0, first.log.read_text()


async def _stopped_mid_digest_gives_its_slot_back(stopped: Replica, replicas: Replicas, database_file: Path) -> None:
    assert await asyncio.to_thread(_terminate, stopped, within=PROMPT_EXIT_SECONDS) == 0, stopped.log.read_text()
    assert "Traceback" not in stopped.log.read_text()
    assert sqlite_rows(database_file, "SELECT slot FROM digest_slots") == []  # given back, not left to lapse
    assert digests_in(replicas.slack, ALICE.channel_id) == []
    # The next process posts it at once (its start-up schedule), and once.
    (restarted,) = replicas.start(1)
    async with asyncio.timeout(15):
        while sqlite_rows(database_file, "SELECT posted_at IS NOT NULL FROM digest_slots") != [(1,)]:
            await asyncio.sleep(0.05)
    restarted.stop()  # its schedule may run no more: what it posted is all it will post
    assert len(digests_in(replicas.slack, ALICE.channel_id)) == 1


async def test_sigterm_while_a_digest_is_read_gives_its_slot_back_and_the_next_process_posts_it_once(
    replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    """The issue: a digest run cancelled by SIGTERM kept its claim on the day's slot, so no process (a restart, another
    replica) could post that digest for the next ten minutes, until the claim counted as abandoned."""
    await _subscribed_to_a_due_digest(replicas, demo)
    reads = len(replicas.planetscale.calls("GET", paths.DEPLOY_REQUESTS))
    world.faults.hang(method="GET", path=paths.DEPLOY_REQUESTS, times=1)
    (stopped,) = replicas.start(1)  # its start-up schedule claims the slot and reads the digest: PlanetScale holds it
    async with asyncio.timeout(15):
        while len(replicas.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == reads:
            await asyncio.sleep(0.02)
    await _stopped_mid_digest_gives_its_slot_back(stopped, replicas, database_file)


async def test_sigterm_while_a_digest_waits_out_slacks_rate_limit_gives_its_slot_back(
    replicas: Replicas, slack_standin: SlackStandIn, demo: DemoWorld, database_file: Path
) -> None:
    """A post Slack refused with `ratelimited` was not posted: the run waiting to send it again gives its slot back
    too (what it keeps is a slot whose post may have reached Slack)."""
    await _subscribed_to_a_due_digest(replicas, demo)
    since = len(slack_standin.calls)
    # Longer than the Web API client waits by itself (MAX_SLACK_RETRY_AFTER_SECONDS): the digest run holds it.
    slack_standin.rate_limit("chat.postMessage", retry_after=int(MAX_SLACK_RETRY_AFTER_SECONDS) * 6, times=1)
    (stopped,) = replicas.start(1)
    refused = await slack_standin.wait_call("chat.postMessage", since=since, timeout=15)
    assert refused.status == 429
    await _stopped_mid_digest_gives_its_slot_back(stopped, replicas, database_file)


async def test_sigterm_to_a_cron_digest_mid_read_gives_its_slot_back_and_says_so(
    replicas: Replicas, world: World, demo: DemoWorld, database_file: Path
) -> None:
    """A cron job's deadline stops `pscale-bot digest` with SIGTERM: it gives back what it had not sent, as the
    schedule of `serve` does, so the next run posts it (it used to die on the spot, holding the claim)."""
    await _subscribed_to_a_due_digest(replicas, demo)
    reads = len(replicas.planetscale.calls("GET", paths.DEPLOY_REQUESTS))
    world.faults.hang(method="GET", path=paths.DEPLOY_REQUESTS, times=1)
    cron = replicas.spawn_cli("digest", stderr=subprocess.PIPE)
    try:
        async with asyncio.timeout(30):
            while len(replicas.planetscale.calls("GET", paths.DEPLOY_REQUESTS)) == reads:
                await asyncio.sleep(0.02)
        cron.send_signal(signal.SIGTERM)
        _, said = await asyncio.to_thread(cron.communicate, timeout=PROMPT_EXIT_SECONDS)
    finally:
        if cron.poll() is None:
            cron.kill()
            cron.communicate()
    stderr = said.decode()
    assert cron.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip().splitlines()[-1] == (
        "pscale-bot: digest: stopped by SIGTERM; the digests it had not sent are left to the next run"
    ), stderr
    assert "Traceback" not in stderr
    assert sqlite_rows(database_file, "SELECT slot FROM digest_slots") == []

    again = await asyncio.to_thread(replicas.run_cli, "digest")
    assert again.returncode == 0, again.stderr
    assert len(digests_in(replicas.slack, ALICE.channel_id)) == 1


async def test_sigterm_while_slack_has_not_yet_answered_a_digests_post_keeps_its_claim(
    replicas: Replicas, slack_standin: SlackStandIn, demo: DemoWorld, database_file: Path
) -> None:
    """Slack posted the digest, but its answer had not arrived when the stop came: the claim stays, so the next run
    does not post it a second time (exactly once comes before a prompt retry)."""
    await _subscribed_to_a_due_digest(replicas, demo)
    slack_standin.answer_late("chat.postMessage", seconds=5)  # within the bot's 10 s Web API timeout
    (stopped,) = replicas.start(1)
    async with asyncio.timeout(15):
        while not digests_in(slack_standin, ALICE.channel_id):
            await asyncio.sleep(0.02)
    assert await asyncio.to_thread(_terminate, stopped, within=PROMPT_EXIT_SECONDS) == 0, stopped.log.read_text()
    assert sqlite_rows(database_file, "SELECT posted_at FROM digest_slots") == [(None,)]  # claimed, not given back

    again = await asyncio.to_thread(replicas.run_cli, "digest")
    assert (again.returncode, again.stdout.strip()) == (0, "digests: 0 posted, 0 not posted"), again.stderr
    assert len(digests_in(slack_standin, ALICE.channel_id)) == 1
