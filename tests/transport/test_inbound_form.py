"""`parse_form` (bot/slack/inbound.py) reads a slash command's form exactly as bolt's `parse_body` does: bolt's
listeners get what the bot parsed, so any difference would be a field a listener reads differently from bolt."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request.internals import parse_body

from bot.slack.inbound import parse_form
from tests.support.slack import Actor, slash_command

FORM = "application/x-www-form-urlencoded"
# The characters that mean something in a form, often, among any others.
_form_text = st.text(alphabet=st.sampled_from("&=+%25aZ\u00e9\u20ac;") | st.characters(), max_size=80)


@given(_form_text)
def test_any_text_without_a_payload_field_parses_as_bolt_parses_it(text: str) -> None:
    if text.startswith("{") or "payload" in text:  # bolt's other two cases, which the bot leaves to parse_body
        return
    assert parse_form(text) == parse_body(text, FORM)


# Names drawn from a few, so that some come twice (bolt keeps the last value).
@given(st.lists(st.tuples(st.sampled_from(["", "text", "a b", "%", "é"]) | st.text(max_size=12), st.text(max_size=20)),
                max_size=8))
def test_any_fields_written_out_as_a_form_parse_as_bolt_parses_them(fields: list[tuple[str, str]]) -> None:
    text = urlencode(fields)
    if text.startswith("{") or "payload" in text:
        return
    assert parse_form(text) == parse_body(text, FORM)


def test_a_slash_command_as_slack_sends_it() -> None:
    signed = slash_command(signing_secret="s", text="branch list shop --page 2 % + &x", response_url="https://x/y",
                           actor=Actor())
    text = signed.body.decode()
    assert parse_form(text) == parse_body(text, FORM)
    assert parse_form(text)["text"] == "branch list shop --page 2 % + &x"
