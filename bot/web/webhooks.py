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
import json
import logging
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.cards.service import CardService
from bot.deploy_requests.summary import summarize
from bot.notify.service import DirectMessages
from bot.planetscale.models import DeployRequest
from bot.ports import SlackPort
from bot.render import watch as render
from bot.render.message import Message
from bot.render.watch import DeliveryView
from bot.storage import IdempotencyKeys
from bot.tasks import TaskTracker
from bot.watch.store import Watch, Watches

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


def delivery_view(payload: dict[str, object], *, database: str) -> DeliveryView | None:
    """What a delivery says about a deploy request; None for any other event."""
    resource = payload.get("resource")
    event = str(payload.get("event", ""))
    if not isinstance(resource, dict) or not event.startswith("deploy_request."):
        return None
    link = resource.get("html_url")
    return DeliveryView(
        database=database,
        number=str(resource.get("number")),
        branch=str(resource.get("branch", "?")),
        into_branch=str(resource.get("into_branch", "?")),
        event=event.removeprefix("deploy_request."),
        state=str(resource.get("state") or ""),
        deployment_state=str(resource.get("deployment_state") or ""),
        html_url=link if isinstance(link, str) and link.startswith("https://") else None,
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
    async def tell(watch: Watch, event: str, resource: dict[str, Any]) -> None:
        """Direct messages for what the delivery says, read from it alone (the resource is the deploy request as
        PlanetScale's API shows it); one that does not read as a deploy request tells nobody anything."""
        try:
            request = summarize(DeployRequest.model_validate(resource))
        except ValidationError:
            return
        await news.observed(team_id=watch.team_id, org=watch.org, database=watch.database, before=None, after=request)
        if event == "deploy_request.opened":
            await news.opened(team_id=watch.team_id, org=watch.org, database=watch.database, request=request)

    async def show(watch: Watch, event: str, resource: dict[str, Any], message: Message) -> None:
        await tell(watch, event, resource)
        number = resource.get("number")
        with_cards: set[str] = set()
        if isinstance(number, int):
            with_cards = await cards.request_changed(
                team_id=watch.team_id, org=watch.org, database=watch.database, number=number,
                updated_at=updated_at_of(resource.get("updated_at")),
            )
        if watch.channel_id not in with_cards:
            await slack.post_message(channel=watch.channel_id, message=message)

    async def deliver(request: Request) -> Response:
        found = await watches.by_hook(request.path_params["hook_id"])
        if found is None:
            return JSONResponse({"error": "unknown webhook"}, status_code=404)
        watch, secret = found
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": "too large"}, status_code=413)
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers.get("x-planetscale-signature", "")):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "not an object"}, status_code=400)
        raw = payload.get("resource")
        resource = raw if isinstance(raw, dict) else {}
        key = f"webhook:{watch.hook_id}:{payload.get('event')}:{resource.get('number')}:{resource.get('updated_at')}"
        view = delivery_view(payload, database=watch.database)
        if view is not None and await idempotency_keys.claim_once(key):  # a replayed delivery posts nothing twice
            event = str(payload.get("event"))
            tasks.spawn(show(watch, event, resource, render.delivery(view)), name="webhook delivery")
        return JSONResponse({"ok": True})

    return [Route("/webhooks/planetscale/{hook_id}", deliver, methods=["POST"])]
