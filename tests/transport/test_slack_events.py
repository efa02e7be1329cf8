"""`POST /slack/events` over real HTTP: acks, ephemeral answers, and 401/413 for anything not from Slack."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.sandbox.slack import SlackStandIn
from tests.support.bot import SIGNING_SECRET, RunningBot, run_bot
from tests.support.slack import Actor, SignedRequest, event_callback, sign, slash_command

FORM = "application/x-www-form-urlencoded"


def commands_handled(bot: RunningBot) -> float:
    return sum(
        sample.value
        for metric in bot.runtime.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == "pscale_bot_commands_total"
    )


def web_api_calls_besides_startup(bot: RunningBot) -> list[str]:
    return [call.method for call in bot.slack.calls.snapshot() if call.method != "auth.test"]


def test_help_is_answered_in_the_ack_and_only_to_the_asker(bot: RunningBot) -> None:
    response = bot.command("help")
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "branch" in body["text"]
    assert body["blocks"]
    # Nothing but the ack: no Web API call and no response_url post was needed.
    assert web_api_calls_besides_startup(bot) == []
    assert len(bot.slack.response_posts) == 0


def test_help_branch_answers_about_branches(bot: RunningBot) -> None:
    body = bot.command("help branch").json()
    assert body["response_type"] == "ephemeral"
    text = body["text"] + str(body.get("blocks"))
    for word in ("branch list", "branch show", "branch create", "branch delete"):
        assert word in text


def test_unknown_subcommand_says_what_was_wrong_with_the_usage(bot: RunningBot) -> None:
    body = bot.command("brnach list shop").json()
    assert body["response_type"] == "ephemeral"
    assert "brnach" in body["text"]
    assert "/pscale help" in body["text"] or "Usage: /pscale" in body["text"]


def test_missing_argument_names_it_and_shows_usage(bot: RunningBot) -> None:
    body = bot.command("branch show").json()
    assert any(line.startswith("Usage: /pscale branch show") for line in body["text"].splitlines())


def _signed_help(**kwargs: object) -> SignedRequest:
    return slash_command(signing_secret=SIGNING_SECRET, text="help", response_url="http://127.0.0.1:9/unused", **kwargs)


def _abuses() -> dict[str, tuple[bytes, dict[str, str]]]:
    good = _signed_help()
    now = str(int(time.time()))
    headers = dict(good.headers)
    forged = {**headers, "X-Slack-Signature": "v0=" + "0" * 64}
    stale_request = _signed_help(timestamp=int(time.time()) - 301)
    non_utf8_body = b"text=\xff\xfehelp&team_id=T0SANDBOX01"
    # slack_sdk's signer refuses non-UTF-8 bytes, so sign them as a hostile client holding the secret would.
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{now}:".encode() + non_utf8_body, hashlib.sha256).hexdigest()
    non_utf8 = (
        non_utf8_body,
        {"Content-Type": FORM, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": f"v0={digest}"},
    )
    return {
        "missing signature": (good.body, {k: v for k, v in headers.items() if k != "X-Slack-Signature"}),
        "missing timestamp": (good.body, {k: v for k, v in headers.items() if k != "X-Slack-Request-Timestamp"}),
        "forged signature": (good.body, forged),
        "signed with another secret": slash_command(
            signing_secret="another-secret", text="help", response_url="http://127.0.0.1:9/unused"
        ),
        "stale (301 s)": stale_request,
        "non-integer timestamp": (good.body, {**headers, "X-Slack-Request-Timestamp": "abc"}),
        "fractional timestamp": (good.body, {**headers, "X-Slack-Request-Timestamp": now + ".5"}),
        "5,000-digit timestamp": (good.body, {**headers, "X-Slack-Request-Timestamp": "9" * 5000}),
        "non-ASCII signature": (good.body, {**headers, "X-Slack-Signature": "v0=é"}),
        "tampered body": (good.body + b"&x=1", headers),
        "body that is not UTF-8": non_utf8,
        "empty everything": (b"", {"Content-Type": FORM}),
    }


@pytest.mark.parametrize("case", list(_abuses()))
def test_every_signature_abuse_is_401_and_runs_nothing(bot: RunningBot, case: str) -> None:
    body, headers = _abuses()[case]
    # httpx refuses non-ASCII header values; send them as raw UTF-8 bytes like a hostile client would.
    raw_headers = [(name.encode(), value.encode("utf-8")) for name, value in headers.items()]
    response = bot.http.post(f"{bot.base_url}/slack/events", content=body, headers=raw_headers)
    assert response.status_code == 401, response.text
    assert commands_handled(bot) == 0
    assert len(bot.slack.response_posts) == 0


def test_a_body_over_one_megabyte_is_413_before_anything_parses_it(bot: RunningBot) -> None:
    fields = urlencode({"command": "/pscale", "text": "help", "padding": "x" * 1_000_001}).encode()
    request = sign(fields, content_type=FORM, signing_secret=SIGNING_SECRET)
    assert bot.post_events(request).status_code == 413
    # The same without a Content-Length header (chunked): the stream is cut off at the limit.
    chunked = bot.http.post(
        f"{bot.base_url}/slack/events", content=iter([fields[:600_000], fields[600_000:]]), headers=request.headers
    )
    assert chunked.status_code == 413
    assert commands_handled(bot) == 0


def test_a_pinned_workspace_refuses_others(slack_standin: SlackStandIn, tmp_path: Path) -> None:
    with run_bot(slack=slack_standin, data_dir=tmp_path, slack_team_id="T0OTHERTEAM") as pinned:
        assert pinned.command("help").status_code == 401
        assert commands_handled(pinned) == 0
    with run_bot(slack=slack_standin, data_dir=tmp_path / "own", slack_team_id=Actor().team_id) as own:
        assert own.command("help").status_code == 200


def test_events_api_url_verification_is_answered(bot: RunningBot) -> None:
    body = b'{"token":"x","challenge":"c-123","type":"url_verification"}'
    request = sign(body, content_type="application/json", signing_secret=SIGNING_SECRET)
    response = bot.post_events(request)
    assert response.status_code == 200
    assert "c-123" in response.text


def test_an_event_nobody_handles_still_gets_a_2xx(bot: RunningBot) -> None:
    # Slack disables subscriptions of apps that fail more than 5% of deliveries; never answer 404 to an event.
    request = event_callback(signing_secret=SIGNING_SECRET, event={"type": "reaction_added", "user": "U1"})
    assert bot.post_events(request).status_code == 200


def test_health_readiness_and_metrics(bot: RunningBot) -> None:
    assert httpx.get(f"{bot.base_url}/healthz").status_code == 200
    ready = httpx.get(f"{bot.base_url}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True}
    bot.command("help")
    metrics = httpx.get(f"{bot.base_url}/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'pscale_bot_commands_total{command="help",outcome="accepted"} 1.0' in metrics.text


def test_readyz_is_503_when_the_database_is_gone(bot: RunningBot) -> None:
    bot.run(bot.runtime.database.close())
    assert httpx.get(f"{bot.base_url}/readyz").status_code == 503
