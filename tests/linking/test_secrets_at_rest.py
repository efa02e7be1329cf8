"""Tokens at rest: never in the SQLite file, its WAL or the logs; unreadable rows mean "not linked"; key rotation."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest
from cryptography.fernet import Fernet

from bot.linking import RotationReport, Unlinked, rotate_encryption_keys
from bot.planetscale import LinkRequired
from bot.storage import open_database
from tests.linking.conftest import ALICE_SLACK, TEAM, Rig
from tests.support.oauth_browser import Browser, query_of

THIRTY_ONE_DAYS = 31 * 86_400


def _stored_bytes(rig: Rig) -> bytes:
    files = [rig.db_path, rig.db_path.with_name(rig.db_path.name + "-wal")]
    assert files[1].exists(), "the WAL is where fresh writes sit; it must be inspected too"
    return b"".join(path.read_bytes() for path in files)


async def test_no_secret_reaches_the_database_file_its_wal_or_the_logs(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = []
    with httpx.Client(timeout=10) as http:
        browser = Browser(http)
        start_url = await rig.start_url()
        redirect = browser.start(start_url)
        callback = browser.authorize(redirect.headers["location"])
        assert http.get(callback).status_code == 200
        secrets += [query_of(start_url)["t"], query_of(callback)["state"], query_of(callback)["code"]]
        secrets.append(http.cookies["pscale_link_browser"])
    # The test's own browser logs its URLs and headers through httpx/httpcore, from this thread; the bot's pages
    # run in uvicorn's thread. Only the browser's records are set aside; everything the bot logged is checked.
    browser_thread = threading.get_ident()
    browser_phase = len(caplog.records)
    linking = await rig.linking()
    first = await rig.stored()
    rig.clock.advance(THIRTY_ONE_DAYS)
    await linking.token_provider(TEAM, ALICE_SLACK).access_token()  # a refresh writes new tokens
    second = await rig.stored()
    secrets += [first.access_token, first.refresh_token or "", second.access_token, second.refresh_token or ""]
    secrets.append(query_of((await linking.link_offer(TEAM, ALICE_SLACK)).url)["t"])
    assert all(secrets)
    assert len(set(secrets)) == len(secrets)

    stored = _stored_bytes(rig)
    records = [
        record
        for record in caplog.records[:browser_phase]
        if not (record.thread == browser_thread and record.name.split(".")[0] in {"httpx", "httpcore"})
    ] + caplog.records[browser_phase:]
    logged = "\n".join(caplog.handler.format(record) for record in records)
    for secret in secrets:
        assert secret.encode() not in stored
        assert secret not in logged
    assert "refreshed the PlanetScale token" in logged  # the logs were captured, and say what happened


async def test_a_row_no_key_opens_counts_as_not_linked(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.link()
    grant = await rig.stored()
    stranger = await rig.linking(keys=[Fernet.generate_key().decode()])

    with caplog.at_level(logging.WARNING):
        assert not await stranger.has_active_grant(TEAM, ALICE_SLACK)
    assert "cannot be decrypted" in caplog.text
    assert grant.access_token not in caplog.text
    assert "/oauth/planetscale/start?t=" in (await stranger.link_offer(TEAM, ALICE_SLACK)).url
    with pytest.raises(LinkRequired):
        await stranger.token_provider(TEAM, ALICE_SLACK).access_token()
    assert rig.oauth.counters.refreshes == 0

    unlinked = await stranger.logout(TEAM, ALICE_SLACK)  # the row goes; the tokens cannot be revoked by the bot
    assert unlinked == Unlinked(planetscale_name=None, revoked=False, unreadable=True)
    assert not await (await rig.linking()).has_active_grant(TEAM, ALICE_SLACK)


async def test_key_rotation_while_token_reads_run(rig: Rig) -> None:
    await rig.link()
    old_key = rig.keys[0]
    new_key = Fernet.generate_key().decode()
    expected = (await rig.stored()).access_token
    reader = await rig.linking(keys=[new_key, old_key])  # the bot after the operator prepended the new key
    rotating = asyncio.Event()
    reads: list[str] = []

    async def read_until_rotated() -> None:
        while True:
            reads.append(await reader.token_provider(TEAM, ALICE_SLACK).access_token())
            if rotating.is_set() and len(reads) > 50:
                return
            # access_token() does not suspend when no refresh is due: yield, so the loop sees the rotation finish.
            await asyncio.sleep(0)

    def rotate() -> None:
        # `pscale-bot keys rotate` is another process: its own connections to the same file, its own event loop.
        async def in_another_loop() -> RotationReport:
            database = await open_database(str(rig.db_path))
            try:
                return await rotate_encryption_keys(database, [new_key, old_key])
            finally:
                await database.close()

        report = asyncio.run(in_another_loop())
        assert (report.rotated, report.unreadable) == (1, 0)

    readers = [asyncio.create_task(read_until_rotated()) for _ in range(4)]
    await asyncio.to_thread(rotate)
    rotating.set()
    await asyncio.gather(*readers)

    assert set(reads) == {expected}
    assert await (await rig.linking(keys=[new_key])).has_active_grant(TEAM, ALICE_SLACK)
    assert not await (await rig.linking(keys=[old_key])).has_active_grant(TEAM, ALICE_SLACK)
