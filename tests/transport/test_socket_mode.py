"""Socket Mode: the same bolt app fed over a WebSocket; the non-Slack routes still answer on the port."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.config import Mode
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot
from tests.support.slack import Actor, slash_payload


async def test_a_slash_command_envelope_is_acked_with_the_answer(slack_standin: SlackStandIn, tmp_path: Path) -> None:
    with run_bot(slack=slack_standin, data_dir=tmp_path, mode=Mode.SOCKET) as bot:
        assert bot.runtime.slack_events is None  # no /slack/events in Socket Mode
        await slack_standin.socket.wait_connected(timeout=10)
        response_url = slack_standin.new_response_url(channel=Actor().channel_id, user=Actor().user_id)
        envelope_id = await slack_standin.socket.send(
            envelope_type="slash_commands", payload=slash_payload("help branch", response_url)
        )
        ack = await slack_standin.socket.wait_ack(envelope_id, timeout=5)
        assert ack["envelope_id"] == envelope_id
        answer = ack["payload"]
        assert answer["response_type"] == "ephemeral"
        assert "branch create" in answer["text"] + str(answer.get("blocks"))

        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{bot.base_url}/healthz")).status_code == 200
            assert (await http.get(f"{bot.base_url}/readyz")).status_code == 200
            # Slack never reaches this bot over HTTP in Socket Mode.
            assert (await http.post(f"{bot.base_url}/slack/events", content=b"x")).status_code in (404, 405)


async def test_envelopes_from_another_workspace_are_acked_and_ignored_when_slack_team_id_is_set(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    """SLACK_TEAM_ID pins the workspace in Socket Mode as it does over HTTP (where the answer is a 401)."""
    with run_bot(slack=slack_standin, data_dir=tmp_path, mode=Mode.SOCKET, slack_team_id=Actor().team_id):
        await slack_standin.socket.wait_connected(timeout=10)
        response_url = slack_standin.new_response_url(channel=Actor().channel_id, user=Actor().user_id)
        foreign = {**slash_payload("help branch", response_url), "team_id": "T0ELSEWHERE"}
        ignored = await slack_standin.socket.send(envelope_type="slash_commands", payload=foreign)
        assert await slack_standin.socket.wait_ack(ignored, timeout=5) == {"envelope_id": ignored}
        pinned = await slack_standin.socket.send(
            envelope_type="slash_commands", payload=slash_payload("help branch", response_url)
        )
        assert "branch create" in str((await slack_standin.socket.wait_ack(pinned, timeout=5))["payload"])
        assert len(slack_standin.response_posts) == 0


async def test_an_envelope_the_bot_cannot_read_is_acked_and_runs_nothing(
    slack_standin: SlackStandIn, tmp_path: Path
) -> None:
    """The payload check of /slack/events applies to Socket Mode envelopes too: a malformed one is acked (Slack
    would send it again otherwise), nothing runs, and the connection goes on serving."""
    with run_bot(slack=slack_standin, data_dir=tmp_path, mode=Mode.SOCKET):
        await slack_standin.socket.wait_connected(timeout=10)
        response_url = slack_standin.new_response_url(channel=Actor().channel_id, user=Actor().user_id)
        malformed = [
            ("slash_commands", {**slash_payload("help branch", response_url), "user_id": ["U1"]}),
            ("interactive", {"type": "block_actions", "user": "U1", "actions": "x"}),
            ("events_api", {"type": "event_callback", "team_id": Actor().team_id, "event": 0}),
        ]
        for envelope_type, payload in malformed:
            envelope_id = await slack_standin.socket.send(envelope_type=envelope_type, payload=payload)
            assert await slack_standin.socket.wait_ack(envelope_id, timeout=5) == {"envelope_id": envelope_id}
        readable = await slack_standin.socket.send(
            envelope_type="slash_commands", payload=slash_payload("help branch", response_url)
        )
        assert "branch create" in str((await slack_standin.socket.wait_ack(readable, timeout=5))["payload"])
        assert len(slack_standin.response_posts) == 0
        assert {call.method for call in slack_standin.calls.snapshot()} <= {"auth.test", "apps.connections.open"}
