"""One reader of who sent a payload, for every kind Slack sends, with one precedence: the payload's workspace first."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.sender import Sender, sender

GRID_USER = {"id": "U1", "team_id": "T_HOME"}  # someone whose home workspace is not the one they act in


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"team_id": "T1", "user_id": "U1", "command": "/pscale"}, Sender("T1", "U1")),  # slash command
        ({"type": "block_actions", "team": {"id": "T1"}, "user": GRID_USER}, Sender("T1", "U1")),
        ({"type": "view_submission", "team": {"id": "T1"}, "user": GRID_USER}, Sender("T1", "U1")),
        ({"type": "block_suggestion", "team": {"id": "T1"}, "user": GRID_USER}, Sender("T1", "U1")),
        ({"type": "block_actions", "team": None, "user": GRID_USER}, Sender("T_HOME", "U1")),  # no team given
        ({}, Sender("", "")),
    ],
)
def test_the_workspace_of_the_payload_comes_before_the_persons_home(body: dict[str, Any], expected: Sender) -> None:
    assert sender(body) == expected
