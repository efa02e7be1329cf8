"""Any PlanetScale failure becomes a plain reply: hypothesis throws the whole error tree at the renderer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.planetscale import AccessUnavailable, ConnectionFailed, NotLinked, PlanetScaleError, Timeout
from bot.planetscale.errors import error_for_status
from bot.render.errors import planetscale_failure, slack_refusal, slack_refused
from bot.sandbox.planetscale import paths

TEMPLATES = [value for name, value in vars(paths).items() if name.isupper() and isinstance(value, str)]
VALUES = st.dictionaries(
    st.sampled_from(["database", "branch", "number", "password_id", "organization", "name", "approve"]),
    st.one_of(st.text(max_size=30), st.integers(), st.booleans()),
    max_size=5,
)


@st.composite
def errors(draw: st.DrawFn) -> PlanetScaleError:
    method = draw(st.sampled_from(["GET", "POST", "PATCH", "DELETE"]))
    path = draw(st.sampled_from(TEMPLATES))
    message = draw(st.text(max_size=200))
    kind = draw(st.sampled_from(["status", "timeout", "connection", "not linked", "no token"]))
    if kind == "not linked":
        return NotLinked(message, method=method, path=path)
    if kind == "no token":
        return AccessUnavailable(message, method=method, path=path)
    if kind == "timeout":
        return Timeout(message, method=method, path=path, request_sent=draw(st.booleans()))
    if kind == "connection":
        return ConnectionFailed(message, method=method, path=path, request_sent=draw(st.booleans()))
    status = draw(st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]))
    error_class = error_for_status(status)
    return error_class(
        message, method=method, path=path, status=status, code=draw(st.none() | st.text(max_size=20)),
        retry_after=draw(st.none() | st.floats(min_value=0, max_value=3600)),
    )


@given(error=errors(), values=VALUES)
def test_every_failure_gets_a_plain_reply(error: PlanetScaleError, values: dict[str, object]) -> None:
    reply = planetscale_failure(error, values=values)
    assert reply.text.strip()
    assert "Traceback" not in reply.text
    assert reply.visibility == "ephemeral"
    if error.method == "GET":
        assert "Nothing was changed" in reply.text or "no longer accepts" in reply.text or "found no" in reply.text


def test_no_token_just_now_says_why_and_that_nothing_happened() -> None:
    error = AccessUnavailable(
        "PlanetScale could not refresh your access just now. Try again in a moment.", method="POST", path="/x"
    )
    reply = planetscale_failure(error, values={})
    assert reply.text == (
        ":hourglass: PlanetScale could not refresh your access just now. Try again in a moment. Nothing was changed."
    )


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("not_in_channel", "/invite @pscale"),
        ("channel_not_found", "/invite @pscale"),
        ("missing_scope", "add `chat:write` to the app's bot scopes and reinstall"),
        ("ratelimited", "Wait a minute"),
        ("msg_too_long", "Ask for less"),
        ("msg_blocks_too_long", "Ask for less"),
        ("expired_trigger_id", "3 seconds"),
        ("exchanged_trigger_id", "3 seconds"),
        ("account_inactive", "tell whoever runs this bot"),
    ],
)
def test_each_slack_refusal_says_what_to_do(code: str, says: str) -> None:
    reply = slack_refused(code, method="chat.postMessage", needed="chat:write").text
    assert says in reply
    assert "try again" in reply
    assert "went wrong" not in reply.lower()
    finished = slack_refusal(code, method="chat.postMessage", retry="`/pscale dr post shop 7` posts its card")
    assert "`/pscale dr post shop 7` posts its card" in finished


def test_planetscale_s_own_sentence_is_quoted_with_one_full_stop() -> None:
    refused = error_for_status(422)(
        "Deploy request #1 is closed.", method="POST", path=paths.DEPLOY, status=422, code=None, retry_after=None
    )
    text = planetscale_failure(refused, values={"organization": "acme", "database": "shop", "number": 1}).text
    assert "PlanetScale said: “Deploy request #1 is closed.” " in text
    assert ".”." not in text
    unfinished = error_for_status(422)("no", method="POST", path=paths.DEPLOY, status=422, code=None, retry_after=None)
    assert "PlanetScale said: “no”. " in planetscale_failure(unfinished, values={}).text
