"""The `/pscale` listener: ack within milliseconds, then run the follow-up and deliver its reply."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_bolt.response import BoltResponse

from bot.commands.dispatch import CommandDispatcher, CommandRequest, FollowUp
from bot.config import FINAL_REPLY_SECONDS
from bot.metrics import Metrics
from bot.ports import SLACK_MAY_HAVE_ACTED, SlackNotReached, SlackRefused, unconfirmed
from bot.render.errors import (
    Asked,
    slack_refused,
    slack_unconfirmed,
    slack_unreachable,
    too_slow,
    unexpected_error,
)
from bot.render.message import Message
from bot.slack.replies import Deliver, ResponseUrlReplies
from bot.slack.sender import sender
from bot.tasks import TaskTracker

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json;charset=utf-8"  # what bolt's ack() declares for a JSON body


def register_commands(
    app: AsyncApp, *, dispatcher: CommandDispatcher, replies: ResponseUrlReplies, tasks: TaskTracker, metrics: Metrics
) -> None:
    @app.command("/pscale")
    async def pscale(command: dict[str, Any], respond: AsyncRespond) -> BoltResponse:
        team_id, user_id = sender(command)
        request = CommandRequest(
            team_id=team_id,
            user_id=user_id,
            channel_id=str(command.get("channel_id", "")),
            text=str(command.get("text", "")),
            trigger_id=command.get("trigger_id"),
        )
        accepted = await dispatcher.accept(request)
        metrics.count_command(accepted.command, accepted.outcome)
        if accepted.followup is not None:
            tasks.spawn(run_followup(accepted.followup, replies.to(respond.response_url), asked="command"),
                        name=f"command {accepted.command}")
        return ack_response(accepted.ack)


def ack_response(message: Message | None) -> BoltResponse:
    """The ack as bolt sends a listener's returned response: the message's JSON as encoded once (`ack(**body)`
    would rebuild and re-encode it on every request), or an empty 200."""
    if message is None:
        return BoltResponse(status=200)
    return BoltResponse(status=200, body=message.response_json, headers={"content-type": JSON_CONTENT_TYPE})


async def run_followup(followup: FollowUp, deliver: Deliver, *, asked: Asked) -> None:
    """Run slow work after the ack and deliver its reply; a failure or the deadline still gets a plain reply, which
    names what the person did (`asked`)."""
    deadline = asyncio.timeout(FINAL_REPLY_SECONDS)
    try:
        async with deadline:
            message = await followup()
    except SLACK_MAY_HAVE_ACTED as failure:
        if deadline.expired():
            message = too_slow(FINAL_REPLY_SECONDS)
        else:
            # Not the reply's deadline but a Slack call's: sent, and then no answer in time (the Slack port lets that
            # end as TimeoutError; PlanetScale's calls end as their own `Timeout`) or the connection broke. Slack may
            # have done it all the same (the modal may be open), so it is told as unconfirmed: neither "failed", nor
            # too slow, nor a fault of ours.
            log.warning("follow-up stopped: %s", unconfirmed(failure))
            message = slack_unconfirmed()
    except SlackRefused as refused:
        # Slack said no to something the work needed (an expired trigger id, a rate limit): the person is told why
        # in plain words. Not a fault of ours, so no traceback.
        log.info("follow-up stopped: Slack %s refused: %s", refused.method, refused.code)
        message = slack_refused(refused.code, method=refused.method, needed=refused.needed)
    except SlackNotReached as unreached:
        # Slack's Web API was out of reach (a click's modal, say): the call never left, so nothing happened there.
        log.warning("follow-up stopped: %s", unreached)
        message = slack_unreachable()
    except Exception:
        reference = secrets.token_hex(4)
        log.exception("%s follow-up failed (reference %s)", asked, reference)
        message = unexpected_error(reference, asked=asked)
    if message is not None:
        await deliver(message)
