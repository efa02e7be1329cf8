"""The card store on both engines: when cards fall due, who holds them meanwhile, how versions move, and clicks
claimed once, held by a lease while PlanetScale acts."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.cards.store import (
    CLICK_LEASE_SECONDS,
    MAX_REDRAW_FAILURES,
    REFRESH_LEASE_SECONDS,
    UNCONFIRMED_SECONDS,
    Cards,
)
from bot.deploy_requests.summary import Person
from bot.storage import Database, open_database
from tests.support.deploy_requests import SNAPSHOT


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_card_falls_due_when_its_interval_has_passed_and_only_if_someone_can_read_it(db: Database) -> None:
    clock = _Clock()
    cards = Cards(db, clock=clock)
    card = await cards.add(SNAPSHOT, team_id="T", channel_id="C", org="acme", reader_id="U", refresh_in=300)
    await cards.set_ts(card.card_id, "1.0")
    assert await cards.claim_due(holder="A", limit=10) == []
    clock.now += 301
    assert [due.card_id for due in await cards.claim_due(holder="A", limit=10)] == [card.card_id]

    version, changed = await cards.save(card, SNAPSHOT, refresh_in=None, reader_id="U")
    assert (version, changed) == (1, False)  # same state: same version, and no longer due
    clock.now += 10_000
    assert await cards.claim_due(holder="A", limit=10) == []

    version, changed = await cards.save(
        card, dataclasses.replace(SNAPSHOT, approved=True), refresh_in=5, reader_id=None
    )
    assert (version, changed) == (2, True)
    clock.now += 10
    assert await cards.claim_due(holder="A", limit=10) == []  # nobody's grant left to read it with


async def test_a_due_card_brings_the_other_cards_its_read_redraws_and_the_limit_counts_deploy_requests(
    db: Database,
) -> None:
    clock = _Clock()
    cards = Cards(db, clock=clock)

    async def posted(number: int, *, refresh_in: float, reader: str = "U") -> str:
        card = await cards.add(
            dataclasses.replace(SNAPSHOT, number=number), team_id="T", channel_id="C", org="acme", reader_id=reader,
            refresh_in=refresh_in,
        )
        await cards.set_ts(card.card_id, "1.0")
        return card.card_id

    longest_overdue = {await posted(1, refresh_in=10), await posted(1, refresh_in=300)}
    next_overdue = {await posted(2, refresh_in=20), await posted(2, refresh_in=300)}
    await posted(2, refresh_in=300, reader="V")  # drawn with another grant: that read does not redraw it
    await posted(3, refresh_in=300)  # nothing of it is due
    clock.now += 30
    assert {card.card_id for card in await cards.claim_due(holder="A", limit=1)} == longest_overdue
    assert {card.card_id for card in await cards.claim_due(holder="A", limit=10)} == next_overdue
    assert await cards.claim_due(holder="A", limit=10) == []


async def test_replicas_refreshing_at_once_share_out_the_due_cards_and_take_over_a_dead_ones(
    db: Database, database_url: str
) -> None:
    clock = _Clock()
    other = await open_database(database_url)
    try:
        replica_a, replica_b = Cards(db, clock=clock), Cards(other, clock=clock)
        for _ in range(6):
            card = await replica_a.add(SNAPSHOT, team_id="T", channel_id="C", org="acme", reader_id="U", refresh_in=1)
            await replica_a.set_ts(card.card_id, "1.0")
        clock.now += 2
        got_a, got_b = await asyncio.gather(
            replica_a.claim_due(holder="A", limit=4), replica_b.claim_due(holder="B", limit=4)
        )
        ids_a, ids_b = {card.card_id for card in got_a}, {card.card_id for card in got_b}
        assert not ids_a & ids_b
        assert len(ids_a | ids_b) == 6
        # A dies holding its cards: nobody takes them while its lease runs, B does once it has lapsed.
        assert await replica_b.claim_due(holder="B", limit=10) == []
        clock.now += REFRESH_LEASE_SECONDS + 1
        assert {card.card_id for card in await replica_b.claim_due(holder="B", limit=10)} == ids_a | ids_b
    finally:
        await other.close()


async def test_a_click_is_claimed_once_and_held_by_a_lease_until_planetscale_has_acted(
    db: Database, database_url: str
) -> None:
    clock = _Clock()
    other = await open_database(database_url)
    try:
        replicas = [Cards(db, clock=clock), Cards(other, clock=clock)]
        claims = await asyncio.gather(*(
            replicas[turn % 2].claim_click("k1", card_id="c", action="dr_deploy", user_id=f"U{turn}")
            for turn in range(16)
        ))
    finally:
        await other.close()
    winners = [claim for claim in claims if claim.won]
    assert len(winners) == 1
    winner = winners[0]
    assert not winner.took_over
    cards = replicas[0]
    assert {claim.by_user_id for claim in claims if not claim.won} == {
        next(f"U{turn}" for turn, claim in enumerate(claims) if claim.won)
    }
    # The process acting on it dies mid-call (neither finished nor released): refused while the lease runs,
    # then the click can be made again, once.
    clock.now += CLICK_LEASE_SECONDS - 1
    assert not (await cards.claim_click("k1", card_id="c", action="dr_deploy", user_id="U99")).won
    clock.now += 2
    again = await asyncio.gather(*(cards.claim_click("k1", card_id="c", action="dr_deploy", user_id="U7")
                                   for _ in range(4)))
    assert sum(claim.won for claim in again) == 1
    retaker = next(claim for claim in again if claim.won)
    assert retaker.took_over  # from a holder that may have acted: the card is read again before acting
    # The dead holder's token no longer touches the claim; the new holder's finishes it, for good.
    await cards.release_click("k1", winner)
    await cards.finish_click("k1", retaker)
    clock.now += 10 * CLICK_LEASE_SECONDS
    late = await cards.claim_click("k1", card_id="c", action="dr_deploy", user_id="U8")
    assert (late.won, late.by_user_id) == (False, "U7")


async def test_a_released_click_can_be_made_again_at_once(db: Database) -> None:
    cards = Cards(db)
    claim = await cards.claim_click("k2", card_id="c", action="dr_close", user_id="U1")
    await cards.release_click("k2", claim)
    assert (await cards.claim_click("k2", card_id="c", action="dr_close", user_id="U2")).won


async def test_dismissed_approvals_are_released_by_prefix_and_only_those(db: Database) -> None:
    cards = Cards(db)
    for key in ("approve:T:acme:my_db:7:U1", "approve:T:acme:my_db:7:U2", "approve:T:acme:myXdb:7:U3"):
        await cards.finish_click(key, await cards.claim_click(key, card_id="c", action="dr_approve", user_id="U"))
    assert await cards.release_approvals("approve:T:acme:my_db:7:") == 2
    assert (await cards.claim_click("approve:T:acme:my_db:7:U1", card_id="c", action="a", user_id="U1")).won
    assert not (await cards.claim_click("approve:T:acme:myXdb:7:U3", card_id="c", action="a", user_id="U3")).won


async def test_concurrent_saves_never_lose_a_version(db: Database, database_url: str) -> None:
    other = await open_database(database_url)
    try:
        cards, cards_elsewhere = Cards(db), Cards(other)
        card = await cards.add(SNAPSHOT, team_id="T", channel_id="C", org="acme", reader_id="U", refresh_in=None)
        shown = [dataclasses.replace(SNAPSHOT, approvers=(Person(None, f"reviewer {n}"),)) for n in range(8)]
        results = await asyncio.gather(*(
            (cards if n % 2 else cards_elsewhere).save(card, snapshot, refresh_in=None, reader_id="U")
            for n, snapshot in enumerate(shown)
        ))
    finally:
        await other.close()
    assert sorted(version for version, _ in results) == list(range(2, 10))
    stored = await cards.get(card.card_id)
    assert stored is not None
    assert stored.version == 9


# A card stored before its snapshot was the domain's record: the renderer's view, with its id, version and the
# stale reason inside, and without the fields added later (updated_at, instant_eligible, more_operations).
_OLD_ROW_SNAPSHOT = (
    '{"card_id":"c0ffee","version":3,"database":"shop","number":7,"branch":"add-index","into_branch":"main",'
    '"state":"open","deployment_state":"ready","approved":false,"approved_by":["Bob"],"author":"Carol <Member> & co",'
    '"notes":"Speeds up *orders*.","created_at":"2026-01-05T05:00:00Z",'
    '"html_url":"https://app.planetscale.com/acme/shop/deploy-requests/7","lint_errors":[],"deploy_check_errors":null,'
    '"operations":[{"table":"orders","operation":"ALTER","ddl":"ALTER TABLE `orders` ADD INDEX i (a)"}],'
    '"queue_position":null,"progress_percentage":null,"eta_seconds":null,"revert_deadline":null,"gated":false,'
    '"as_of":"2026-01-05T10:00:00Z","stale":"Nobody who posted or used this card has a PlanetScale link any more."}'
)


async def test_a_card_stored_in_the_older_shape_reads_and_keeps_its_version(db: Database) -> None:
    await db.execute(
        "INSERT INTO cards (card_id, team_id, channel_id, ts, org, database, number, reader_id, version,"
        " fingerprint, snapshot, created_at, refreshed_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 3, ?, ?, 0, 0)",
        ("c0ffee", "T", "C", "1.0", "acme", "shop", 7, '["open", "ready", false, ["Bob"], false]', _OLD_ROW_SNAPSHOT),
    )
    cards = Cards(db)
    card = await cards.get("c0ffee")
    assert card is not None
    assert card.snapshot == dataclasses.replace(SNAPSHOT, approvers=(Person(None, "Bob"),))
    assert (card.version, card.stale, card.undrawn) == (3, True, False)  # drawn, as far as anyone can tell
    # The state it shows is what was stored: saving it again is no change, so clicks on its drawing still count.
    assert await cards.save(card, card.snapshot, refresh_in=None, reader_id=None) == (3, False)


async def test_a_drawing_slack_did_not_confirm_is_drawn_again_backing_off_until_the_last_try(db: Database) -> None:
    clock = _Clock()
    cards = Cards(db, clock=clock)
    card = await cards.add(SNAPSHOT, team_id="T", channel_id="C", org="acme", reader_id="U", refresh_in=None)
    await cards.set_ts(card.card_id, "1.0")

    async def undrawn() -> bool:
        stored = await cards.get(card.card_id)
        assert stored is not None
        return stored.undrawn

    async def drawn_again_after(seconds: float) -> None:
        """The reconciler takes the card to draw it again `seconds` from now, not a second sooner."""
        clock.now += seconds - 1
        assert await cards.claim_undrawn(holder="A", limit=10) == []
        clock.now += 1
        assert [taken.card_id for taken in await cards.claim_undrawn(holder="A", limit=10)] == [card.card_id]
        await cards.redrawing(card.card_id)  # sent again: its answer is awaited as any drawing's

    assert not await undrawn()  # its post was its drawing, and Slack answered it
    approved = dataclasses.replace(SNAPSHOT, approved=True)
    await cards.save(card, approved, refresh_in=None, reader_id="U", drawing=True)
    assert await undrawn()
    await drawn_again_after(UNCONFIRMED_SECONDS)  # no answer came: drawn again, in case none will
    assert await cards.claim_undrawn(holder="B", limit=10) == []  # drawn already; it waits for the answer

    # Slack refuses again and again: Retry-After when it names one, else twice as long each time, up to a cap.
    waits = [60, 10, 20, 40, 80, 160, 320, 640, 900, 900, 900]
    assert len(waits) == MAX_REDRAW_FAILURES - 1
    for failure, wait in enumerate(waits, start=1):
        retry_after = 60 if failure == 1 else None
        assert not await cards.redraw_failed(card.card_id, approved, stale=False, retry_after=retry_after)
        await drawn_again_after(wait)
    assert await cards.redraw_failed(card.card_id, approved, stale=False, retry_after=None)  # the last try
    clock.now += 1_000_000
    assert await cards.claim_undrawn(holder="A", limit=10) == []
    assert await undrawn()  # so the next read draws it even when nothing changed

    # An answer about an older drawing says nothing of the newer one; a new drawing counts its failures afresh.
    dismissed = dataclasses.replace(approved, approved=False)
    await cards.save(card, dismissed, refresh_in=None, reader_id="U", drawing=True)
    await cards.drawn(card.card_id, approved, stale=False)
    assert not await cards.redraw_failed(card.card_id, approved, stale=False, retry_after=None)
    await drawn_again_after(UNCONFIRMED_SECONDS)
    assert not await cards.redraw_failed(card.card_id, dismissed, stale=False, retry_after=None)
    await drawn_again_after(5)
    await cards.drawn(card.card_id, dismissed, stale=False)
    assert not await undrawn()
    clock.now += 1_000_000
    assert await cards.claim_undrawn(holder="A", limit=10) == []
