"""A PlanetScale 429 holds back the person whose request got it, for a minute at most, and tells them when to try
again; everyone else carries on (the issue: one `Retry-After: 3600` on Alice's read paused every user for an hour)."""

from __future__ import annotations

import asyncio
import time

import httpx

from bot.planetscale.pacing import DEFAULT_BURST, MAX_PAUSE_SECONDS, PLANETSCALE_REQUESTS_PER_MINUTE
from bot.sandbox.planetscale import paths
from tests.support.bot import SIGNING_SECRET, RunningBot
from tests.support.replies import everything, planetscale_calls, reply
from tests.support.slack import BOB_ACTOR, Actor, slash_command


async def test_an_hour_long_retry_after_holds_back_only_its_user_and_for_a_minute_at_most(
    demo_bot: RunningBot,
) -> None:
    assert demo_bot.planetscale is not None
    demo_bot.planetscale.world.faults.rate_limit(method="GET", path=paths.BRANCHES, retry_after=3600, times=1)
    told = everything(await reply(demo_bot, "branch list shop --org acme"))
    assert f"try again in {MAX_PAUSE_SECONDS:.0f} s" in told, told
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop --org acme", actor=BOB_ACTOR))

    sent = planetscale_calls(demo_bot, "GET", paths.BRANCHES)
    again = everything(await reply(demo_bot, "branch list shop --org acme"))
    assert "rate-limiting requests; try again in" in again, again
    assert planetscale_calls(demo_bot, "GET", paths.BRANCHES) == sent  # Alice's pause runs: nothing was sent


async def test_commands_sent_faster_than_planetscale_lets_through_are_answered_at_once(demo_bot: RunningBot) -> None:
    """Someone (or a script) sending commands faster than PlanetScale's 600 requests a minute: once their queue is
    longer than a command may wait, the next is refused in its ack, not 10 s later, and sends nothing; others are
    served in their turn meanwhile."""
    budget = demo_bot.runtime.planetscale.retry.budget
    acks = []
    for _ in range(300):
        ack = demo_bot.command("branch list shop --org acme")
        assert ack.status_code == 200
        acks.append(ack.json() if ack.content else None)
        if acks[-1] is not None:
            break
    refused = acks[-1]
    assert refused is not None, "300 commands at once, and none was refused"
    assert "still waiting their turn at PlanetScale" in refused["text"], refused
    assert refused["response_type"] == "ephemeral"
    # Not refused early: it came after the burst and a queue of about `budget` seconds at the pacer's rate.
    assert len(acks) > DEFAULT_BURST + budget * (PLANETSCALE_REQUESTS_PER_MINUTE - DEFAULT_BURST) / 60
    assert demo_bot.metric("pscale_bot_commands_total", command="branch list", outcome="backlogged") == 1
    # Bob, whose requests do not queue, is served in his turn.
    assert "Branches of acme/shop" in everything(await reply(demo_bot, "branch list shop --org acme", actor=BOB_ACTOR,
                                                             timeout=5))


async def test_a_burst_of_commands_at_once_lets_through_only_what_can_be_sent_in_time(demo_bot: RunningBot) -> None:
    """Commands arriving together (a script, many connections at once): the acks of a burst all come before the first
    of their follow-ups runs, so before the pacer has seen any of them. Those already accepted count all the same:
    the ones that could not be sent in time are answered at once, not let through to wait out their 10 s and be
    told so then."""
    assert demo_bot.loop is not None
    budget = demo_bot.runtime.planetscale.retry.budget
    rate = PLANETSCALE_REQUESTS_PER_MINUTE / 60
    burst = 300
    response_url = demo_bot.slack.new_response_url(channel=Actor().channel_id, user=Actor().user_id)
    signed = slash_command(signing_secret=SIGNING_SECRET, text="branch list shop --org acme",
                           response_url=response_url, actor=Actor())
    started = time.monotonic()
    # The bot's loop is held while the burst is sent: the requests wait in the sockets, as a flood's do when the
    # loop is busy, and are read together once it is free.
    demo_bot.loop.call_soon_threadsafe(time.sleep, 1.5)
    limits = httpx.Limits(max_connections=burst)
    async with httpx.AsyncClient(base_url=demo_bot.base_url, limits=limits, timeout=30) as client:
        acks = await asyncio.gather(*(
            client.post("/slack/events", content=signed.body, headers=signed.headers) for _ in range(burst)
        ))
    # What could be sent within its 10 s: the burst allowance, then a turn every 1/rate s while the acks came in and
    # for the budget after them.
    sendable = DEFAULT_BURST + rate * (time.monotonic() - started + budget)
    assert all(ack.status_code == 200 for ack in acks)
    backlogged = sum(1 for ack in acks if ack.content and "still waiting their turn" in ack.json()["text"])
    let_through = burst - backlogged
    # Not refused early either: about a budget's worth of turns (the estimate leaves the burst allowance to whoever
    # takes it first, so it errs a little low).
    assert 0.9 * budget * rate <= let_through <= sendable, (let_through, sendable)
