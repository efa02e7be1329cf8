"""Slack request signature verification that can only answer yes or no.

slack_sdk's `SignatureVerifier.is_valid` raises on malformed input (a non-integer or 5,000-digit timestamp, a
non-ASCII signature, a body that is not UTF-8), and bolt turns an exception in its middleware into HTTP 500. A request
we cannot verify is simply not from Slack, so every such case must be a 401. This module checks the shape of each
header before any arithmetic or comparison, and hashes the raw bytes exactly as received.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping

MAX_AGE_SECONDS = 300
# Slack timestamps are Unix seconds; 1 to 12 digits covers every real one and keeps int() cheap and safe.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackRequestVerifier:
    """Checks `X-Slack-Signature` over `v0:{timestamp}:{raw body}` within Slack's 300 s replay window."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode("utf-8")
        self._clock = clock

    def is_valid(self, *, body: bytes, timestamp: str | None, signature: str | None) -> bool:
        if timestamp is None or signature is None:
            return False
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return False
        # Exactly 300 s old already fails, as in slack_sdk, because the clock is fractional.
        if abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return False
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return False
        # Slack only ever sends UTF-8; a correctly signed body that is not cannot have come from Slack.
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def is_valid_request(self, *, body: bytes, headers: Mapping[str, str]) -> bool:
        return self.is_valid(
            body=body,
            timestamp=headers.get("x-slack-request-timestamp"),
            signature=headers.get("x-slack-signature"),
        )
