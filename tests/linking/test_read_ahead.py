"""A command's token provider reads its first token ahead (bot/linking/tokens.py `UserTokens`), so that read
overlaps the command's own storage reads before its first PlanetScale call."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any, cast

import pytest

from bot.linking.tokens import TokenRefresher, UserTokens
from bot.planetscale import LinkRequired


class Refresher:
    """Counts reads; each answers the next token, or raises `failure`."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.reads = 0
        self.failure = failure

    async def access_token(self, team_id: str, user_id: str) -> str:
        self.reads += 1
        await asyncio.sleep(0)
        if self.failure is not None:
            raise self.failure
        return f"token-{self.reads}"


def tokens(refresher: Refresher, *, read_ahead: bool) -> UserTokens:
    return UserTokens(cast(TokenRefresher, refresher), team_id="T1", user_id="U1", read_ahead=read_ahead)


async def test_the_first_token_is_being_read_before_anyone_asks() -> None:
    refresher = Refresher()
    provider = tokens(refresher, read_ahead=True)
    await asyncio.sleep(0)
    assert refresher.reads == 1
    assert await provider.access_token() == "token-1"
    assert await provider.access_token() == "token-2"  # later calls read afresh
    assert refresher.reads == 2


async def test_without_read_ahead_nothing_is_read_until_asked() -> None:
    refresher = Refresher()
    provider = tokens(refresher, read_ahead=False)
    await asyncio.sleep(0)
    assert refresher.reads == 0
    assert await provider.access_token() == "token-1"


async def test_a_failed_read_ahead_reaches_the_caller_who_asks() -> None:
    provider = tokens(Refresher(failure=LinkRequired()), read_ahead=True)
    with pytest.raises(LinkRequired):
        await provider.access_token()


async def test_a_failed_read_ahead_nobody_asked_for_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    """A command refused before its first call never asks for its token."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        provider = tokens(Refresher(failure=LinkRequired()), read_ahead=True)
        for _ in range(3):
            await asyncio.sleep(0)
        del provider
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert reported == []
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
