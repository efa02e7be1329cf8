"""One digest run: claim what is due, read each (owner's grant, database) once, post to each channel.

A slot is claimed before posting, so two runners never both post it; if posting then fails, the claim is given
back and the next run (or the next process after a restart) posts it, still within the 6-hour limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.deploy_requests.lifecycle import Need, what_it_needs
from bot.deploy_requests.summary import Summary, queue_entry, summarize
from bot.digests.schedule import due_slot
from bot.digests.store import Subscription, Subscriptions
from bot.planetscale import PlanetScaleClient, PlanetScaleError, Unauthorized
from bot.planetscale.models import DeployRequestState
from bot.ports import Accounts, SlackPort, SlackRefused
from bot.render import digests as render
from bot.render.message import Message

log = logging.getLogger(__name__)

READ_CONCURRENCY = 8
SHOWN_OPEN = 100


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

    async def run(self, *, everything: bool = False) -> RunReport:
        """Post what is due now; with `everything`, post every subscription now too, without using up its slot."""
        now = self._now()
        work: list[tuple[Subscription, date | None]] = []
        for subscription in await self._subscriptions.all():
            slot = due_slot(subscription.timing, now)
            if slot is not None and await self._subscriptions.claim_slot(subscription, slot):
                work.append((subscription, slot))
            elif everything:
                work.append((subscription, None))
        readers: dict[tuple[str, str, str, str], list[tuple[Subscription, date | None]]] = defaultdict(list)
        for subscription, slot in work:
            readers[(subscription.team_id, subscription.owner_id, subscription.org, subscription.database)].append(
                (subscription, slot)
            )
        report = RunReport()
        limit = asyncio.Semaphore(READ_CONCURRENCY)

        async def one_read(key: tuple[str, str, str, str], targets: list[tuple[Subscription, date | None]]) -> None:
            try:
                async with limit:
                    message = await self._collect(*key, now=now)
            except PlanetScaleError as error:  # this database's digest fails; the others still go out
                for subscription, slot in targets:
                    if slot is not None:
                        await self._subscriptions.release_slot(subscription, slot)
                    report.failures.append(f"{subscription.channel_id} {subscription.database}: {error}")
                return
            for subscription, slot in targets:
                await self._post(subscription, slot, message, report)

        await asyncio.gather(*(one_read(key, targets) for key, targets in readers.items()))
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

    async def _post(self, subscription: Subscription, slot: date | None, message: Message, report: RunReport) -> None:
        try:
            await self._slack.post_message(channel=subscription.channel_id, message=message)
        except (SlackRefused, PlanetScaleError, OSError) as error:
            if slot is not None:
                await self._subscriptions.release_slot(subscription, slot)
            reason = f"{subscription.channel_id} {subscription.database}: {type(error).__name__}"
            log.warning("digest not posted: %s", reason)
            report.failures.append(reason)
            return
        if slot is not None:
            await self._subscriptions.mark_posted(subscription, slot)
        report.posted += 1
