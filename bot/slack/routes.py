"""One bolt listener for each kind of interaction, routing on the payload's own id by dictionary lookup.

Bolt tries its listeners one by one, in the order they were registered, and to run each listener's matcher it first
builds every argument a listener could ask for (`build_async_required_kwargs`: the payload's eight views, the
context's utilities), some 15 µs a matcher. With a listener per button, a click on a card's Deploy went through 32
matchers before its own: half a millisecond of its ack, measured in-process. Here bolt sees four listeners (the
command's comes first, bot/slack/app.py), and a click costs two matchers whatever the number of buttons.

A handler asks for bolt's arguments by name, as it would of bolt (`ack`, `body`, `respond`, `view`); the names are
read once, when it is registered. A payload whose id has no handler gets bolt's own "no listener" answer (404),
which the transports acknowledge and log as before.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

Handler = Callable[..., Awaitable[None]]
Kind = Literal["block_action", "view_submission", "block_suggestion"]
_ARGUMENTS = frozenset({"ack", "body", "respond", "view"})
_ANY = re.compile(".")


@dataclass(frozen=True)
class _Route:
    handler: Handler
    arguments: tuple[str, ...]


class InteractionRoutes:
    """Handlers of block actions (by `action_id`), form submissions (by `callback_id`) and menu option requests
    (by `action_id`), installed in bolt as one listener per kind."""

    def __init__(self) -> None:
        self._routes: dict[tuple[Kind, str], _Route] = {}

    def block_action(self, action_id: str) -> Callable[[Handler], Handler]:
        return self._register("block_action", action_id)

    def view_submission(self, callback_id: str) -> Callable[[Handler], Handler]:
        return self._register("view_submission", callback_id)

    def block_suggestion(self, action_id: str) -> Callable[[Handler], Handler]:
        return self._register("block_suggestion", action_id)

    def _register(self, kind: Kind, key: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if (kind, key) in self._routes:
                raise ValueError(f"two handlers for the {kind} {key!r}")
            arguments = tuple(inspect.signature(handler).parameters)
            unknown = set(arguments) - _ARGUMENTS
            if unknown:
                raise TypeError(f"{handler.__qualname__} asks for {sorted(unknown)}; a handler may ask for "
                                f"{sorted(_ARGUMENTS)}")
            self._routes[kind, key] = _Route(handler, arguments)
            return handler

        return register

    def install(self, app: AsyncApp) -> None:
        @app.block_action(_ANY)
        async def block_action(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> BoltResponse | None:
            action_id = str(body["actions"][0].get("action_id", ""))
            return await self._run("block_action", action_id, ack=ack, body=body, respond=respond, view=None)

        @app.view(_ANY)
        async def view_submission(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> BoltResponse | None:
            callback_id = str(view.get("callback_id", ""))
            return await self._run("view_submission", callback_id, ack=ack, body=body, respond=None, view=view)

        @app.block_suggestion(_ANY)
        async def block_suggestion(ack: AsyncAck, body: dict[str, Any]) -> BoltResponse | None:
            action_id = str(body.get("action_id", ""))
            return await self._run("block_suggestion", action_id, ack=ack, body=body, respond=None, view=None)

    async def _run(self, kind: Kind, key: str, **available: Any) -> BoltResponse | None:
        route = self._routes.get((kind, key))
        if route is None:
            return BoltResponse(status=404, body="")  # as bolt answers a payload no listener matched
        await route.handler(**{name: available[name] for name in route.arguments})
        return None
