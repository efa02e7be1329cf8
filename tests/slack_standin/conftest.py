from collections.abc import Iterator

import pytest

from bot.sandbox.slack import SlackStandIn
from tests.support.browser import browser_page
from tests.support.slack import serve_slack_standin

__all__ = ["browser_page", "slack_standin"]


@pytest.fixture
def slack_standin() -> Iterator[SlackStandIn]:
    """The stand-in's own tests make it refuse on purpose: they stay out of the suite's Slack audit."""
    with serve_slack_standin(audited=False) as standin:
        yield standin
