"""How fast does the bot ack a slash command? Prints client-observed round-trip percentiles.

    .venv/bin/python -m bench.ack_latency [--requests 500]

The bot runs exactly as in production (build_runtime + create_web_app under uvicorn) against the Slack stand-in,
and each request is a correctly signed `/pscale help`, answered in the ack. The figure includes the loopback HTTP
round trip, signature verification, parsing and rendering the help message. Client and bot share one process (the
bot on a server thread), so the figures are upper bounds of what a separate bot process answers.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import httpx

from bench.acks import print_percentiles, time_acks
from bot.sandbox.slack.payloads import Actor
from tests.support.bot import SIGNING_SECRET, run_bot
from tests.support.slack import SignedRequest, serve_slack_standin, slash_command


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--text", default="help")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, serve_slack_standin() as slack, run_bot(
        slack=slack, data_dir=Path(data)
    ) as bot, httpx.Client() as http:
        url = f"{bot.base_url}/slack/events"
        response_url = slack.new_response_url(channel=Actor().channel_id, user=Actor().user_id)

        def command() -> SignedRequest:
            return slash_command(signing_secret=SIGNING_SECRET, text=args.text, response_url=response_url)

        time_acks(http, url, command, count=20)  # warm up connections and code paths
        samples = time_acks(http, url, command, count=args.requests)
    print_percentiles(
        f"/pscale {args.text}: {len(samples)} sequential signed requests, ack round trip over loopback HTTP", samples
    )


if __name__ == "__main__":
    main()
