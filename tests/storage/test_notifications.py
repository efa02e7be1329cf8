"""Direct-message settings and the record of messages sent, on both engines (bot/notify/store.py)."""

from __future__ import annotations

import asyncio

from bot.notify.store import NotificationSettings, SentKey, SentNotifications
from bot.storage import Database, open_database

KEY = SentKey(team_id="T1", user_id="U1", org="acme", database="shop", number=7, event="deployed")


async def test_a_message_is_claimed_once_across_tasks_connections_and_a_restart(
    db: Database, database_url: str
) -> None:
    sent = SentNotifications(db)
    assert sum(await asyncio.gather(*(sent.claim(KEY) for _ in range(8)))) == 1
    restarted = await open_database(database_url)  # another process, or this one started again
    try:
        await restarted.migrate()
        assert await SentNotifications(restarted).claim(KEY) is False
        assert await SentNotifications(restarted).claim(SentKey(**{**vars(KEY), "event": "failed"})) is True
    finally:
        await restarted.close()
    await sent.release(KEY)  # Slack did not take it: the next sighting sends it
    assert await sent.claim(KEY) is True


async def test_mine_is_on_until_turned_off_and_reviews_are_off_until_turned_on(db: Database) -> None:
    settings = NotificationSettings(db)
    assert (await settings.of_user("T1", "U1")).mine is True
    await settings.set_mine(team_id="T1", user_id="U1", on=False)
    assert await settings.mine_on("T1", "U1") is False
    assert await settings.mine_on("T1", "U2") is True

    await settings.set_reviews(team_id="T1", user_id="U1", org="acme", database="shop", on=True)
    await settings.set_reviews(team_id="T1", user_id="U1", org="acme", database="shop", on=True)  # again: no change
    assert await settings.reviewers(team_id="T1", org="acme", database="shop") == ["U1"]
    assert (await settings.of_user("T1", "U1")).reviews == (("acme", "shop"),)
    await settings.set_reviews(team_id="T1", user_id="U1", org="acme", database="shop", on=False)
    assert await settings.reviewers(team_id="T1", org="acme", database="shop") == []
    assert await settings.review_subscriptions() == []
