"""One digest run: claim what is due, read each (owner's grant, database) once, post to each channel.

A slot is claimed before posting, so two runners never both post it; if Slack refuses the post, it never reached
Slack (no connection), or the run is cancelled (SIGTERM) before the post was sent, the claim is given back and the
next run (or the next process after a restart, or another replica) posts it, still within the 6-hour limit. A post
Slack may have made (not answered in time, its connection broken after sending, or on its way when the run was
cancelled) keeps its claim.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.deploy_requests.lifecycle import Need, what_it_needs
from bot.deploy_requests.summary import Summary, queue_entry, summarize
from bot.digests.pace import ChannelPace
from bot.digests.schedule import due_slot
from bot.digests.store import ABANDONED_CLAIM_SECONDS, SlotClaim, Subscription, Subscriptions
from bot.planetscale import PlanetScaleClient, PlanetScaleError, Unauthorized
from bot.planetscale.models import DeployRequestState
from bot.ports import SLACK_MAY_HAVE_ACTED, Accounts, SlackNotReached, SlackPort, SlackRefused, unconfirmed
from bot.render import digests as render
from bot.render.message import Message

log = logging.getLogger(__name__)

READ_CONCURRENCY = 8
SHOWN_OPEN = 100
# A digest still not posted this long after its run claimed the slot (Slack kept saying `ratelimited`) is given back
# for the next run, well before another run may take the claim as abandoned and post it a second time.
GIVE_BACK_AFTER_SECONDS = ABANDONED_CLAIM_SECONDS / 2
# What to wait when Slack's 429 names no `Retry-After` that can be read: its one message a second per channel.
UNNAMED_RETRY_AFTER_SECONDS = 1.0


@dataclass
class RunReport:
    posted: int = 0
    failures: list[str] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.fromtimestamp(time.time(), tz=UTC)


class DigestService:
    def __init__(
        self,
        *,
        subscriptions: Subscriptions,
        accounts: Accounts,
        planetscale: PlanetScaleClient,
        slack: SlackPort,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._subscriptions = subscriptions
        self._accounts = accounts
        self._planetscale = planetscale
        self._slack = slack
        self._now = now
        # Kept across runs: the in-process schedule's next run may post in a channel this one has just posted in.
        self._pace = ChannelPace()

    async def run(self, *, everything: bool = False) -> RunReport:
        """Post what is due now; with `everything`, post every subscription now too, without using up its slot.

        Each (owner's grant, database) is read once, `READ_CONCURRENCY` at a time, taking the channels in turns.
        Each channel gets its digests in the order of their databases, at Slack's pace for that channel
        (`ChannelPace`); channels post side by side, so a busy one holds up no other."""
        unsent: set[SlotClaim] = set()
        try:
            return await self._run(everything=everything, unsent=unsent)
        except asyncio.CancelledError:
            await self._give_back_unsent(unsent)
            raise

    async def _run(self, *, everything: bool, unsent: set[SlotClaim]) -> RunReport:
        """`run`, noting in `unsent` each slot it claimed while no post of it is (or may be) on its way to Slack."""
        now = self._now()
        work: list[tuple[Subscription, SlotClaim | None]] = []
        for subscription in await self._subscriptions.all():
            slot = due_slot(subscription.timing, now)
            claim = None if slot is None else await self._subscriptions.claim_slot(subscription, slot)
            if claim is not None:
                unsent.add(claim)
                work.append((subscription, claim))
            elif everything:
                work.append((subscription, None))
        give_up_at = time.monotonic() + GIVE_BACK_AFTER_SECONDS
        report = RunReport()
        limit = asyncio.Semaphore(READ_CONCURRENCY)

        async def read(key: _ReaderKey) -> Message | PlanetScaleError:
            try:
                async with limit:
                    return await self._collect(*key, now=now)
            except PlanetScaleError as error:  # this database's digests fail; the others still go out
                return error

        by_channel: dict[str, list[tuple[Subscription, SlotClaim | None]]] = defaultdict(list)
        for subscription, claim in work:
            by_channel[subscription.channel_id].append((subscription, claim))

        async def post_in_order(targets: list[tuple[Subscription, SlotClaim | None]]) -> None:
            for subscription, claim in targets:
                outcome = await reads[_reader(subscription)]
                if isinstance(outcome, PlanetScaleError):
                    await self._give_back(subscription, claim, report, reason=str(outcome))
                else:
                    await self._post(subscription, claim, outcome, report, give_up_at=give_up_at, unsent=unsent)
                if claim is not None:
                    unsent.discard(claim)  # posted, or given back already

        # Read in turns across the channels (each one's first digest, then each one's second, …), so every channel
        # has digests to post all through the run instead of the last channels getting all theirs at its end.
        in_turns = (sub for turn in itertools.zip_longest(*by_channel.values()) for sub, _ in filter(None, turn))
        reads = {key: asyncio.create_task(read(key)) for key in dict.fromkeys(map(_reader, in_turns))}
        posters = [asyncio.create_task(post_in_order(targets)) for targets in by_channel.values()]
        try:
            await asyncio.gather(*posters)  # the first failure (the database's, say) is the run's, unwrapped
        finally:
            for task in (*reads.values(), *posters):
                task.cancel()
        self._pace.forget_idle()
        return report

    async def _collect(self, team_id: str, owner_id: str, org: str, db: str, *, now: datetime) -> Message:
        if not await self._accounts.has_active_grant(team_id, owner_id):
            return render.grant_gone(org=org, db=db, owner_id=owner_id)
        api = self._planetscale.as_user(self._accounts.token_provider(team_id, owner_id), user_key=(team_id, owner_id))
        try:
            page = await api.deploy_requests.list(org, db, state=DeployRequestState.OPEN, per_page=SHOWN_OPEN)
            queue = await api.deploy_queue.list(org, db)
        except Unauthorized:
            return render.grant_gone(org=org, db=db, owner_id=owner_id)
        groups: dict[Need, list[Summary]] = {need: [] for need in Need}
        for item in map(summarize, page.data):
            groups[what_it_needs(item, now=now)].append(item)
        entries = [queue_entry(deployment) for deployment in queue.data]
        return render.digest(org=org, db=db, groups=groups, total_open=page.total_count, queue=entries)

    async def _post(
        self, subscription: Subscription, claim: SlotClaim | None, message: Message, report: RunReport, *,
        give_up_at: float, unsent: set[SlotClaim],
    ) -> None:
        channel = subscription.channel_id
        while True:
            await self._pace.turn(channel)
            if claim is not None:
                # From here until it is marked posted Slack may have posted it: a run stopped meanwhile keeps the claim.
                unsent.discard(claim)
            try:
                await self._slack.post_message(channel=channel, message=message)
                break
            except SlackRefused as refused:
                if claim is not None:
                    unsent.add(claim)  # refused: certainly not posted
                wait = UNNAMED_RETRY_AFTER_SECONDS if refused.retry_after is None else refused.retry_after
                if refused.code != "ratelimited" or time.monotonic() + wait > give_up_at:
                    await self._give_back(subscription, claim, report, reason=type(refused).__name__)
                    return
                log.info("Slack asked to wait %.0f s before posting in %s again", wait, channel)
                self._pace.hold(channel, wait)
            except SlackNotReached as unreached:
                # The connection was never made, so the post never left: the next run posts it.
                await self._give_back(subscription, claim, report, reason=f"Slack was not reached ({unreached})")
                return
            except SLACK_MAY_HAVE_ACTED as failure:
                # Slack may have posted it (no answer in time, or the connection broke after the post was sent): the
                # claim stays, so the next run does not post it a second time (it is taken again only once it counts
                # as abandoned, ABANDONED_CLAIM_SECONDS on). If Slack had not, this slot's digest is lost (today's,
                # for a daily one): the lesser evil, since giving the slot back would post it twice whenever Slack had.
                self._not_posted(subscription, report, reason=f"it may have been posted: {unconfirmed(failure)}")
                return
            except PlanetScaleError as error:
                await self._give_back(subscription, claim, report, reason=type(error).__name__)
                return
        if claim is not None:
            await self._subscriptions.mark_posted(claim)
        report.posted += 1

    async def _give_back_unsent(self, unsent: set[SlotClaim]) -> None:
        """The run was cancelled (the process is stopping): give back each slot it claimed and has not sent, so the
        next run, this process's after a restart or another replica's, posts it without waiting
        `ABANDONED_CLAIM_SECONDS` for the claim to count as abandoned. A slot whose post may have reached Slack keeps
        its claim: posted twice is what the claim is there to prevent."""
        for claim in list(unsent):
            await self._subscriptions.release_slot(claim)
            unsent.discard(claim)
            subscription = claim.subscription
            log.info("digest for %s %s given back at shutdown", subscription.channel_id, subscription.database)

    async def _give_back(
        self, subscription: Subscription, claim: SlotClaim | None, report: RunReport, *, reason: str
    ) -> None:
        """Not posted: its slot (if it claimed one) goes back, so the next run posts it."""
        if claim is not None:
            await self._subscriptions.release_slot(claim)
        self._not_posted(subscription, report, reason=reason)

    @staticmethod
    def _not_posted(subscription: Subscription, report: RunReport, *, reason: str) -> None:
        failure = f"{subscription.channel_id} {subscription.database}: {reason}"
        log.warning("digest not posted: %s", failure)
        report.failures.append(failure)


_ReaderKey = tuple[str, str, str, str]


def _reader(subscription: Subscription) -> _ReaderKey:
    """Whose grant reads which database for this digest: (team, owner, organization, database)."""
    return (subscription.team_id, subscription.owner_id, subscription.org, subscription.database)
