"""`move-database`: an SQLite installation copied into PostgreSQL with nothing lost and secrets still sealed."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.cards.store import Cards
from bot.digests.schedule import Timing
from bot.digests.store import Subscription, Subscriptions
from bot.linking.crypto import SecretBox
from bot.linking.grants import GrantStore, NewGrant, TokenSet
from bot.storage import AuditLog, ChannelPreferences, IdempotencyKeys, StorageError, open_database
from bot.storage.move import move_database
from bot.storage.sqlite import SqliteDatabase
from bot.watch.store import Watch, Watches
from tests.support.deploy_requests import SNAPSHOT
from tests.support.postgres import PostgresCluster

KEY = Fernet.generate_key().decode()
SUBSCRIPTION = Subscription("T1", "C1", "acme", "shop", "U1", Timing(time(9, 0), "Europe/Paris", True))


async def _populate(path: Path) -> SqliteDatabase:
    source = await SqliteDatabase.open(path)
    await source.migrate()
    box = SecretBox([KEY])
    for user in ("U1", "U2"):
        await GrantStore(source, box).save(NewGrant(
            team_id="T1", user_id=user, planetscale_user_id=f"ps-{user}", planetscale_user_name=user,
            tokens=TokenSet(access_token=f"pscale_oauth_{user}", refresh_token=f"refresh_{user}", expires_in=3600,
                            scopes=("user:read_user",)),
        ))
    await Watches(source, box).add(
        Watch("hook1", "T1", "C1", "acme", "shop", "wh1"), secret="whsec_1", created_by="U1"
    )
    card = await Cards(source).add(SNAPSHOT, team_id="T1", channel_id="C1", org="acme", reader_id="U1", refresh_in=5)
    await Cards(source).set_ts(card.card_id, "1700000000.000100")
    await Subscriptions(source).subscribe(SUBSCRIPTION)
    await ChannelPreferences(source).set_default_database(team_id="T1", channel_id="C1", database_name="shop")
    await IdempotencyKeys(source).claim_once("event:Ev1")
    for number in range(3):
        await AuditLog(source).record(team_id="T1", user_id="U1", organization="acme", database="shop",
                                      action="branch create", target=f"branch `b{number}`", result="ok")
    return source


async def test_everything_moves_and_keeps_working_under_the_same_keys(
    tmp_path: Path, postgres: PostgresCluster
) -> None:
    source = await _populate(tmp_path / "bot.sqlite3")
    target = await open_database(postgres.new_database())
    try:
        report = await move_database(source, target)
        assert report.copied["planetscale_grants"] == 2
        assert report.copied["audit_log"] == 3
        assert report.rows == sum(report.copied.values())
        assert report.summary().startswith(f"copied {report.rows} row(s) in ")
        for table in await source.table_names():
            assert await target.fetchall(f"SELECT count(*) FROM {table}") == [(report.copied[table],)]

        box = SecretBox([KEY])
        grant = await GrantStore(target, box).active_grant("T1", "U2")
        assert grant is not None
        assert (grant.access_token, grant.refresh_token) == ("pscale_oauth_U2", "refresh_U2")
        sealed = await target.fetchone("SELECT access_token FROM planetscale_grants WHERE user_id = 'U2'")
        assert sealed is not None
        assert "pscale_oauth" not in sealed[0]  # still sealed, byte for byte what SQLite held
        found = await Watches(target, box).by_hook("hook1")
        assert found is not None
        assert found[1] == "whsec_1"
        (card,) = await Cards(target).of_request(team_id="T1", org="acme", database=SNAPSHOT.database,
                                                 number=SNAPSHOT.number)
        assert card.snapshot == SNAPSHOT
        assert await Subscriptions(target).all() == [SUBSCRIPTION]
        assert not await IdempotencyKeys(target).claim_once("event:Ev1")
        # New rows follow the copied ones: the audit log's ids go on after the last copied.
        await AuditLog(target).record(team_id="T1", user_id="U1", organization="acme", database="shop",
                                      action="branch create", target="branch `b3`", result="ok")
        assert await target.fetchall("SELECT id FROM audit_log ORDER BY id") == [(1,), (2,), (3,), (4,)]

        with pytest.raises(StorageError, match="already holds data"):
            await move_database(source, target)
    finally:
        await source.close()
        await target.close()


async def test_the_target_must_be_postgresql(tmp_path: Path) -> None:
    source = await _populate(tmp_path / "bot.sqlite3")
    target = await open_database(str(tmp_path / "other.sqlite3"))
    try:
        with pytest.raises(StorageError, match="postgresql://"):
            await move_database(source, target)
    finally:
        await source.close()
        await target.close()
