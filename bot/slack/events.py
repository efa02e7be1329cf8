"""Events API listeners.

Every event gets a 2xx: Slack retries failed deliveries and disables an app's subscriptions when more than 5% of
deliveries fail within an hour, so an event we have no use for is acknowledged and dropped, never answered 404.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp

log = logging.getLogger(__name__)


def register_events(app: AsyncApp) -> None:
    # Registered last, so listeners for specific events (added by other modules) match first.
    @app.event(re.compile(".*"))
    async def ignore_other_events(event: dict[str, Any]) -> None:
        log.debug("ignoring event of type %s", event.get("type"))
