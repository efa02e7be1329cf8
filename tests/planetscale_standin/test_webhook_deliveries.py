"""The stand-in delivers webhooks as PlanetScale does: signed, as the deploy request moves, once, 2 s to answer."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.planetscale import World
from bot.sandbox.planetscale.faults import RequestRecord
from bot.sandbox.planetscale.webhooks import WebhookSender
from bot.sandbox.planetscale.world import FAILURES_BEFORE_DISABLED, WEBHOOK_EVENTS, Webhook
from tests.support.planetscale import conformance_problems
from tests.support.webhooks import WebhookReceiver, serve_receiver, wait_until

DEPLOY_REQUEST_EVENTS = [event for event in WEBHOOK_EVENTS if event.startswith("deploy_request.")]
DR_TEMPLATE = "/organizations/{organization}/databases/{database}/deploy-requests/{number}"


class Org:
    def __init__(self) -> None:
        self.world = World()
        self.world.accept_loopback_webhooks = True
        self.alice = self.world.add_user("alice")
        self.world.add_organization("org", admins=[self.alice.id])
        self.world.add_database("org", "db", tables={"t": "CREATE TABLE `t` (`id` int, `old` int)"})

    def hook(self, url: str, events: list[str] | None = None) -> Webhook:
        return self.world.create_webhook("org", "db", url=url, events=events or DEPLOY_REQUEST_EVENTS)

    def open(self, branch: str) -> int:
        self.world.create_branch("org", "db", name=branch, actor_id=self.alice.id)
        self.world.change_schema("org", "db", branch, table="t", ddl="ALTER TABLE `t` DROP COLUMN `old`",
                                 create_sql="CREATE TABLE `t` (`id` int)")
        return self.world.create_deploy_request("org", "db", actor_id=self.alice.id, branch=branch).number


@pytest.fixture
def org() -> Iterator[Org]:
    org = Org()
    with WebhookSender(org.world).running():
        yield org


def _payload(received: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(received.body)
    return parsed


def test_a_deploy_request_is_delivered_signed_at_every_move_with_its_state_of_that_moment(org: Org) -> None:
    receiver = WebhookReceiver()
    with serve_receiver(receiver) as url:
        hook = org.hook(f"{url}/hooks/1")
        number = org.open("drop-old")
        org.world.deploy("org", "db", number, actor_id=org.alice.id)
        org.world.advance(3600)  # through the copy, the cutover, the whole revert window
        deliveries = receiver.wait_for(5)
    events = [(_payload(d)["event"], _payload(d)["resource"]["deployment_state"]) for d in deliveries]
    assert events == [
        ("deploy_request.opened", "pending"),
        ("deploy_request.queued", "queued"),
        ("deploy_request.in_progress", "in_progress"),
        ("deploy_request.schema_applied", "complete_pending_revert"),
        ("deploy_request.closed", "complete"),
    ]
    assert {d.path for d in deliveries} == {"/hooks/1"}
    for delivery in deliveries:
        expected = hmac.new(hook.secret.encode(), delivery.body, hashlib.sha256).hexdigest()
        assert delivery.headers["x-planetscale-signature"] == expected
        assert delivery.headers["content-type"] == "application/json"
        payload = _payload(delivery)
        assert (payload["organization"], payload["database"]) == ("org", "db")
        assert isinstance(payload["timestamp"], int)
        assert payload["resource"]["type"] == "DeployRequest"
    # Each event's resource is the body the API's GET answers with, so it must meet the spec for that.
    records = [
        RequestRecord(method="GET", path=f"/v1/organizations/org/databases/db/deploy-requests/{number}",
                      template=DR_TEMPLATE, query="", request_content_type=None, request_body=b"", status=200,
                      response_content_type="application/json", answered=True,
                      response_body=json.dumps(_payload(delivery)["resource"]).encode())
        for delivery in deliveries
    ]
    assert conformance_problems(records) == []
    applied = _payload(deliveries[3])["resource"]["deployment"]
    assert applied["deployment_revert_request"]["waiting_period_end_at"] is not None
    assert applied["deploy_operations"][0]["operation_name"] == "ALTER"
    assert applied["deploy_operations"][0]["can_drop_data"] is True


def test_a_failed_delivery_is_not_sent_again_and_a_webhook_failing_again_and_again_is_disabled(org: Org) -> None:
    receiver = WebhookReceiver(status=500)
    with serve_receiver(receiver) as url:
        hook = org.hook(url, events=["deploy_request.opened"])
        for index in range(FAILURES_BEFORE_DISABLED):
            org.open(f"b{index}")
        receiver.wait_for(FAILURES_BEFORE_DISABLED)
        wait_until(lambda: not hook.enabled)
        assert (hook.last_sent_success, hook.last_sent_result) == (False, "500 Internal Server Error")
        org.open("after-disabled")
        org.world.advance(1)
    # One POST per event, no retries; nothing at all once disabled.
    assert len(receiver.received) == FAILURES_BEFORE_DISABLED


def test_a_receiver_answering_after_2_seconds_or_redirecting_has_failed(org: Org) -> None:
    held = WebhookReceiver(hold=True)
    moved = WebhookReceiver(redirect_to="/elsewhere")
    with serve_receiver(held) as slow_url, serve_receiver(moved) as moved_url:
        slow = org.hook(slow_url, events=["deploy_request.opened"])
        redirecting = org.hook(moved_url, events=["deploy_request.opened"])
        org.open("x")
        wait_until(lambda: slow.last_sent_at is not None and redirecting.last_sent_at is not None)
    assert (slow.last_sent_success, slow.last_sent_result) == (False, "no response within 2 s")
    assert (redirecting.last_sent_success, redirecting.last_sent_result) == (False, "307 Temporary Redirect")
    assert [r.path for r in moved.received] == ["/"]  # the redirect was not followed


def test_only_subscribed_events_are_sent_and_a_test_goes_to_its_webhook(org: Org) -> None:
    receiver = WebhookReceiver()
    with serve_receiver(receiver) as url:
        hook = org.hook(url, events=["deploy_request.closed"])
        number = org.open("closing")
        org.world.close("org", "db", number, actor_id=org.alice.id)
        org.world.test_webhook("org", "db", hook.id)
        deliveries = receiver.wait_for(2)
    assert [_payload(d)["event"] for d in deliveries] == ["deploy_request.closed", "webhook.test"]
    assert _payload(deliveries[1])["resource"]["type"] == "Database"
    assert hook.last_sent_success is True
