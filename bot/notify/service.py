"""Direct messages about deploy requests (docs/interface.md §8).

`mine`: the author of a deploy request hears, in a DM from the bot, of each thing that happens to it: approved (by
whom), deployed, failed, its revert window closed, reverted, closed by someone else. Being queued is not news. The
author is found through the linked grants (PlanetScale user id → Slack user); someone who never linked, or who
unlinked, is not messaged. `reviews DB`: a subscriber hears of each new deploy request in DB, with Approve and Show
diff.

The sightings come from wherever the bot learns of a change: a card redrawn (by the reconciler, a click, a command
or a webhook delivery), a webhook delivery about a deploy request without a card, an approval from App Home or a
DM. One change is often seen more than once, so each message is recorded before it is sent, keyed by (person,
deploy request, event): whichever sighting comes first sends it, in any process, before or after a restart.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from bot.deploy_requests import lifecycle
from bot.deploy_requests.summary import Person, Summary, summarize
from bot.notify.store import NotificationSettings, ReviewSubscription, SentKey, SentNotifications
from bot.planetscale import PlanetScaleClient, PlanetScaleError
from bot.planetscale.models import DeploymentState, DeployRequestState
from bot.ports import SLACK_MAY_HAVE_ACTED, Accounts, SlackNotReached, SlackPort, SlackRefused, unconfirmed
from bot.render import notify as render
from bot.render.message import Message
from bot.render.mrkdwn import escape
from bot.render.notify import Happened, RequestNews

log = logging.getLogger(__name__)

OPENED = "opened"  # the event of a new deploy request, for those who follow its database's reviews
NEW_REQUESTS_READ = 25  # the newest open deploy requests of a database, read on each pass
_DEPLOYED = frozenset({DeploymentState.COMPLETE_PENDING_REVERT, DeploymentState.COMPLETE})
_FAILED = frozenset({DeploymentState.COMPLETE_ERROR, DeploymentState.COMPLETE_REVERT_ERROR})


def what_happened(before: Summary | None, after: Summary) -> list[tuple[Happened, Person | None]]:
    """The news in going from `before` to `after` (`before` None: only `after` is known, as a webhook delivery
    tells it), each with who did it where PlanetScale says. Approvals are not among them: a `Summary` does not name
    approvers (`approvals` does, for snapshots)."""
    found: list[tuple[Happened, Person | None]] = []
    was = before.deployment_state if before is not None else None
    now = after.deployment_state
    # Seen only once it is over (a delivery of `deploy_request.closed`), a deploy has just left its revert window.
    window_closed = now == DeploymentState.COMPLETE and was in (DeploymentState.COMPLETE_PENDING_REVERT, None)
    if now in _DEPLOYED and was not in _DEPLOYED and not (window_closed and before is None):
        found.append((Happened.DEPLOYED, after.deployed_by))
    if window_closed:
        found.append((Happened.REVERT_WINDOW_CLOSED, None))
    if now == DeploymentState.COMPLETE_REVERT and was != now:
        found.append((Happened.REVERTED, None))
    if now in _FAILED and was != now:
        found.append((Happened.FAILED, None))
    closed_now = lifecycle.closed_undeployed(after) and (before is None or before.state != DeployRequestState.CLOSED)
    closer = after.closed_by
    if closed_now and (closer is None or closer.id != after.author_id):  # closing one's own is no news to oneself
        found.append((Happened.CLOSED, closer))
    return found


def approvals(before: Iterable[Person], after: Iterable[Person]) -> list[Person]:
    """The approvals in `after` that `before` did not have."""
    had = set(before)
    return [person for person in after if person not in had]


class DirectMessages:
    def __init__(
        self,
        *,
        settings: NotificationSettings,
        sent: SentNotifications,
        accounts: Accounts,
        slack: SlackPort,
        planetscale: PlanetScaleClient,
    ) -> None:
        self._settings = settings
        self._sent = sent
        self._accounts = accounts
        self._slack = slack
        self._planetscale = planetscale

    async def look_for_new_requests(self) -> int:
        """One pass over the databases someone follows the reviews of, for deploy requests opened where no webhook
        tells the bot (`watch`): one read of each database's open deploy requests, with the grant of one of its
        followers. Returns how many databases were read."""
        followed: dict[tuple[str, str, str], list[ReviewSubscription]] = defaultdict(list)
        for subscription in await self._settings.review_subscriptions():
            followed[(subscription.team_id, subscription.org, subscription.database)].append(subscription)
        read = 0
        for (team_id, org, database), subscriptions in followed.items():
            reader = await self._first_linked(team_id, [s.user_id for s in subscriptions])
            if reader is None:
                continue
            # Part of the reconciler's loop: held to the pacer's background share, like its card reads.
            api = self._planetscale.as_user(
                self._accounts.token_provider(team_id, reader), user_key=(team_id, reader), background=True
            )
            try:
                page = await api.deploy_requests.list(org, database, state="open", per_page=NEW_REQUESTS_READ)
            except PlanetScaleError as error:
                log.info("looking for new deploy requests in %s/%s: %s", org, database, error)
                continue
            read += 1
            for request in page.data:
                await self.opened(team_id=team_id, org=org, database=database, request=summarize(request))
        return read

    async def _first_linked(self, team_id: str, user_ids: Iterable[str]) -> str | None:
        for user_id in user_ids:
            if await self._accounts.has_active_grant(team_id, user_id):
                return user_id
        return None

    async def observed(
        self,
        *,
        team_id: str,
        org: str,
        database: str,
        before: Summary | None,
        after: Summary,
        new_approvers: Iterable[Person] = (),
    ) -> None:
        """A sighting of a deploy request: tell its author what happened since `before`. Never raises: a message
        Slack certainly did not take (refused, or never reached) is given back, so the next sighting sends it."""
        news = [*what_happened(before, after), *((Happened.APPROVED, person) for person in new_approvers)]
        if not news or not after.author_id:
            return
        try:
            people = await self._accounts.slack_users(
                team_id, {after.author_id, *(person.id for _, person in news if person and person.id)}
            )
            author = people.get(after.author_id)
            if author is None or not await self._settings.mine_on(team_id, author):
                return
            for happened, person in news:
                event = f"{happened.value}:{person.id or person.name}" if happened is Happened.APPROVED and person \
                    else happened.value
                by = _named(person, people)
                message = render.news(
                    RequestNews(happened=happened, org=org, database=database, request=after, by=by)
                )
                await self._send(SentKey(team_id, author, org, database, after.number, event), message)
        except (SlackRefused, SlackNotReached) as failure:  # given back by `_send`: expected, so one line
            log.warning("could not tell the author of %s #%d: %s", database, after.number, failure)
        except Exception:  # a lost DM must never break the card, click or delivery that saw the change
            log.warning("could not tell the author of %s #%d", database, after.number, exc_info=True)

    async def opened(self, *, team_id: str, org: str, database: str, request: Summary) -> None:
        """A deploy request in `database` waits for review: tell those who follow its reviews, except its author.
        What was open when someone began to follow is recorded as told then (`already_open`), so it is no news."""
        if not lifecycle.awaits_review(request):
            return
        try:
            reviewers = await self._settings.reviewers(team_id=team_id, org=org, database=database)
            people = await self._accounts.slack_users(team_id, {request.author_id} if request.author_id else set())
            author = people.get(request.author_id or "")
            name = f"<@{author}>" if author else escape(request.author) if request.author else None
            message = render.review_wanted(org=org, database=database, request=request, author=name, diff=True)
            for reviewer in reviewers:
                if reviewer == author or not await self._accounts.has_active_grant(team_id, reviewer):
                    continue  # their own; or unlinked since: nothing more
                await self._send(SentKey(team_id, reviewer, org, database, request.number, OPENED), message)
        except (SlackRefused, SlackNotReached) as failure:
            log.warning("could not tell the reviewers of %s #%d: %s", database, request.number, failure)
        except Exception:
            log.warning("could not tell the reviewers of %s #%d", database, request.number, exc_info=True)

    async def already_open(
        self, *, team_id: str, user_id: str, org: str, database: str, numbers: Iterable[int]
    ) -> None:
        """`user_id` begins to follow the reviews of `database`: what is open now is not news to them."""
        for number in numbers:
            await self._sent.claim(SentKey(team_id, user_id, org, database, number, OPENED))

    async def _send(self, key: SentKey, message: Message) -> None:
        if not await self._sent.claim(key):
            return
        try:
            await self._slack.post_message(channel=key.user_id, message=message)
        except (SlackRefused, SlackNotReached):
            await self._sent.release(key)  # certainly not delivered: the next sighting sends it
            raise
        except SLACK_MAY_HAVE_ACTED as failure:
            # Slack may have delivered it, so the claim stays and no later sighting sends it again. If Slack had
            # not, this person misses one message: the lesser evil, since a message given back would reach them
            # twice whenever Slack had delivered it, and one who is told the same news twice learns to skim the
            # bot's messages. Any other failure (the process stopping while the message was on its way) keeps the
            # claim for the same reason.
            log.warning(
                "direct message to %s about %s #%d (%s) counted as sent, since %s",
                key.user_id, key.database, key.number, key.event, unconfirmed(failure),
            )


def _named(person: Person | None, people: dict[str, str]) -> str | None:
    if person is None:
        return None
    slack_id = people.get(person.id) if person.id else None
    return f"<@{slack_id}>" if slack_id else escape(person.name)
