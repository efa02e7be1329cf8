"""Replies for failures: plain words, what happened, whether anything changed, what to do. Never a traceback."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Literal

from bot.planetscale import (
    AccessUnavailable,
    ConnectionFailed,
    Forbidden,
    NotFound,
    PlanetScaleError,
    RateLimited,
    ServerError,
    Timeout,
    Unauthorized,
    Unprocessable,
)
from bot.planetscale.pacing import PLANETSCALE_REQUESTS_PER_MINUTE
from bot.render.message import Message

# Which OAuth scope a path needs to be *read*; PlanetScale answers 404 when it is missing
# (docs/reference/planetscale-api.md §3).
_READ_SCOPE_BY_SEGMENT = (
    ("passwords", "organization:manage_passwords"),
    ("deploy-requests", "organization:read_deploy_requests"),
    ("deploy-queue", "organization:read_deploy_requests"),
    ("branches", "organization:read_branches"),
    ("webhooks", "organization:read_databases"),
    ("databases", "organization:read_databases"),
    ("organizations", "user:read_organizations"),
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# What the person did that a reply answers, in its words ("that click"): a slash command, a click on a button, or a
# form they submitted.
Asked = Literal["command", "click", "form"]


def unexpected_error(reference: str, *, asked: Asked) -> Message:
    return Message(
        text=(
            f":warning: Something went wrong on our side while handling that {asked}, and it may not have finished. "
            f"Check its result before trying again. (Reference: `{reference}`; give it to whoever runs this bot.)"
        )
    )


def action_failed(reference: str) -> Message:
    """For a click, a form or a command that failed before anything was started on its behalf."""
    return Message(
        text=(
            ":warning: That did not work: something went wrong on our side. Try again in a moment. "
            f"(Reference: `{reference}`; give it to whoever runs this bot.)"
        )
    )


def too_slow(seconds: int) -> Message:
    return Message(
        text=(
            f":hourglass: That took longer than {seconds} seconds, so I stopped waiting. If it changed something, "
            "it may still have happened: check with a `show` or `list` command before trying again."
        )
    )


# Most specific first; the path placeholder each value fills, where it differs from the value's name.
_TARGETS = (("number", "number"), ("password_id", "id"), ("branch", "branch"), ("database", "database"))


def describe_target(values: Mapping[str, object], *, path_template: str | None = None) -> str:
    """The most specific thing `values` name — "deploy request #7 of `shop`", "branch `dev` of `shop`" — restricted,
    when a failed call's `path_template` is given, to what that path addresses."""
    in_path = set(_PLACEHOLDER.findall(path_template)) if path_template is not None else None
    database = values.get("database")
    of_database = f" of `{database}`" if database else ""
    for name, placeholder in _TARGETS:
        value = values.get(name)
        if value in (None, "") or (in_path is not None and placeholder not in in_path):
            continue
        if name == "number":
            return f"deploy request #{value}{of_database}"
        if name == "password_id":
            return f"password `{value}`{of_database}"
        if name == "branch":
            return f"branch `{value}`{of_database}"
        return f"database `{value}`"
    organization = values.get("organization")
    if organization and (in_path is None or "organization" in in_path):
        return f"organization `{organization}`"
    return "what you asked for"


def _scope_for(path_template: str) -> str | None:
    segments = path_template.split("/")
    for segment, scope in _READ_SCOPE_BY_SEGMENT:
        if segment in segments:
            return scope
    return None


def _changed_note(error: PlanetScaleError) -> str:
    if error.method == "GET":
        return "Nothing was changed."
    if isinstance(error, Timeout | ConnectionFailed) and not error.request_sent:
        return "The request never reached PlanetScale, so nothing was changed."
    if isinstance(error, Timeout | ConnectionFailed | ServerError):
        return "It may or may not have happened: check with a `show` or `list` command before trying again."
    return "Nothing was changed."


def _quoted(sentence: str) -> str:
    """A sentence in quotes, ending the way prose does: “Done.” rather than “Done.”."""
    sentence = sentence.strip()
    return f"“{sentence}”" if sentence.endswith((".", "!", "?")) else f"“{sentence}”."


def planetscale_failure(error: PlanetScaleError, *, values: Mapping[str, object]) -> Message:
    """The reply for a PlanetScale call that failed; `values` are the command's arguments plus `organization`."""
    target = describe_target(values, path_template=error.path)
    changed = _changed_note(error)
    said = f" PlanetScale said: {_quoted(error.message)}" if error.message else ""
    if isinstance(error, NotFound):
        scope = _scope_for(error.path)
        scope_note = (
            f" If it exists, your link may lack the `{scope}` scope: `/pscale login` links again." if scope else ""
        )
        text = f":mag: PlanetScale found no {target}, or your PlanetScale account cannot see it.{scope_note}"
    elif isinstance(error, Forbidden):
        text = f":no_entry: PlanetScale did not allow that for {target}.{said} Your role may not permit it. {changed}"
    elif isinstance(error, Unprocessable):
        text = f":no_entry: PlanetScale refused.{said} {changed}"
    elif isinstance(error, RateLimited):
        wait = f"{math.ceil(error.retry_after)} s" if error.retry_after else "a minute"
        text = f":traffic_light: PlanetScale is rate-limiting requests; try again in {wait}. {changed}"
    elif isinstance(error, Unauthorized):
        text = ":key: PlanetScale no longer accepts your link. Run `/pscale login` to link your account again."
    elif isinstance(error, Timeout):
        text = f":hourglass: PlanetScale did not answer in time. {changed}"
    elif isinstance(error, ConnectionFailed):
        text = f":electric_plug: Could not reach PlanetScale. {changed}"
    elif isinstance(error, AccessUnavailable):
        text = f":hourglass: {error.message} {changed}"
    elif isinstance(error, ServerError):
        text = f":warning: PlanetScale had an internal error ({error.status}). {changed}"
    else:
        text = f":warning: PlanetScale gave an answer the bot could not use.{said} {changed}"
    return Message(text=text.strip())


def planetscale_backlog(seconds: float) -> Message:
    """The ack for a command that could not be sent in time: the asker's earlier requests still wait their turn
    under the bot's pacing of PlanetScale's rate limit (bot/planetscale/pacing.py)."""
    return _backlog(math.ceil(seconds))


# Drawn once per whole second of waiting: a flood of commands is answered with this message thousands of times a
# second, and a `Message` encodes its JSON once (`response_json`). The waits a flood produces span a few minutes.
@lru_cache(maxsize=256)
def _backlog(seconds: int) -> Message:
    return Message(
        text=f":traffic_light: Your earlier commands are still waiting their turn at PlanetScale (the bot keeps "
        f"everyone within PlanetScale's {PLANETSCALE_REQUESTS_PER_MINUTE} requests a minute), so this one could not "
        f"be sent in time. Nothing was done; try again in about {seconds} s."
    )


# Slack's refusals that the person can do something about: (what happened, what to do), `{retry}` being how to go
# on afterwards ("try again", or the command that finishes the job). Slack's codes: each method's page, e.g.
# https://api.slack.com/methods/chat.postMessage#errors, https://api.slack.com/methods/views.open#errors.
_TOO_LONG = (
    "Slack refused my message as too long",
    "Ask for less at once (one deploy request, a narrower list), then {retry}",
)
_TRIGGER = ("the form could not open in time: Slack allows 3 seconds for that", "Please {retry}")
_SLACK_REFUSALS: dict[str, tuple[str, str]] = {
    "not_in_channel": (
        "I'm not in this channel, so I can't post in it", "Invite me with `/invite @pscale`, then {retry}"
    ),
    "channel_not_found": (
        "I can't post here: this is a private channel I'm not in, or a direct message between people",
        "In a private channel, invite me with `/invite @pscale`, then {retry}; from a direct message, use a channel",
    ),
    "missing_scope": (
        "Slack did not allow that: this app lacks the `{needed}` scope",
        "Ask a Slack admin to add `{needed}` to the app's bot scopes and reinstall the app (`pscale-bot check` names "
        "every scope it lacks), then {retry}",
    ),
    "ratelimited": ("Slack is limiting how fast I may do that right now", "Wait a minute, then {retry}"),
    "msg_too_long": _TOO_LONG,
    "msg_blocks_too_long": _TOO_LONG,
    "invalid_blocks": _TOO_LONG,
    "expired_trigger_id": _TRIGGER,
    "exchanged_trigger_id": _TRIGGER,
    "trigger_expired": _TRIGGER,
    "trigger_exchanged": _TRIGGER,
}


def slack_refusal(code: str, *, method: str, needed: str | None = None, retry: str = "try again") -> str:
    """Why Slack refused what a command needed, and what to do: sentences to reply with or to build on."""
    known = _SLACK_REFUSALS.get(code)
    if known is None:
        return f"Slack refused `{method}` ({code}). Please {retry}; if it keeps happening, tell whoever runs this bot."
    happened, todo = known
    scope = needed or "needed"
    return f"{happened.format(needed=scope)}. {todo.format(needed=scope, retry=retry)}."


def slack_not_reached(*, retry: str) -> str:
    """Why a post a command made is not in the channel when Slack's Web API could not be reached at all (no
    connection was made, so Slack certainly posted nothing and posting again makes no second one), and what to do:
    `retry` is how to go on, as for `slack_refusal`."""
    return f"Slack could not be reached, so nothing was posted. Give it a moment, then {retry}."


def notice_unconfirmed(reply: Message) -> Message:
    """`reply`, adding that Slack did not confirm the notice the command posted in the channel (no answer in time, or
    the connection broke after it was sent): it may or may not be there."""
    return replace(
        reply, text=f"{reply.text} Slack did not confirm that it posted the notice in this channel, so it may not be "
        "there."
    )


def slack_unreachable() -> Message:
    """For a command or click whose work needed Slack's Web API when it could not be reached at all: the call never
    left, so Slack did nothing with it. Work that had changed something before says so itself (`dr create`) or undoes
    it (`watch`), so this reply never hides a change."""
    return Message(
        text=":electric_plug: Slack could not be reached, so that was not done. Give it a moment, then try again."
    )


def slack_unconfirmed() -> Message:
    """For a command or click whose Slack call was sent but never answered (the connection broke after it): Slack may
    have carried it out, so it is told as neither done nor failed."""
    return Message(
        text=":grey_question: Slack did not confirm that it did that, so it may or may not have happened. Check "
        "before trying again."
    )


def slack_refused(code: str, *, method: str, needed: str | None = None) -> Message:
    return Message(text=f":no_entry: {slack_refusal(code, method=method, needed=needed)}")
