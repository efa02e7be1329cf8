"""The deploy queue, in `/pscale queue` and in the digest: a deployed request holds the queue, it is not queued."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.deploy_requests.summary import QueueEntry
from bot.render import digests, resources
from tests.support.replies import validate_blocks

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUEUE = (
    QueueEntry(number=2, deployment_state="complete_pending_revert", into_branch="main", queued_at=WHEN),
    QueueEntry(number=3, deployment_state="queued", into_branch="main", queued_at=WHEN),
)


def test_the_queue_counts_only_what_waits_in_it_and_says_every_state_in_words() -> None:
    message = resources.deploy_queue("acme", "shop", QUEUE)
    validate_blocks(list(message.blocks))
    text = str(message.blocks)
    assert "#2 holds the queue: deployed; can still be reverted" in text
    assert "1 queued, in the order they will deploy." in text
    assert "complete_pending_revert" not in text
    assert "complete pending revert" not in text


def test_the_digest_never_counts_a_deployed_request_as_queued() -> None:
    message = digests.digest(org="acme", db="shop", groups={}, total_open=0, queue=QUEUE)
    validate_blocks(list(message.blocks))
    assert message.text.endswith("1 queued")
    text = str(message.blocks)
    assert "deployed; can still be reverted" in text
    assert "complete pending revert" not in text
    held = digests.digest(org="acme", db="shop", groups={}, total_open=0, queue=QUEUE[:1])
    assert held.text.endswith("0 queued")
    assert "Nothing is queued behind it." in str(held.blocks)
