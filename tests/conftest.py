"""Fixtures every test directory can use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import RunningBot, run_bot
from tests.support.planetscale import planetscale
from tests.support.slack import slack_standin

__all__ = ["planetscale", "slack_standin"]


@pytest.fixture
def bot(slack_standin: SlackStandIn, tmp_path: Path) -> Iterator[RunningBot]:
    """The bot in HTTP mode, talking to a Slack stand-in."""
    with run_bot(slack=slack_standin, data_dir=tmp_path) as running:
        yield running
