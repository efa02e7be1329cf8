"""Cards: post one, act on its buttons with the clicker's grant exactly once, and keep it current in place.

A card is kept current with one grant: the poster's, else that of a linked user who clicked it; when nobody's is left
it says it is stale. A click reads with the clicker's grant (what they can see is what they act on), falling back
to the card's; background redraws keep the poster's. A click that changes the deploy request claims a key first
(docs/architecture.md, "Exactly once"): the card's id, the action and the version of the drawing that was clicked,
so a double click or two people clicking at once make one PlanetScale call. The claim is a lease while PlanetScale
acts: a process killed mid-call leaves a claim that lapses, and the next click takes it over after reading the
deploy request again, so it acts only if the first call never did. Approvals are keyed by approver instead, since
two admins approving is not a duplicate. After every click or observed change the same message is
redrawn (through the shared `chat.update` budget) and the history goes in the card's thread. A drawing counts as
shown only once Slack has confirmed it: until then the card's record says it is unconfirmed, and the reconciler (or a
delivery about it) draws it again from what was read, without reading again, as often as Slack allows.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import re
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.cards.store import MAX_REDRAW_FAILURES, CardRecord, Cards, Claim
from bot.cards.updates import BURST, CardUpdates
from bot.deploy_requests import lifecycle
from bot.deploy_requests.actions import Action, perform
from bot.deploy_requests.summary import Person, Snapshot, read_snapshot, schema_changes
from bot.notify.service import DirectMessages, approvals
from bot.planetscale import PlanetScaleAPI, PlanetScaleClient, PlanetScaleError, Unauthorized
from bot.ports import (
    SLACK_CALL_FAILURES,
    SLACK_MAY_HAVE_ACTED,
    Accounts,
    Caller,
    SlackNotReached,
    SlackPort,
    SlackRefused,
    slack_failure,
    unconfirmed,
)
from bot.render import card as render
from bot.render import linking as render_linking
from bot.render.errors import describe_target, planetscale_failure
from bot.render.message import Message
from bot.render.requests import RequestRef
from bot.storage import AuditLog, IdempotencyKeys
from bot.storage.audit import CUT_OFF
from bot.storage.database import Clock

log = logging.getLogger(__name__)

# Deploy requests (each with the grant its cards are drawn with) read side by side in one pass: a pass reads each
# once however many of its cards are due. Their requests (four at once a read) queue for the pacer's background
# share, about 5 a second (bot/planetscale/pacing.py), and each call may wait 10 s in all (bot/planetscale/retry.py):
# 5 reads wait at most about 4 s for their last turn, 8 s with two replicas catching up together, where 10 would
# wait 8 s and 16 s and their last calls give up. A full pass is followed by the next at once, so the size of a pass
# does not slow a catch-up: the share does.
REFRESH_BATCH = 5
# Cards whose drawing Slack has not confirmed, drawn again in one pass at most: the chat.update budget's burst.
REDRAW_BATCH = BURST
# A read of one deploy request with one person's grant: (team, Slack user, organization, database, number).
_ReadKey = tuple[str, str, str, str, int]
RETRY_READ_SECONDS = 60.0


@dataclass(frozen=True)
class Click:
    """A click on a card's button: its value (`CARD_ID.VERSION` of the drawing clicked), who clicked, and the message
    the button was in, as (channel, ts), when it was in a message everyone in the channel sees."""

    value: str
    team_id: str
    user_id: str
    message: tuple[str, str] | None = None


_LINK = re.compile(
    r"^https://app\.planetscale\.com/(?P<org>[\w.-]+)/(?P<db>[\w.-]+)/deploy-requests/(?P<number>\d+)(?:[/?#].*)?$"
)


def deploy_request_link(url: str) -> tuple[str, str, int] | None:
    """(org, database, number) of a link to a deploy request in PlanetScale's web app, else None."""
    found = _LINK.match(url)
    if found is None:
        return None
    return found["org"], found["db"], int(found["number"])


def _parse_value(value: str) -> tuple[str, int] | None:
    card_id, _, version = value.partition(".")
    if not card_id or not version.isdigit():
        return None
    return card_id, int(version)


class CardService:
    def __init__(
        self,
        *,
        cards: Cards,
        accounts: Accounts,
        planetscale: PlanetScaleClient,
        slack: SlackPort,
        updates: CardUpdates,
        audit: AuditLog,
        idempotency_keys: IdempotencyKeys,
        news: DirectMessages | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._cards = cards
        self._accounts = accounts
        self._planetscale = planetscale
        self._slack = slack
        self._updates = updates
        self._audit = audit
        self._idempotency_keys = idempotency_keys
        self._news = news
        self._clock = clock
        # A card's lock lives while someone holds or awaits it.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        # Per (card, clicker): the Refresh that is waiting for the card's lock, not reading yet (`_shared_refresh`).
        self._queued_refreshes: dict[tuple[str, str], asyncio.Future[PlanetScaleError | str | None]] = {}
        # Names this process in the refresh leases it takes on cards.
        self._holder = f"{os.getpid()}-{secrets.token_hex(4)}"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), tz=UTC)

    def _api(self, team_id: str, user_id: str, *, background: bool = False) -> PlanetScaleAPI:
        return self._planetscale.as_user(
            self._accounts.token_provider(team_id, user_id), user_key=(team_id, user_id), background=background
        )

    async def _link_prompt(self, team_id: str, user_id: str) -> Message:
        offer = await self._accounts.link_offer(team_id, user_id)
        return render_linking.link_prompt(url=offer.url, minutes=offer.valid_minutes)

    # --- posting ---------------------------------------------------------------------------------------------------

    async def _new_card(
        self, api: PlanetScaleAPI, *, caller: Caller, org: str, database: str, number: int,
        unfurl: tuple[str, str] | None = None,
    ) -> CardRecord:
        """Read the deploy request with `caller`'s grant and store a card for it in their channel."""
        snapshot = await read_snapshot(api, org=org, database=database, number=number, now=self._now())
        if self._news is not None:  # a deploy request the bot has just opened, or sees for the first time
            await self._news.opened(team_id=caller.team_id, org=org, database=database, request=snapshot)
        return await self._cards.add(
            snapshot, team_id=caller.team_id, channel_id=caller.channel_id, org=org, reader_id=caller.user_id,
            refresh_in=lifecycle.refresh_seconds(snapshot), unfurl=unfurl,
        )

    async def post(self, api: PlanetScaleAPI, *, caller: Caller, org: str, database: str, number: int) -> Snapshot:
        """Post a new card for the deploy request in the caller's channel, read with the caller's grant."""
        card = await self._new_card(api, caller=caller, org=org, database=database, number=number)
        try:
            ts = await self._slack.post_message(
                channel=caller.channel_id, message=render.card(await self._drawing(card))
            )
        except (SlackRefused, SlackNotReached) as failure:
            await self._cards.remove(card.card_id)  # certainly not posted: nobody will click it
            if isinstance(failure, SlackNotReached):  # ours to know of; a refusal is the asker's to mend
                log.warning("card %s of %s #%d not posted: %s", card.card_id, database, number, failure)
            raise
        except SLACK_MAY_HAVE_ACTED as failure:
            # Slack may have posted the card, and then shows it: its record stays, without a ts, so a click on it
            # is carried out (`_card_for` takes the ts from the message the click names) rather than answered "I no
            # longer know this card". Any other failure (the process stopping while the post was on its way) keeps
            # it too. A record whose card Slack never posted is never read: the reconciler takes cards with a ts.
            log.warning("card %s of %s #%d kept, since %s", card.card_id, database, number, unconfirmed(failure))
            raise
        await self._cards.set_ts(card.card_id, ts)
        return card.snapshot

    async def unfurl(self, *, team_id: str, channel_id: str, message_ts: str, user_id: str, url: str) -> None:
        """Draw the deploy request a shared PlanetScale link points at as a live card in the link's unfurl, read with
        the grant of the person who shared it. A link their grant cannot read is left as Slack shows it; someone
        unlinked is offered, in a message only they see and at most once a day, to link their account."""
        target = deploy_request_link(url)
        if target is None:
            return
        if not await self._accounts.has_active_grant(team_id, user_id):
            await self._offer_link(team_id=team_id, channel_id=channel_id, user_id=user_id)
            return
        org, database, number = target
        sharer = Caller(team_id=team_id, user_id=user_id, channel_id=channel_id)
        try:
            card = await self._new_card(
                self._api(team_id, user_id), caller=sharer, org=org, database=database, number=number,
                unfurl=(message_ts, url),
            )
        except PlanetScaleError as error:
            log.info("not unfurling a deploy-request link: %s", error)
            return
        await self._submit(card, card.snapshot, version=card.version, stale=card.stale, state_change=True)

    async def _offer_link(self, *, team_id: str, channel_id: str, user_id: str) -> None:
        """Tell someone unlinked, only them and at most once a day, that their links could be live cards."""
        today = self._now().date().isoformat()
        key = f"unfurl-link-offer:{team_id}:{user_id}:{today}"
        if not await self._idempotency_keys.claim_once(key):
            return
        # An offer that does not arrive costs nothing; the link still shows as Slack draws it. Slack's failures are
        # expected, so one line each; anything else is ours, with its traceback.
        try:
            await self._slack.post_ephemeral(
                channel=channel_id, user=user_id, message=await self._link_prompt(team_id, user_id)
            )
        except SlackNotReached as unreached:
            # Certainly not shown: the next link they share today may offer it. (A refusal would only come again,
            # and one Slack may have shown is not shown twice: those keep the day's claim.)
            await self._idempotency_keys.release(key)
            log.info("could not offer %s a PlanetScale link: %s", user_id, unreached)
        except SLACK_CALL_FAILURES as failure:
            log.info("could not offer %s a PlanetScale link: %s", user_id, slack_failure(failure))
        except Exception:
            log.warning("could not offer %s a PlanetScale link", user_id, exc_info=True)

    # --- clicks ----------------------------------------------------------------------------------------------------

    async def refresh_clicked(self, click: Click) -> Message | None:
        """Refresh: read the deploy request again with the card's grant, else the clicker's."""
        card = await self._card_for(click)
        if card is None:
            return render.card_unknown()
        outcome = await self._shared_refresh(card, click.user_id)
        if isinstance(outcome, PlanetScaleError):
            return planetscale_failure(outcome, values=_values(card))
        return render.card_stale() if outcome == "stale" else None

    async def click(self, click: Click, action: Action) -> Message | None:
        """Act on a button that changes the deploy request; returns what only the clicker should see (None when the
        card and thread say it all)."""
        card = await self._card_for(click)
        if card is None:
            return render.card_unknown()
        if not await self._accounts.has_active_grant(click.team_id, click.user_id):
            return await self._link_prompt(click.team_id, click.user_id)
        parsed = _parse_value(click.value)
        clicked_version = parsed[1] if parsed else 0
        valid = lifecycle.offers(action, card.snapshot)
        if action is Action.APPROVE and valid:
            # Keyed by approver, not by drawing: a second admin approving a card the first approval redrew is new.
            key = _approvals_of(card) + click.user_id
        elif clicked_version == card.version and valid:
            # Named by the button's id, as claims stored before this code have been, so none is mistaken for new.
            key = f"{card.card_id}:{render.ACTION_IDS[action]}:{clicked_version}"
        else:
            return await self._moved_on(card, click, action)
        claim = await self._cards.claim_click(
            key, card_id=card.card_id, action=render.ACTION_IDS[action], user_id=click.user_id
        )
        if not claim.won:
            return render.already_clicked(action, by_user_id=claim.by_user_id, clicker_id=click.user_id)
        if claim.took_over:
            # Whoever held this click died mid-call: PlanetScale may have acted. Act only if it still offers it.
            await self.refresh(card, clicker=click.user_id)
            current = await self._cards.get(card.card_id) or card
            if current.version != card.version or not lifecycle.offers(action, current.snapshot):
                await self._cards.finish_click(key, claim)
                return render.card_moved_on(action, now=current.snapshot)
        return await self._act(card, click, action, key, claim)

    async def approve_request(self, click: Click, ref: RequestRef, *, where: str) -> Message | None:
        """Approve from outside a card (`where`: "App Home", "direct message"): read with the clicker's grant, then
        claim the same key a card's Approve claims, so approving one deploy request from its card, the Home and a DM
        is one review. Its cards are redrawn and its author told, as after a click on a card."""
        action = Action.APPROVE
        if not await self._accounts.has_active_grant(click.team_id, click.user_id):
            return await self._link_prompt(click.team_id, click.user_id)
        api = self._api(click.team_id, click.user_id)
        try:
            before = await read_snapshot(api, org=ref.org, database=ref.database, number=ref.number, now=self._now())
        except Unauthorized:
            return await self._link_prompt(click.team_id, click.user_id)
        except PlanetScaleError as error:
            return planetscale_failure(error, values=_values(ref))
        if not lifecycle.offers(action, before):
            return render.request_moved_on(action, now=before)
        key = _approvals_key(click.team_id, ref) + click.user_id
        claim = await self._cards.claim_click(
            key, card_id=ref.value, action=render.ACTION_IDS[action], user_id=click.user_id
        )
        if not claim.won:
            return render.already_clicked(action, by_user_id=claim.by_user_id, clicker_id=click.user_id)
        linked = await self._accounts.linked_as(click.team_id, click.user_id)
        me = linked[0] if linked else None
        if claim.took_over:
            # Whoever held this click died mid-call: PlanetScale may have approved. Read again; act only if not.
            try:
                before = await read_snapshot(
                    api, org=ref.org, database=ref.database, number=ref.number, now=self._now()
                )
            except PlanetScaleError as error:
                await self._cards.release_click(key, claim)
                return planetscale_failure(error, values=_values(ref))
            if any(person.id == me for person in before.approvers):
                await self._cards.finish_click(key, claim)
                return render.already_clicked(action, by_user_id=click.user_id, clicker_id=click.user_id)
            if not lifecycle.offers(action, before):
                await self._cards.finish_click(key, claim)
                return render.request_moved_on(action, now=before)
        refused = await self._perform_claimed(click, ref, action, key=key, claim=claim, where=where, api=api)
        if refused is not None:
            return refused
        await self.request_changed(team_id=click.team_id, org=ref.org, database=ref.database, number=ref.number)
        if self._news is not None and me is not None:  # its author hears of it even where it has no card
            await self._news.observed(
                team_id=click.team_id, org=ref.org, database=ref.database, before=before, after=before,
                new_approvers=[Person(id=me, name=linked[1] if linked else me)],
            )
        return render.request_done(action, database=ref.database, number=ref.number)

    async def _moved_on(self, card: CardRecord, click: Click, action: Action) -> Message:
        await self.refresh(card, clicker=click.user_id)
        current = await self._cards.get(card.card_id) or card
        return render.card_moved_on(action, now=current.snapshot)

    async def _act(self, card: CardRecord, click: Click, action: Action, key: str, claim: Claim) -> Message | None:
        # The card is held while the change is made and drawn: a webhook delivery about the very change this click
        # made waits, then finds the card already showing it and adds no "Now: …" line under the click's own.
        async with self._held(card.card_id):
            # The card stays truthful: after a failure it is redrawn from PlanetScale before the click may be tried
            # again. If the call did go through after all, the redraw bumped the version and an identical click is
            # recognised as stale.
            refused = await self._perform_claimed(
                click, card, action, key=key, claim=claim, where="card", api=self._api(click.team_id, click.user_id),
                after_failure=lambda: self._refresh(card, clicker=click.user_id),
            )
            if refused is not None:
                return refused
            await self._thread_note(card, render.history_note(action, user_id=click.user_id))
            await self._refresh(card, clicker=click.user_id, announce=False)  # its thread has the line just posted
        await self.request_changed(
            team_id=card.team_id, org=card.org, database=card.database, number=card.number, besides=card.card_id
        )
        return None

    async def _perform_claimed(
        self,
        click: Click,
        target: CardRecord | RequestRef,
        action: Action,
        *,
        key: str,
        claim: Claim,
        where: str,
        api: PlanetScaleAPI,
        after_failure: Callable[[], Awaitable[object]] | None = None,
    ) -> Message | None:
        """Carry out a won click with the clicker's grant: audited as `started` before PlanetScale is asked (a
        process killed mid-call leaves that entry), given its result after; the claim is finished when the call went
        through and given back otherwise (refused, failed, or cut off by the reply deadline), so the clicker may try
        again. None when done, else the clicker's reply."""
        entry = await self._audit.begin(
            team_id=click.team_id,
            user_id=click.user_id,
            organization=target.org,
            database=target.database,
            # Named as the command that does the same, and where it was clicked, so the audit reads alike whichever
            # way a change was made.
            action=f"deploy-request {action.value} ({where})",
            target=describe_target(_values(target)),
        )
        done = False
        try:
            await perform(api, action, org=target.org, database=target.database, number=target.number)
            done = True
        except Unauthorized:
            await self._audit.finish(entry, result="failed: PlanetScale no longer accepts the link")
            return await self._link_prompt(click.team_id, click.user_id)
        except PlanetScaleError as error:
            log.info("%s %s on %s #%d: %s", where, action.value, target.database, target.number, error)
            if after_failure is not None:
                await after_failure()
            kind = "refused" if error.status and error.status < 500 else "failed"
            await self._audit.finish(entry, result=f"{kind}: {error.status or 'no response'} {error.message}")
            return planetscale_failure(error, values=_values(target))
        except asyncio.CancelledError:
            await self._audit.finish(entry, result=CUT_OFF)
            raise
        finally:
            if not done:
                await self._cards.release_click(key, claim)
        await self._cards.finish_click(key, claim)
        await self._audit.finish(entry, result="ok")
        return None

    def _held(self, card_id: str) -> asyncio.Lock:
        """One change or redraw of a card at a time in this process."""
        lock = self._locks.get(card_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[card_id] = lock
        return lock

    async def _card_for(self, click: Click) -> CardRecord | None:
        parsed = _parse_value(click.value)
        card = await self._cards.get(parsed[0]) if parsed else None
        if card is None or card.team_id != click.team_id:
            return None
        if card.ts is None:
            # Slack shows a card as soon as it has posted it; its answer, the card's ts, may not have reached us (or
            # been stored) yet. A click from the card's channel comes from that message, whose ts Slack's signed
            # payload names: store it, so the click and its redraw act on the card instead of disowning it.
            if click.message is None or click.message[0] != card.channel_id:
                return None
            await self._cards.set_ts(card.card_id, click.message[1])
            card = dataclasses.replace(card, ts=click.message[1])
        return card

    async def _thread_note(self, card: CardRecord, message: Message) -> None:
        if card.ts is None:
            return
        # A lost history line must not turn a done click into an error reply. Slack's failures are expected (out of
        # reach, no answer, a refusal): one line; anything else is ours, with its traceback.
        try:
            await self._slack.post_message(channel=card.channel_id, message=message, thread_ts=card.ts)
        except SLACK_CALL_FAILURES as failure:
            log.warning("could not post to the thread of card %s: %s", card.card_id, slack_failure(failure))
        except Exception:
            log.warning("could not post to the thread of card %s", card.card_id, exc_info=True)

    # --- the diff modal --------------------------------------------------------------------------------------------

    async def show_diff(self, click: Click, *, trigger_id: str) -> Message | None:
        """Open the modal first (a trigger id lives 3 s), then fill it with what the clicker's grant reads."""
        card = await self._card_for(click)
        if card is None:
            return render.card_unknown()
        ref = RequestRef(org=card.org, database=card.database, number=card.number)
        return await self._show_diff(click, ref, trigger_id=trigger_id, html_url=card.snapshot.html_url)

    async def show_request_diff(self, click: Click, ref: RequestRef, *, trigger_id: str) -> Message | None:
        """Show diff on a deploy request listed outside a card (App Home, a direct message)."""
        return await self._show_diff(click, ref, trigger_id=trigger_id, html_url=None)

    async def _show_diff(
        self, click: Click, ref: RequestRef, *, trigger_id: str, html_url: str | None
    ) -> Message | None:
        if not await self._accounts.has_active_grant(click.team_id, click.user_id):
            return await self._link_prompt(click.team_id, click.user_id)
        view_id = await self._slack.open_modal(
            trigger_id=trigger_id, view=render.diff_loading(database=ref.database, number=ref.number)
        )
        api = self._api(click.team_id, click.user_id)
        try:
            page = await api.deploy_requests.operations(ref.org, ref.database, ref.number)
        except PlanetScaleError as error:
            failure = planetscale_failure(error, values=_values(ref))
            view = render.diff_failed(database=ref.database, number=ref.number, message=failure)
        else:
            view = render.diff_modal(
                database=ref.database, number=ref.number, operations=schema_changes(page.data), html_url=html_url,
            )
        await self._slack.update_modal(view_id=view_id, view=view)
        return None

    # --- keeping cards current -------------------------------------------------------------------------------------

    async def refresh(
        self,
        card: CardRecord,
        *,
        clicker: str | None = None,
        announce: bool = True,
        reads: dict[_ReadKey, Snapshot | PlanetScaleError] | None = None,
        background: bool = False,
        on_turn: Callable[[], None] | None = None,
    ) -> PlanetScaleError | str | None:
        """Read the deploy request again and redraw the card: with the clicker's grant when a click asks, else (or
        when theirs cannot read it) with the card's. Returns None when redrawn, "stale" when nobody's grant can read
        it any more, or PlanetScale's error (the card is then left as it was). `reads`: what this pass of the
        reconciler has read already (or failed to), by grant and deploy request, taken instead of reading again and
        added to. `background`: nobody waits for this read (the reconciler's), so it is held to the pacer's
        background share. `on_turn`: called once the card is this refresh's, just before it reads."""
        async with self._held(card.card_id):
            if on_turn is not None:
                on_turn()
            # As stored now: a change made while this waited is what the redraw compares with.
            stored = await self._cards.get(card.card_id) or card
            return await self._refresh(stored, clicker=clicker, announce=announce, reads=reads, background=background)

    async def _shared_refresh(self, card: CardRecord, clicker: str) -> PlanetScaleError | str | None:
        """`refresh` for a Refresh click, shared with the same person's clicks on the same card that come while it
        waits for the card's lock: every one of them still gets a read that began after it, and someone pressing
        Refresh again and again (or a script) costs one read at a time instead of queueing one each behind
        PlanetScale's pacing, each then told after 14 s that it took too long."""
        key = (card.card_id, clicker)
        queued = self._queued_refreshes.get(key)
        if queued is not None:
            try:
                return await asyncio.shield(queued)
            except asyncio.CancelledError:
                if not queued.cancelled():
                    raise  # this click's own follow-up was cancelled
                return await self.refresh(card, clicker=clicker)  # the shared one was: read for this click
        queued = asyncio.get_running_loop().create_future()
        self._queued_refreshes[key] = queued

        def reading() -> None:
            # From here on a click needs a read of its own, begun after it: it queues the next one.
            if self._queued_refreshes.get(key) is queued:
                del self._queued_refreshes[key]

        try:
            outcome = await self.refresh(card, clicker=clicker, on_turn=reading)
        except BaseException:
            queued.cancel()  # those who joined read for themselves
            raise
        finally:
            reading()
        queued.set_result(outcome)
        return outcome

    async def _refresh(
        self,
        card: CardRecord,
        *,
        clicker: str | None = None,
        announce: bool = True,
        reads: dict[_ReadKey, Snapshot | PlanetScaleError] | None = None,
        background: bool = False,
    ) -> PlanetScaleError | str | None:
        readers = [user for user in dict.fromkeys((clicker, card.reader_id)) if user]
        for reader in readers:
            if not await self._accounts.has_active_grant(card.team_id, reader):
                continue
            key = (card.team_id, reader, card.org, card.database, card.number)
            outcome = reads.get(key) if reads is not None else None
            if outcome is None:
                try:
                    outcome = await read_snapshot(
                        self._api(card.team_id, reader, background=background), org=card.org, database=card.database,
                        number=card.number, now=self._now(),
                    )
                except PlanetScaleError as error:  # kept for the pass: its other cards are not read again for it
                    outcome = error
                if reads is not None:
                    reads[key] = outcome
            if isinstance(outcome, Unauthorized):
                continue
            if isinstance(outcome, PlanetScaleError):
                log.info("refreshing card %s: %s", card.card_id, outcome)
                await self._cards.postpone(card.card_id, seconds=RETRY_READ_SECONDS)
                return outcome
            snapshot = outcome
            # The card stays the poster's while their grant works; a clicker takes it over only when it does not.
            poster = card.reader_id
            keeper = poster if poster and await self._accounts.has_active_grant(card.team_id, poster) else reader
            await self._redraw(card, snapshot, reader_id=keeper, announce=announce)
            return None
        if not card.stale:
            checked = dataclasses.replace(card.snapshot, as_of=self._now())
            await self._redraw(card, checked, reader_id=None, announce=False)
        return "stale"

    async def _redraw(self, card: CardRecord, snapshot: Snapshot, *, reader_id: str | None, announce: bool) -> None:
        stale = reader_id is None
        if dataclasses.replace(snapshot, as_of=card.snapshot.as_of) == card.snapshot and stale == card.stale:
            snapshot = card.snapshot  # nothing new: keep "Updated …" truthful and spend none of the update budget
            unchanged = True
        else:
            unchanged = False
        # Drawn again unchanged only when Slack never confirmed the drawing stored: what it shows may be older.
        drawing = card.ts is not None and (card.undrawn or not unchanged)
        version, changed = await self._cards.save(
            card, snapshot, refresh_in=lifecycle.refresh_seconds(snapshot), reader_id=reader_id, drawing=drawing
        )
        if set(card.snapshot.approvers) - set(snapshot.approvers):
            # PlanetScale dismissed approvals (the branch's schema changed): their approvers may approve again.
            await self._cards.release_approvals(_approvals_of(card))
        if drawing:
            await self._submit(card, snapshot, version=version, stale=stale, state_change=changed)
        moved = snapshot.deployment_state != card.snapshot.deployment_state or snapshot.state != card.snapshot.state
        if announce and moved and lifecycle.is_notable(snapshot):
            await self._thread_note(card, render.state_note(snapshot))
        if self._news is not None and not unchanged:
            await self._news.observed(
                team_id=card.team_id, org=card.org, database=card.database, before=card.snapshot, after=snapshot,
                new_approvers=approvals(card.snapshot.approvers, snapshot.approvers),
            )

    async def _submit(
        self, card: CardRecord, snapshot: Snapshot, *, version: int, stale: bool, state_change: bool
    ) -> None:
        """Queue the drawing of `snapshot` (stored as unconfirmed just before) for the card's message; Slack's answer
        confirms it, or puts its next try off."""
        if card.ts is None:  # for the type checker: only cards with a message are drawn
            return
        drawn = await self._view(card, snapshot, version=version, stale=stale)

        async def done(failure: Exception | None) -> None:
            if failure is None:
                await self._cards.drawn(card.card_id, snapshot, stale=stale)
                return
            refused = failure if isinstance(failure, SlackRefused) else None
            # A final refusal was logged as it came (bot/cards/updates.py) and is given up on at once.
            final = refused is not None and refused.final
            given_up = await self._cards.redraw_failed(
                card.card_id, snapshot, stale=stale, retry_after=refused.retry_after if refused else None, final=final
            )
            if given_up and not final:
                log.warning(
                    "card %s of %s #%d: Slack took none of %d tries to draw it; it is drawn again when next read",
                    card.card_id, card.database, card.number, MAX_REDRAW_FAILURES,
                )

        self._updates.submit(
            channel=card.channel_id, ts=card.ts, message=render.card(drawn), state_change=state_change,
            unfurl_url=card.unfurl_url, on_done=done,
        )

    async def _draw_again(self, card: CardRecord) -> None:
        """Send the card's stored drawing again, Slack having not confirmed it: nothing is read from PlanetScale,
        since nothing new was asked for, only what was read before to be shown."""
        async with self._held(card.card_id):
            stored = await self._cards.get(card.card_id)
            await self._cards.redrawing(card.card_id)
            if stored is not None and stored.undrawn:  # not confirmed meanwhile (or redrawn by a read)
                await self._submit(
                    stored, stored.snapshot, version=stored.version, stale=stored.stale,
                    # A catch-up: what changes now is drawn first.
                    state_change=False,
                )

    async def _drawing(self, card: CardRecord) -> render.CardView:
        return await self._view(card, card.snapshot, version=card.version, stale=card.stale)

    async def _view(self, card: CardRecord, snapshot: Snapshot, *, version: int, stale: bool) -> render.CardView:
        """The drawing of `snapshot`, naming those who linked their PlanetScale accounts as themselves."""
        named = [snapshot.deployed_by, snapshot.applied_by, snapshot.closed_by, *snapshot.approvers, *snapshot.admins]
        ids = {snapshot.author_id, *(person.id for person in named if person is not None)}
        linked = {planetscale_id for planetscale_id in ids if planetscale_id}
        people = await self._accounts.slack_users(card.team_id, linked)
        return render.CardView(card_id=card.card_id, version=version, request=snapshot, stale=stale, people=people)

    async def refresh_due(self, *, limit: int = REFRESH_BATCH) -> int:
        """One pass of the reconciler: the deploy requests PlanetScale is moving along one of whose cards has come
        due, up to `limit` of them. Each is read once with the grant its cards are drawn with, and all those cards
        are redrawn from that read, so they fall due together from then on: PlanetScale's budget (600 requests a
        minute) is spent per deploy request however many channels show it. The deploy requests are read side by
        side, as background reads: the PlanetScale pacer holds them to its background share, half of that budget,
        so a backlog of due cards never leaves people's commands waiting behind it. The cards are leased to this
        process while it reads, so replicas never read one card at the same time. Cards whose drawing Slack has not
        confirmed and whose next try has come are drawn again from what they show, without a read, as many as the
        chat.update queue has room for. Returns how many deploy requests were read."""
        held = await self._cards.claim_due(holder=self._holder, limit=limit)
        # Cards whose drawing Slack has not confirmed, as many as the chat.update queue has room for: its budget, not
        # PlanetScale's, paces these, and a drawing waiting in the queue needs no second copy.
        room = max(0, REDRAW_BATCH - self._updates.waiting)
        undrawn = await self._cards.claim_undrawn(holder=self._holder, limit=room)
        by_read: dict[tuple[str, str | None, str, str, int], list[CardRecord]] = {}
        for card in held:
            by_read.setdefault((card.team_id, card.reader_id, card.org, card.database, card.number), []).append(card)
        reads: dict[_ReadKey, Snapshot | PlanetScaleError] = {}

        async def redraw(cards: list[CardRecord]) -> None:
            for card in cards:
                await self.refresh(card, reads=reads, background=True)

        await asyncio.gather(*(redraw(cards) for cards in by_read.values()), *map(self._draw_again, undrawn))
        return len(by_read)

    async def request_changed(
        self,
        *,
        team_id: str,
        org: str,
        database: str,
        number: int,
        updated_at: datetime | None = None,
        besides: str | None = None,
    ) -> set[str]:
        """Something changed the deploy request (a command, a webhook delivery, a click on another of its cards):
        redraw its cards, except `besides`, and return the channels that have one. A delivery older than what a
        card last read is ignored."""
        channels: set[str] = set()
        for card in await self._cards.of_request(team_id=team_id, org=org, database=database, number=number):
            channels.add(card.channel_id)
            if card.card_id == besides:
                continue
            shown = card.snapshot.updated_at
            if updated_at is not None and shown is not None and updated_at <= shown:
                if card.undrawn:  # read already, but maybe never shown: show it, without reading again
                    await self._draw_again(card)
                continue
            await self.refresh(card)
        return channels


def _approvals_of(card: CardRecord) -> str:
    """The prefix of the claim keys of this deploy request's approvals; the approver's Slack id completes one."""
    return _approvals_key(card.team_id, RequestRef(org=card.org, database=card.database, number=card.number))


def _approvals_key(team_id: str, ref: RequestRef) -> str:
    return f"approve:{team_id}:{ref.org}:{ref.database}:{ref.number}:"




def _values(card: CardRecord | RequestRef) -> dict[str, object]:
    return {"organization": card.org, "database": card.database, "number": card.number}
