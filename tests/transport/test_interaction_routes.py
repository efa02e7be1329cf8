"""Clicks, form submissions and menu searches reach their handlers through `InteractionRoutes` (bot/slack/routes.py):
one bolt listener per kind, a dictionary lookup on the payload's id. Every handler's own behaviour is tested where
its feature is (tests/cards, tests/forms, tests/home); here, what the routing itself promises."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.routes import InteractionRoutes
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.slack import Actor, block_actions


def test_a_click_on_a_button_the_bot_no_longer_draws_is_acknowledged_and_does_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.events_endpoint")
    actor = Actor()
    button = {"type": "button", "action_id": "dr_retired_button", "value": "acme/shop/1"}
    request = block_actions(
        signing_secret=SIGNING_SECRET, actions=[{**button, "block_id": "b1", "action_ts": "1.2"}],
        response_url=bot.slack.new_response_url(channel=actor.channel_id, user=actor.user_id), message_ts="1.1",
        actor=actor,
    )
    response = bot.post_events(request)
    assert (response.status_code, response.content) == (200, b"")
    assert "no listener for a BlockActions request" in caplog.text
    assert [call.method for call in bot.slack.calls.snapshot() if call.method != "auth.test"] == []


def _bolt_app() -> AsyncApp:
    async def authorize(**context: Any) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=None, team_id=context.get("team_id"), bot_token="xoxb-unused")

    return AsyncApp(name="routes-test", authorize=authorize, request_verification_enabled=False,
                    process_before_response=True)


async def test_a_handler_gets_only_the_arguments_it_names_and_answers_the_ack() -> None:
    app = _bolt_app()
    routes = InteractionRoutes()
    routes.install(app)
    received: dict[str, Any] = {}

    @routes.block_action("a")
    async def clicked(ack: AsyncAck, body: dict[str, Any]) -> None:
        received["body"] = body
        await ack(text="done")

    body = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"}, "api_app_id": "A1",
            "actions": [{"type": "button", "action_id": "a", "block_id": "b", "action_ts": "1"}]}
    response = await app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert "done" in response.body
    assert received == {"body": body}
    other = {**body, "actions": [{**body["actions"][0], "action_id": "b"}]}
    assert (await app.async_dispatch(AsyncBoltRequest(body=other, mode="socket_mode"))).status == 404


def test_two_handlers_for_one_id_are_refused_when_registered() -> None:
    routes = InteractionRoutes()

    @routes.block_action("a")
    async def first(ack: Any) -> None: ...

    with pytest.raises(ValueError, match="two handlers"):
        @routes.block_action("a")
        async def second(ack: Any) -> None: ...

    # The same id in another kind is another route.
    @routes.view_submission("a")
    async def submitted(ack: Any) -> None: ...


def test_a_handler_asking_for_an_argument_routes_do_not_give_is_refused_when_registered() -> None:
    routes = InteractionRoutes()
    with pytest.raises(TypeError, match="client"):
        @routes.block_action("a")
        async def clicked(ack: Any, client: Any) -> None: ...


def test_bolt_sees_one_listener_per_kind_however_many_handlers() -> None:
    """The point of the routes: bolt runs every earlier listener's matcher before a payload's own (~15 µs each)."""
    app = _bolt_app()
    routes = InteractionRoutes()
    routes.install(app)
    for number in range(40):
        routes.block_action(f"button_{number}")(_nothing)
    assert len(app._async_listeners) == 3


async def _nothing(ack: Any) -> None:
    await ack()
