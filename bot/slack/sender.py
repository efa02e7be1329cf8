"""Who sent a Slack payload — a slash command, a button click, a form submission, an options request.

One reader with one precedence, because a person's PlanetScale grant is looked up under the (team, user) it gives:
two readers that disagree would find a grant for a typed command and none for a click by the same person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Sender(NamedTuple):
    team_id: str
    user_id: str


def sender(body: Mapping[str, Any]) -> Sender:
    """The workspace the payload came from, then the person.

    The workspace is the payload's own (`team.id`, or a slash command's `team_id`) before the person's home team
    (`user.team_id`, which differs for someone from another workspace of an Enterprise Grid or a Slack Connect
    channel): it is the one a slash command reports, so the one the person linked under.
    """
    user = body.get("user")
    user = user if isinstance(user, Mapping) else {}
    team = body.get("team")
    team_id = (team.get("id") if isinstance(team, Mapping) else None) or body.get("team_id") or user.get("team_id")
    return Sender(team_id=str(team_id or ""), user_id=str(user.get("id") or body.get("user_id") or ""))
