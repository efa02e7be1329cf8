"""The stand-in's webhook sender: PlanetScale's deliveries, signed and sent to the registered URLs as they happen.

What PlanetScale documents of delivering (https://planetscale.com/docs/api/webhooks, "Handling deliveries"), and so
what this does: a POST of the JSON event with `X-PlanetScale-Signature`, the hex HMAC-SHA256 of the exact body keyed
with the webhook's secret; "PlanetScale will wait a maximum of 2 seconds for a response from your server before
marking the webhook as failed"; redirects are not followed; anything but a 2xx is a failure, shown in the webhook's
`last_sent_result` / `last_sent_success`; "Webhooks that repeatedly fail will be disabled". PlanetScale documents no
retries, so a failed delivery is not sent again: a receiver must not count on getting every event, and the bot keeps
cards current by reading them again too (its reconciler).

The sender also settles the world on every tick, so deployments move on with the clock when nobody asks (a real
PlanetScale does not wait to be read), and each move's webhook event goes out within a tick.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from bot.sandbox.planetscale.world import Delivery, World
from bot.tls import certifi_context

TIMEOUT_SECONDS = 2.0
TICK_SECONDS = 0.25
SIGNATURE_HEADER = "X-PlanetScale-Signature"


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sent:
    """One delivery attempt, for tests to look at."""

    event: str
    url: str
    status: int | None  # None: no answer (refused, reset, or not within 2 s)
    success: bool


class WebhookSender:
    """Sends `world`'s deliveries from a background thread; use `running()` around the time it should."""

    def __init__(self, world: World, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.world = world
        self.timeout = timeout
        self.sent: list[Sent] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def running(self) -> Iterator[WebhookSender]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="planetscale webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.world.outbox_ready.set()  # wake it
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout, follow_redirects=False, verify=certifi_context()) as client:
            while not self._stop.is_set():
                self.world.settle()
                for delivery in self.world.take_deliveries():
                    self._send(client, delivery)
                self.world.outbox_ready.wait(TICK_SECONDS)

    def _send(self, client: httpx.Client, delivery: Delivery) -> None:
        with self.world.lock:
            webhook = self.world.organizations[delivery.organization].databases[delivery.database].webhooks.get(
                delivery.webhook_id
            )
            if webhook is None or not webhook.enabled:
                return  # deleted or disabled since the event: PlanetScale sends nothing more to it
            url, secret = webhook.url, webhook.secret
        status: int | None = None
        try:
            response = client.post(
                url,
                content=delivery.body,
                headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, delivery.body)},
            )
            status = response.status_code
            success = 200 <= status < 300
            result = f"{status} {response.reason_phrase}".strip()
        except httpx.TimeoutException:
            success, result = False, f"no response within {self.timeout:g} s"
        except httpx.HTTPError as error:
            success, result = False, f"could not connect: {type(error).__name__}"
        self.world.record_delivery(delivery, success=success, result=result)
        self.sent.append(Sent(event=delivery.event, url=url, status=status, success=success))
