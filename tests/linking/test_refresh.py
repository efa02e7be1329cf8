"""Token refresh: once per user at a time, in one process and across two; dead grants; logout and forgetting."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.linking import OAuthApp, PlanetScaleOAuth, SecretBox, TokenSet, Unlinked
from bot.planetscale import LinkRequired, NotLinked, PlanetScaleClient, TokenUnavailable, Unauthorized
from bot.storage import Database, open_database
from tests.linking.conftest import ALICE_SLACK, BOB_SLACK, TEAM, Notice, Rig


@contextlib.asynccontextmanager
async def _own_database(path: Path) -> AsyncIterator[Database]:
    database = await open_database(str(path))
    try:
        yield database
    finally:
        await database.close()

REPO = Path(__file__).resolve().parents[2]
THIRTY_ONE_DAYS = 31 * 86_400


async def test_twenty_concurrent_commands_with_an_expired_token_make_one_refresh(rig: Rig) -> None:
    linking = await rig.link()
    before = await rig.stored()
    rig.clock.advance(THIRTY_ONE_DAYS)
    rig.oauth.token_latency = 0.2  # the refresh is in flight while the other 19 arrive

    async with PlanetScaleClient(base_url=rig.planetscale.base_url) as client:
        users = await asyncio.gather(
            *(
                client.as_user(linking.token_provider(TEAM, ALICE_SLACK), user_key=(TEAM, ALICE_SLACK)).users.current()
                for _ in range(20)
            )
        )

    assert {user.display_name for user in users} == {"Alice Admin"}
    assert rig.oauth.counters.refreshes == 1
    after = await rig.stored()
    assert after.access_token != before.access_token
    assert after.version == before.version + 1
    assert not rig.oauth.is_active(before.refresh_token or "")  # rotated: the old refresh token died
    assert rig.oauth.is_active(after.refresh_token or "")


async def test_two_processes_refreshing_the_same_user_make_one_refresh(rig: Rig) -> None:
    await rig.link()
    before = await rig.stored()
    rig.clock.advance(THIRTY_ONE_DAYS)
    rig.oauth.token_latency = 0.3
    # Like the bot: its own connections.
    linking = await rig.linking(database=await rig.exits.enter_async_context(_own_database(rig.db_path)))
    settings = {
        "database": str(rig.db_path),
        "keys": rig.keys,
        "app": dataclasses.asdict(rig.app),
        "api_url": rig.planetscale.base_url,
        "public_url": rig.base_url,
        "clock_offset": rig.clock.offset,
        "team_id": TEAM,
        "user_id": ALICE_SLACK,
        "count": 20,
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.linking.refresh_worker", json.dumps(settings),
        cwd=REPO, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert worker.stdin is not None
    assert worker.stdout is not None
    try:
        assert await asyncio.wait_for(worker.stdout.readline(), 20) == b"ready\n"
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
        ours = await asyncio.gather(*(linking.token_provider(TEAM, ALICE_SLACK).access_token() for _ in range(20)))
        output, _ = await asyncio.wait_for(worker.communicate(), 20)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode == 0
    theirs = json.loads(output)

    assert rig.oauth.counters.refreshes == 1
    assert set(ours) == set(theirs) == {(await rig.stored()).access_token}
    assert (await rig.stored()).access_token != before.access_token


async def test_invalid_grant_after_another_process_rotated_is_not_a_dead_grant(rig: Rig) -> None:
    """The other process's lease ran out mid-refresh, so both refreshed with the same refresh token: ours gets
    invalid_grant, re-reads the row, and uses the other's result instead of declaring the grant dead."""
    await rig.link()
    box = SecretBox(rig.keys)

    class OvertakenOAuth(PlanetScaleOAuth):
        async def refresh(self, refresh_token: str) -> TokenSet:
            theirs = await super().refresh(refresh_token)
            await rig.database.execute(
                "UPDATE planetscale_grants SET access_token = ?, refresh_token = ?, version = version + 1",
                (box.seal(theirs.access_token), box.seal(theirs.refresh_token or "")),
            )
            return await super().refresh(refresh_token)

    client = await rig.exits.enter_async_context(PlanetScaleClient(base_url=rig.planetscale.base_url))
    linking = type(await rig.linking()).build(
        database=rig.database, keys=rig.keys, app=rig.app, planetscale=client, notifier=rig.notifier,
        directory=rig.notifier, match_email=False, public_url=rig.base_url, clock=rig.clock,
        oauth=OvertakenOAuth(rig.app),
    )
    rig.clock.advance(THIRTY_ONE_DAYS)

    token = await linking.token_provider(TEAM, ALICE_SLACK).access_token()

    assert rig.oauth.counters.refreshes == 2
    assert token == (await rig.stored()).access_token
    assert rig.oauth.is_active(token)
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)
    assert [notice for notice in rig.notifier.notices if notice.what == "link stopped working"] == []


async def test_a_grant_revoked_mid_conversation_turns_into_one_relink_notice(rig: Rig) -> None:
    linking = await rig.link()
    async with PlanetScaleClient(base_url=rig.planetscale.base_url) as client:
        api = client.as_user(linking.token_provider(TEAM, ALICE_SLACK), user_key=(TEAM, ALICE_SLACK))
        assert (await api.users.current()).display_name == "Alice Admin"

        rig.oauth.revoke_everything_of(rig.user_id("alice"))  # "Revoke all sessions" in PlanetScale
        with pytest.raises(Unauthorized):
            await api.users.current()
        assert rig.oauth.counters.refreshes == 1
        assert not await linking.has_active_grant(TEAM, ALICE_SLACK)

        with pytest.raises(NotLinked):  # asked again: not sent, no second refresh, no second notice
            await api.users.current()
    assert rig.oauth.counters.refreshes == 1
    relinks = [notice for notice in rig.notifier.notices if notice.what == "link stopped working"]
    assert relinks == [Notice(TEAM, ALICE_SLACK, "link stopped working")]

    await rig.link()  # linking again brings the account back
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)


async def test_an_early_refresh_that_fails_keeps_the_current_token_until_it_expires(rig: Rig) -> None:
    linking = await rig.link()
    current = await rig.stored()
    assert current.expires_at is not None
    rig.clock.advance(current.expires_at - rig.clock() - 30)  # inside the refresh leeway, not yet expired
    rig.oauth.fail_token_requests(status=503, error="temporarily_unavailable", times=2)

    assert await linking.token_provider(TEAM, ALICE_SLACK).access_token() == current.access_token
    rig.clock.advance(60)
    with pytest.raises(TokenUnavailable):
        await linking.token_provider(TEAM, ALICE_SLACK).access_token()
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)  # a hiccup is not a dead grant
    assert await linking.token_provider(TEAM, ALICE_SLACK).access_token() != current.access_token


async def test_logout_revokes_both_tokens_and_forgets_the_grant(rig: Rig) -> None:
    linking = await rig.link()
    grant = await rig.stored()

    unlinked = await linking.logout(TEAM, ALICE_SLACK)

    assert unlinked == Unlinked(planetscale_name="Alice Admin", revoked=True)
    assert not rig.oauth.is_active(grant.access_token)
    assert not rig.oauth.is_active(grant.refresh_token or "")
    assert not await linking.has_active_grant(TEAM, ALICE_SLACK)
    with pytest.raises(LinkRequired):
        await linking.token_provider(TEAM, ALICE_SLACK).access_token()
    assert await linking.logout(TEAM, ALICE_SLACK) is None


async def test_logout_says_so_when_planetscale_cannot_be_reached_to_revoke(rig: Rig) -> None:
    await rig.link()
    unreachable: OAuthApp = dataclasses.replace(rig.app, revoke_url="http://127.0.0.1:9/oauth/revoke")
    linking = await rig.linking(app=unreachable)

    unlinked = await linking.logout(TEAM, ALICE_SLACK)

    assert unlinked == Unlinked(planetscale_name="Alice Admin", revoked=False)
    assert not await linking.has_active_grant(TEAM, ALICE_SLACK)


async def test_forgetting_users_revokes_and_deletes_only_their_grants(rig: Rig) -> None:
    linking = await rig.link(ALICE_SLACK)
    await rig.link(BOB_SLACK)
    alice, bob = await rig.stored(ALICE_SLACK), await rig.stored(BOB_SLACK)

    assert await linking.forget_users(TEAM, [BOB_SLACK, "U0NOBODY001"]) == 1
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)
    assert not await linking.has_active_grant(TEAM, BOB_SLACK)
    assert not rig.oauth.is_active(bob.access_token)
    assert not rig.oauth.is_active(bob.refresh_token or "")
    assert await linking.forget_users("T0OTHERTEAM", "all") == 0
    assert await linking.has_active_grant(TEAM, ALICE_SLACK)

    assert await linking.forget_users(TEAM, "all") == 1  # app_uninstalled
    assert not await linking.has_active_grant(TEAM, ALICE_SLACK)
    assert not rig.oauth.is_active(alice.refresh_token or "")
