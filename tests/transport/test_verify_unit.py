"""The verifier answers yes or no for any input; it never raises (that would become a 500)."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.slack.verify import SlackRequestVerifier

# Slack's documented example (python-slack-sdk tests/slack_sdk/signature/test_signature_verifier.py).
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TIMESTAMP = "1531420618"
BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def _at(now: float) -> SlackRequestVerifier:
    return SlackRequestVerifier(SECRET, clock=lambda: now)


def test_slacks_published_vector_verifies() -> None:
    assert _at(int(TIMESTAMP) + 10).is_valid(body=BODY, timestamp=TIMESTAMP, signature=SIGNATURE)


def test_replay_window_is_300_seconds() -> None:
    assert _at(int(TIMESTAMP) + 299.5).is_valid(body=BODY, timestamp=TIMESTAMP, signature=SIGNATURE)
    assert not _at(int(TIMESTAMP) + 300.5).is_valid(body=BODY, timestamp=TIMESTAMP, signature=SIGNATURE)
    assert not _at(int(TIMESTAMP) - 301).is_valid(body=BODY, timestamp=TIMESTAMP, signature=SIGNATURE)


def test_tampered_body_fails() -> None:
    assert not _at(int(TIMESTAMP)).is_valid(body=BODY + b"x", timestamp=TIMESTAMP, signature=SIGNATURE)


def test_agrees_with_slack_sdk_on_wellformed_input() -> None:
    sdk = SignatureVerifier(SECRET, clock=None)
    signature = sdk.generate_signature(timestamp=TIMESTAMP, body=BODY.decode())
    assert signature == SIGNATURE


def test_malformed_headers_are_invalid_not_errors() -> None:
    verifier = _at(int(TIMESTAMP))
    cases = [
        (None, SIGNATURE),
        (TIMESTAMP, None),
        ("abc", SIGNATURE),
        ("1e10", SIGNATURE),
        ("", SIGNATURE),
        ("1531420618.5", SIGNATURE),
        ("9" * 5000, SIGNATURE),
        ("-1531420618", SIGNATURE),
        (TIMESTAMP, "v0=é"),
        (TIMESTAMP, "v1=" + SIGNATURE[3:]),
        (TIMESTAMP, SIGNATURE.upper()),
        (TIMESTAMP, ""),
    ]
    for timestamp, signature in cases:
        assert not verifier.is_valid(body=BODY, timestamp=timestamp, signature=signature), (timestamp, signature)


def test_signed_non_utf8_body_is_rejected() -> None:
    body = b"text=\xff\xfe"
    base = b"v0:" + TIMESTAMP.encode() + b":" + body
    signature = "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    assert not _at(int(TIMESTAMP)).is_valid(body=body, timestamp=TIMESTAMP, signature=signature)


@given(
    body=st.binary(max_size=512),
    timestamp=st.one_of(st.none(), st.text()),
    signature=st.one_of(st.none(), st.text()),
)
def test_never_raises(body: bytes, timestamp: str | None, signature: str | None) -> None:
    assert _at(int(TIMESTAMP)).is_valid(body=body, timestamp=timestamp, signature=signature) in (True, False)
