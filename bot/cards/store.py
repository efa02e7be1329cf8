"""Cards and their clicks, on either storage engine. Versions move by compare-and-swap, and what a replica is doing
(refreshing a card, acting on a click) it holds by a lease that lapses if the replica dies.

A card keeps the deploy request as it last read it (`snapshot`, a `Snapshot` as JSON) and the Slack user whose
grant reads it (`reader_id`); a card nobody's grant can read any more has none, and is stale. Rows written before
the snapshot was a domain record hold the renderer's view of it, whose extra keys (`card_id`, `version`, `stale`)
are ignored on reading: the columns hold the first two, and `reader_id` says the third. Their approvers were names
(`approved_by`), read now as people whose PlanetScale ids are unknown.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from pydantic import TypeAdapter

from bot.deploy_requests.summary import Snapshot
from bot.storage import Database
from bot.storage.database import Clock

_SNAPSHOT = TypeAdapter(Snapshot)


@dataclass(frozen=True)
class CardRecord:
    card_id: str
    team_id: str
    channel_id: str
    ts: str | None
    unfurl_url: str | None
    org: str
    database: str
    number: int
    reader_id: str | None
    version: int
    refreshed_at: int
    snapshot: Snapshot
    # Slack has not confirmed that the card shows `snapshot` (its chat.update is on its way, failed, or unanswered).
    undrawn: bool = False

    @property
    def stale(self) -> bool:
        """Nobody's grant is left to read the deploy request with: the card can no longer be kept current."""
        return self.reader_id is None


def fingerprint(snapshot: Snapshot, *, stale: bool) -> str:
    """The part of a card that, when it changes, makes older clicks stale. Progress and ETA are cosmetic."""
    return json.dumps(
        [
            snapshot.state, snapshot.deployment_state, snapshot.approved,
            [person.id or person.name for person in snapshot.approvers], not stale,
        ]
    )


_COLUMNS = (
    "card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id, version, refreshed_at,"
    " redraw_at IS NOT NULL OR redraw_failures > 0, snapshot"
)
_SELECT = f"SELECT {_COLUMNS} FROM cards"  # noqa: S608 - constant column names


def _record(row: tuple[object, ...]) -> CardRecord:
    *head, undrawn, snapshot = row
    card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id, version, refreshed_at = head
    return CardRecord(
        card_id=str(card_id),
        team_id=str(team_id),
        channel_id=str(channel_id),
        ts=str(ts) if ts is not None else None,
        unfurl_url=str(unfurl_url) if unfurl_url is not None else None,
        org=str(org),
        database=str(database),
        number=int(str(number)),
        reader_id=str(reader_id) if reader_id is not None else None,
        version=int(str(version)),
        refreshed_at=int(str(refreshed_at)),
        snapshot=_read_snapshot(str(snapshot)),
        undrawn=bool(undrawn),
    )


def _read_snapshot(stored: str) -> Snapshot:
    """A stored snapshot; one stored before approvers were people keeps its approvers' names (`approved_by`)."""
    fields = json.loads(stored)
    if "approved_by" in fields and "approvers" not in fields:
        fields["approvers"] = [{"id": None, "name": name} for name in fields.pop("approved_by")]
    return _SNAPSHOT.validate_python(fields)


def _drawing(card_id: str, snapshot: Snapshot, *, stale: bool) -> tuple[str, str, str]:
    """(card_id, snapshot, fingerprint) as stored for one drawing of the card: what Slack's answer about that drawing
    is matched against, so it never lands on a newer one."""
    return card_id, _SNAPSHOT.dump_json(snapshot).decode(), fingerprint(snapshot, stale=stale)


# Long enough for the PlanetScale call a click makes (its timeouts, a wait for the pacer), so a live holder is never
# overtaken; short enough that a click whose process died can be made again soon.
CLICK_LEASE_SECONDS = 60
# Long enough for one reading of a deploy request; a card held by a replica that died is read by another after it.
REFRESH_LEASE_SECONDS = 30
# How long a drawing may wait for Slack's answer (queued behind the chat.update budget, then the call itself) before
# the reconciler draws it again: one whose process died before sending it is not lost.
UNCONFIRMED_SECONDS = 120
# A drawing Slack failed to take is tried again after 5 s (about two reconciler passes), then twice as long each time
# up to 15 minutes, or after Slack's Retry-After if that is longer; after 12 failures (about an hour) the reconciler
# stops trying, and the card waits for its next read, delivery or click. A refusal Slack will repeat however often it
# is asked (`SlackRefused.final`) is given up on at once, as after the last failure.
REDRAW_RETRY_SECONDS = 5
REDRAW_RETRY_MAX_SECONDS = 900
MAX_REDRAW_FAILURES = 12
_COMPARE_AND_SWAP_ATTEMPTS = 10


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a click: won (with the `holder` token that finishes or releases it), or who got
    there first. `took_over`: won from a holder whose lease lapsed (it died mid-call, so PlanetScale may or may not
    have acted: read the deploy request again before acting)."""

    won: bool
    by_user_id: str | None = None
    holder: str = ""
    took_over: bool = False


class Cards:
    def __init__(self, database: Database, *, clock: Clock = time.time) -> None:
        self._database = database
        self._clock = clock

    async def add(
        self, snapshot: Snapshot, *, team_id: str, channel_id: str, org: str, reader_id: str,
        refresh_in: float | None, unfurl: tuple[str, str] | None = None,
    ) -> CardRecord:
        """A new card, at version 1; `unfurl` is (message ts, url) when it is drawn as the unfurl of a link in that
        message. An unfurl is drawn by a `chat.unfurl` still to be sent, so it is stored unconfirmed; a posted card's
        first drawing is its post, whose answer the poster waits for."""
        card_id = secrets.token_hex(8)
        ts, unfurl_url = unfurl if unfurl is not None else (None, None)
        now = int(self._clock())
        row = await self._database.fetchone(
            "INSERT INTO cards (card_id, team_id, channel_id, ts, unfurl_url, org, database, number, reader_id,"  # noqa: S608 - constant SQL
            " version, next_refresh_at, refreshed_at, snapshot, fingerprint, created_at, redraw_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) RETURNING " + _COLUMNS,
            (card_id, team_id, channel_id, ts, unfurl_url, org, snapshot.database, snapshot.number, reader_id,
             self._due(refresh_in), now, _SNAPSHOT.dump_json(snapshot).decode(),
             fingerprint(snapshot, stale=False), now, self._due(UNCONFIRMED_SECONDS) if unfurl else None),
        )
        if row is None:  # pragma: no cover - RETURNING of a plain INSERT always has its row
            raise RuntimeError("card vanished after insert")
        return _record(row)

    async def set_ts(self, card_id: str, ts: str) -> None:
        await self._database.execute("UPDATE cards SET ts = ? WHERE card_id = ?", (ts, card_id))

    async def forget_message(self, channel_id: str, ts: str, unfurl_url: str | None = None) -> None:
        """The card's message was deleted (or its channel archived), or for the unfurl of `unfurl_url` the link left
        its message: nothing is left to keep current."""
        if unfurl_url is None:
            await self._database.execute("DELETE FROM cards WHERE channel_id = ? AND ts = ?", (channel_id, ts))
        else:
            await self._database.execute(
                "DELETE FROM cards WHERE channel_id = ? AND ts = ? AND unfurl_url = ?", (channel_id, ts, unfurl_url)
            )

    async def remove(self, card_id: str) -> None:
        await self._database.execute("DELETE FROM cards WHERE card_id = ?", (card_id,))

    async def get(self, card_id: str) -> CardRecord | None:
        row = await self._database.fetchone(_SELECT + " WHERE card_id = ?", (card_id,))
        return _record(row) if row else None

    async def of_request(self, *, team_id: str, org: str, database: str, number: int) -> list[CardRecord]:
        rows = await self._database.fetchall(
            _SELECT + " WHERE team_id = ? AND org = ? AND database = ? AND number = ?"
            " AND ts IS NOT NULL ORDER BY created_at",
            (team_id, org, database, number),
        )
        return [_record(row) for row in rows]

    def _due(self, refresh_in: float | None) -> int | None:
        return None if refresh_in is None else int(self._clock() + refresh_in)

    async def claim_due(
        self, *, holder: str, limit: int, lease_seconds: int = REFRESH_LEASE_SECONDS
    ) -> list[CardRecord]:
        """Take the refresh lease of the posted cards of up to `limit` deploy requests, each with the grant its
        cards are drawn with, one of whose cards has come due, longest overdue first: all their cards drawn with
        that grant, those not yet due too, because one read of the deploy request redraws them all. Cards of one
        deploy request come side by side. Replicas passing at once each get different cards (the leases; SKIP
        LOCKED on PostgreSQL, where two passes at the very same moment may split one deploy request's cards and
        each read it); a card whose holder died is due again once its lease lapsed. `save` or `postpone` ends it."""
        now = int(self._clock())
        rows = await self._database.fetchall(
            "UPDATE cards SET lease_holder = ?, lease_until = ? WHERE card_id IN ("  # noqa: S608 - constant SQL
            "SELECT card_id FROM cards WHERE ts IS NOT NULL AND (lease_until IS NULL OR lease_until < ?)"
            " AND (team_id, org, database, number, reader_id) IN ("
            "SELECT team_id, org, database, number, reader_id FROM cards WHERE next_refresh_at <= ?"
            " AND reader_id IS NOT NULL AND ts IS NOT NULL AND (lease_until IS NULL OR lease_until < ?)"
            " GROUP BY team_id, org, database, number, reader_id ORDER BY min(next_refresh_at) LIMIT ?)"
            f"{self._database.skip_locked}) RETURNING " + _COLUMNS,
            (holder, now + lease_seconds, now, now, now, limit),
        )
        cards = [_record(row) for row in rows]
        return sorted(cards, key=lambda card: (card.team_id, card.org, card.database, card.number, card.card_id))

    async def save(
        self, card: CardRecord, snapshot: Snapshot, *, refresh_in: float | None, reader_id: str | None,
        drawing: bool = False,
    ) -> tuple[int, bool]:
        """Store what the card shows now, read with `reader_id`'s grant (None: nobody's is left), and end any
        refresh lease on it. Returns (version, changed): the version goes up when the state shown (its fingerprint)
        differs from what was stored, so clicks on the older drawing are recognised. Compare-and-swap: a concurrent
        save (another replica, a click) makes this one read again, never lose a version. `drawing`: its drawing is
        about to be sent, so it is unconfirmed until `drawn` (a new snapshot starts its count of failures afresh);
        otherwise whether Slack shows the card is left as it was."""
        shown = fingerprint(snapshot, stale=reader_id is None)
        stored_snapshot = _SNAPSHOT.dump_json(snapshot).decode()
        for _ in range(_COMPARE_AND_SWAP_ATTEMPTS):
            row = await self._database.fetchone(
                "SELECT version, fingerprint FROM cards WHERE card_id = ?", (card.card_id,)
            )
            if row is None:
                return card.version, False
            stored_version, stored = int(row[0]), str(row[1])
            changed = stored != shown
            version = stored_version + 1 if changed else stored_version
            # The right-hand sides read the row as it was: the failures are kept only for the same snapshot.
            swapped = await self._database.execute(
                "UPDATE cards SET version = ?, fingerprint = ?, next_refresh_at = ?, snapshot = ?, reader_id = ?,"
                " refreshed_at = ?, lease_holder = NULL, lease_until = NULL,"
                " redraw_at = CASE WHEN ? THEN ? ELSE redraw_at END,"
                " redraw_failures = CASE WHEN ? AND snapshot <> ? THEN 0 ELSE redraw_failures END"
                " WHERE card_id = ? AND version = ? AND fingerprint = ?",
                (version, shown, self._due(refresh_in), stored_snapshot, reader_id, int(self._clock()),
                 drawing, self._due(UNCONFIRMED_SECONDS), drawing, stored_snapshot,
                 card.card_id, stored_version, stored),
            )
            if swapped:
                return version, changed
        raise RuntimeError(f"card {card.card_id} kept changing while it was saved")  # pragma: no cover

    async def claim_undrawn(
        self, *, holder: str, limit: int, lease_seconds: int = REFRESH_LEASE_SECONDS
    ) -> list[CardRecord]:
        """Take the refresh lease of up to `limit` posted cards whose drawing Slack has not confirmed and whose
        `redraw_at` has come, longest waiting first: they are drawn again from what was last read. `redrawing` ends
        the lease."""
        now = int(self._clock())
        rows = await self._database.fetchall(
            "UPDATE cards SET lease_holder = ?, lease_until = ? WHERE card_id IN ("  # noqa: S608 - constant SQL
            "SELECT card_id FROM cards WHERE redraw_at <= ? AND ts IS NOT NULL"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY redraw_at LIMIT ?"
            f"{self._database.skip_locked}) RETURNING " + _COLUMNS,
            (holder, now + lease_seconds, now, now, limit),
        )
        return [_record(row) for row in rows]

    async def redrawing(self, card_id: str) -> None:
        """The card's drawing is sent again (or was confirmed meanwhile): end its lease, and wait for Slack's answer
        as long as for any drawing. Called before the drawing is queued, so a failure it meets is not overwritten."""
        await self._database.execute(
            "UPDATE cards SET redraw_at = CASE WHEN redraw_at IS NULL THEN NULL ELSE ? END,"
            " lease_holder = NULL, lease_until = NULL WHERE card_id = ?",
            (self._due(UNCONFIRMED_SECONDS), card_id),
        )

    async def drawn(self, card_id: str, snapshot: Snapshot, *, stale: bool) -> None:
        """Slack confirmed the drawing of `snapshot`: unless a newer one has been stored since, the card shows it."""
        await self._database.execute(
            "UPDATE cards SET redraw_at = NULL, redraw_failures = 0"
            " WHERE card_id = ? AND snapshot = ? AND fingerprint = ?",
            _drawing(card_id, snapshot, stale=stale),
        )

    async def redraw_failed(
        self, card_id: str, snapshot: Snapshot, *, stale: bool, retry_after: float | None, final: bool = False
    ) -> bool:
        """Slack did not take (or did not confirm) the drawing of `snapshot`: unless a newer one has been stored
        since, draw it again later, backing off and no sooner than Slack's `retry_after`. `final`: Slack will refuse
        it again however often it is sent, so the reconciler gives up at once, as after its last try. Returns True
        when this was the last try (the reconciler gives up on it)."""
        drawing = _drawing(card_id, snapshot, stale=stale)
        for _ in range(_COMPARE_AND_SWAP_ATTEMPTS):
            row = await self._database.fetchone(
                "SELECT redraw_failures FROM cards WHERE card_id = ? AND snapshot = ? AND fingerprint = ?", drawing
            )
            if row is None:
                return False  # a newer drawing (or none: the card is gone) has its own outcome
            failures = MAX_REDRAW_FAILURES if final else int(row[0]) + 1
            backoff = min(REDRAW_RETRY_SECONDS * 2 ** (failures - 1), REDRAW_RETRY_MAX_SECONDS)
            again_at = None if failures >= MAX_REDRAW_FAILURES else self._due(max(backoff, retry_after or 0))
            if await self._database.execute(
                "UPDATE cards SET redraw_failures = ?, redraw_at = ?"
                " WHERE card_id = ? AND snapshot = ? AND fingerprint = ? AND redraw_failures = ?",
                (failures, again_at, *drawing, int(row[0])),
            ):
                return again_at is None
        raise RuntimeError(f"card {card_id} kept failing while its failure was counted")  # pragma: no cover

    async def postpone(self, card_id: str, *, seconds: float) -> None:
        """Reading failed: leave the card as drawn and try again later, not on every reconciler pass."""
        await self._database.execute(
            "UPDATE cards SET next_refresh_at = ?, lease_holder = NULL, lease_until = NULL"
            " WHERE card_id = ? AND next_refresh_at IS NOT NULL",
            (self._due(seconds), card_id),
        )

    # --- clicks --------------------------------------------------------------------------------------------------

    async def claim_click(
        self, key: str, *, card_id: str, action: str, user_id: str, lease_seconds: int = CLICK_LEASE_SECONDS
    ) -> Claim:
        """One statement decides the winner, across tasks, processes and replicas. The winner holds the click for
        `lease_seconds`: `finish_click` makes it final, `release_click` gives it back; a claim that is neither by
        then belonged to a process that died mid-call, and the next click takes it over (one statement again)."""
        holder = secrets.token_hex(8)
        now = int(self._clock())
        values = (card_id, action, user_id, now, holder, now + lease_seconds)
        if await self._database.execute(
            "INSERT INTO card_clicks (click_key, card_id, action, user_id, claimed_at, lease_holder, lease_until)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (click_key) DO NOTHING",
            (key, *values),
        ):
            return Claim(won=True, holder=holder)
        if await self._database.execute(
            "UPDATE card_clicks SET card_id = ?, action = ?, user_id = ?, claimed_at = ?, lease_holder = ?,"
            " lease_until = ? WHERE click_key = ? AND lease_until IS NOT NULL AND lease_until < ?",
            (*values, key, now),
        ):
            return Claim(won=True, holder=holder, took_over=True)
        row = await self._database.fetchone("SELECT user_id FROM card_clicks WHERE click_key = ?", (key,))
        return Claim(won=False, by_user_id=str(row[0]) if row else None)

    async def finish_click(self, key: str, claim: Claim) -> None:
        """PlanetScale acted: the claim is final, later clicks with this key are told who did it."""
        await self._database.execute(
            "UPDATE card_clicks SET lease_holder = NULL, lease_until = NULL WHERE click_key = ? AND lease_holder = ?",
            (key, claim.holder),
        )

    async def release_click(self, key: str, claim: Claim) -> None:
        """PlanetScale refused, so nothing happened: the click may be tried again (after the cause is fixed)."""
        await self._database.execute(
            "DELETE FROM card_clicks WHERE click_key = ? AND lease_holder = ?", (key, claim.holder)
        )

    async def release_approvals(self, key_prefix: str) -> int:
        """PlanetScale dismissed approvals (the branch's schema changed): their approvers may approve again."""
        # substr, not LIKE: `_` and `%` in a database name would be wildcards there.
        return await self._database.execute(
            "DELETE FROM card_clicks WHERE substr(click_key, 1, CAST(? AS INTEGER)) = ?",
            (len(key_prefix), key_prefix),
        )
