"""`POST /webhooks/planetscale/{hook_id}`: PlanetScale's deliveries, verified, deduplicated, shown in the channel.

A deploy request with a card in the watched channel gets its card redrawn (the history goes in the card's thread);
any other gets a one-line notice. Its author hears of what happened (deployed, failed, …) in a direct message, and
those who follow the database's reviews of a new one (bot/notify): a card redrawn for the same change tells them too,
and each message is sent once however many times it is seen. PlanetScale wants a 2xx within 2 s, so all of that
happens after the answer, in a tracked task.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.cards.service import CardService
from bot.deploy_requests.summary import summarize
from bot.notify.service import DirectMessages
from bot.planetscale.models import DeployRequest
from bot.ports import SLACK_MAY_HAVE_ACTED, SlackNotReached, SlackPort, SlackRefused, unconfirmed
from bot.render import watch as render
from bot.render.message import Message
from bot.render.watch import DeliveryView
from bot.storage import IdempotencyKeys
from bot.tasks import TaskTracker
from bot.watch.store import Watch, Watches

log = logging.getLogger(__name__)

Name = Annotated[str, Field(max_length=255)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class DeliveredRequest(_Shape):
    """The fields of a `deploy_request.*` delivery's resource the bot reads. The number is bounded by what the cards
    table holds (an INTEGER on PostgreSQL): a larger one cannot be a deploy request the bot has a card for."""

    number: int = Field(ge=1, le=2**31 - 1)
    branch: Name = "?"
    into_branch: Name = "?"
    state: Name | None = None
    deployment_state: Name | None = None
    html_url: Annotated[str, Field(max_length=2000)] | None = None
    updated_at: Name | None = None


class Delivery(_Shape):
    """A delivery: its event, and for a deploy request's event, the request (other resources are not read)."""

    event: Name
    resource: dict[str, object] = {}

    def deploy_request(self) -> DeliveredRequest | None:
        if not self.event.startswith("deploy_request."):
            return None
        return DeliveredRequest.model_validate(self.resource)


class UnreadableDelivery(Exception):
    pass


def read_delivery(body: bytes) -> tuple[Delivery, DeliveredRequest | None]:
    """A delivery and its deploy request, checked; `UnreadableDelivery` (naming the problem, not the content) when
    the body is not JSON, not the shape PlanetScale sends, or nested deeper than the parser goes."""
    try:
        delivery = Delivery.model_validate_json(body)
        return delivery, delivery.deploy_request()
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False, include_context=False)[0]
        raise UnreadableDelivery(f"{first['type']} at {'.'.join(str(part) for part in first['loc'])}") from None


def delivery_view(delivery: Delivery, request: DeliveredRequest | None, *, database: str) -> DeliveryView | None:
    """What a delivery says about a deploy request; None for any other event."""
    if request is None:
        return None
    link = request.html_url
    return DeliveryView(
        database=database,
        number=str(request.number),
        branch=request.branch,
        into_branch=request.into_branch,
        event=delivery.event.removeprefix("deploy_request."),
        state=request.state or "",
        deployment_state=request.deployment_state or "",
        html_url=link if link is not None and link.startswith("https://") else None,
    )


def updated_at_of(value: object) -> datetime | None:
    """A delivery's `updated_at`; one without a zone is taken as UTC, so it compares with what cards read."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def create_webhook_routes(
    *,
    watches: Watches,
    idempotency_keys: IdempotencyKeys,
    tasks: TaskTracker,
    slack: SlackPort,
    cards: CardService,
    news: DirectMessages,
) -> list[Route]:
    async def tell(watch: Watch, delivery: Delivery) -> None:
        """Direct messages for what the delivery says, read from it alone (the resource is the deploy request as
        PlanetScale's API shows it); one that does not read as a deploy request tells nobody anything."""
        try:
            request = summarize(DeployRequest.model_validate(delivery.resource))
        except ValidationError:
            return
        await news.observed(team_id=watch.team_id, org=watch.org, database=watch.database, before=None, after=request)
        if delivery.event == "deploy_request.opened":
            await news.opened(team_id=watch.team_id, org=watch.org, database=watch.database, request=request)

    async def show(watch: Watch, delivery: Delivery, request: DeliveredRequest, message: Message, key: str) -> None:
        """The delivery's work, after PlanetScale has had its 2xx. Slack's failures end here, each in one log line:
        the answer is long sent, and a traceback would blame the bot for Slack being away."""
        await tell(watch, delivery)
        with_cards = await cards.request_changed(
            team_id=watch.team_id, org=watch.org, database=watch.database, number=request.number,
            updated_at=updated_at_of(request.updated_at),
        )
        if watch.channel_id in with_cards:
            return
        try:
            await slack.post_message(channel=watch.channel_id, message=message)
        except (SlackRefused, SlackNotReached) as failure:
            # Slack certainly posted nothing: the key goes back, so this delivery sent again posts its notice (its
            # direct messages and card redraw have keys of their own and are not repeated).
            await idempotency_keys.release(key)
            log.warning("the notice of webhook delivery %s was not posted: %s", delivery.event, failure)
        except SLACK_MAY_HAVE_ACTED as failure:
            # Slack may have posted it: the key stays, so this delivery sent again posts no second notice.
            log.warning("the notice of webhook delivery %s counted as posted, since %s", delivery.event,
                        unconfirmed(failure))

    async def deliver(request: Request) -> Response:
        found = await watches.by_hook(request.path_params["hook_id"])
        if found is None:
            return JSONResponse({"error": "unknown webhook"}, status_code=404)
        watch, secret = found
        body = await request.body()  # at most 1 MB, read within its deadline (bot/web/body.py)
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        # Bytes on both sides: a header with non-ASCII characters (Starlette reads headers as latin-1) is simply
        # not equal, where comparing str would raise TypeError.
        signature = request.headers.get("x-planetscale-signature", "").encode("latin-1")
        if not hmac.compare_digest(expected.encode(), signature):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            delivery, deploy_request = read_delivery(body)
        except UnreadableDelivery as unreadable:
            # Signed with this hook's secret, so PlanetScale's: a non-2xx would only bring it back again.
            log.warning("acknowledged and dropped a signed webhook delivery the bot cannot read: %s", unreadable)
            return JSONResponse({"ok": True})
        view = delivery_view(delivery, deploy_request, database=watch.database)
        if view is None or deploy_request is None:
            return JSONResponse({"ok": True})
        key = f"webhook:{watch.hook_id}:{delivery.event}:{deploy_request.number}:{deploy_request.updated_at}"
        if await idempotency_keys.claim_once(key):  # a replayed delivery posts nothing twice
            tasks.spawn(show(watch, delivery, deploy_request, render.delivery(view), key), name="webhook delivery")
        # 2xx whatever becomes of the Slack work, which runs after this answer: PlanetScale waits at most 2 s, marks a
        # webhook whose receiver answers otherwise as failed, disables one that "repeatedly fail[s]", and documents no
        # retry (https://planetscale.com/docs/api/webhooks; docs/reference/planetscale-api.md, section 6). A non-2xx
        # for Slack being away would not bring the delivery back, and could cost the watch its webhook. What the key
        # does instead: a delivery sent again finds it given back when Slack certainly did nothing (`show`).
        return JSONResponse({"ok": True})

    return [Route("/webhooks/planetscale/{hook_id}", deliver, methods=["POST"])]
