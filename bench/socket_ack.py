"""Socket Mode: how long from Slack sending an envelope to the bot's ack arriving back? Prints percentiles.

    .venv/bin/python -m bench.socket_ack [--envelopes 500] [--text help]

The bot runs in Socket Mode as in production (build_runtime + create_web_app under uvicorn) connected to the Slack
stand-in's WebSocket, and each envelope is a `/pscale help` slash command, answered in the ack's payload. The time
runs from handing the envelope to the stand-in until its ack is recorded there, so it includes two hops between this
program's threads (the stand-in's server and the bot's): an upper bound of the bot's own envelope-to-ack time.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.acks import print_percentiles
from bot.config import Mode
from bot.sandbox.slack import SlackStandIn
from tests.support.bot import run_bot
from tests.support.slack import Actor, serve_slack_standin, slash_payload

ALICE = Actor()


async def time_envelopes(slack: SlackStandIn, *, text: str, count: int) -> tuple[list[float], int]:
    """Milliseconds from sending each envelope to its ack, sorted, and how many acks carried an answer."""
    await slack.socket.wait_connected(timeout=10)
    response_url = slack.new_response_url(channel=ALICE.channel_id, user=ALICE.user_id)
    samples = []
    answered = 0
    for _ in range(count):
        started = time.perf_counter()
        envelope_id = await slack.socket.send(envelope_type="slash_commands", payload=slash_payload(text, response_url))
        ack = await slack.socket.wait_ack(envelope_id, timeout=5)
        samples.append((time.perf_counter() - started) * 1000)
        answered += bool(ack.get("payload"))
    return sorted(samples), answered


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envelopes", type=int, default=500)
    parser.add_argument("--text", default="help")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, serve_slack_standin(audited=False) as slack, run_bot(
        slack=slack, data_dir=Path(data), mode=Mode.SOCKET
    ):
        asyncio.run(time_envelopes(slack, text=args.text, count=20))  # warm up
        samples, answered = asyncio.run(time_envelopes(slack, text=args.text, count=args.envelopes))
    print_percentiles(f"Socket Mode /pscale {args.text}: {len(samples)} envelopes one after another, envelope to ack "
                      f"(target: p50 ≤ 2 ms); {answered} acks carried the answer", samples)


if __name__ == "__main__":
    main()
