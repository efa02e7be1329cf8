"""Property tests: whatever arrives, `parse` answers, and every answer renders as a valid Slack message."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.catalog import CATALOG, FlagKind, ParamKind
from bot.commands.grammar import Invocation, ParseFailure, default_database_could_apply, parse
from bot.commands.help import help_view, usage_view
from bot.render.help import render_help, render_usage_error
from tests.support.replies import assert_valid_slack_message

# Words that steer the parser deep into its branches, mixed with arbitrary text.
_VOCABULARY = sorted(
    {word for spec in CATALOG for word in spec.words}
    | {"dr", "db", "ls", "rm", "help", "-h", "--help", "?"}
    | {flag.spelling for spec in CATALOG for flag in spec.all_flags}
    | {f"{flag.spelling}=" for spec in CATALOG for flag in spec.all_flags}
    | {"app", "main", "feat", "42", "#7", "0", "-1", "30m", "7d", "09:00", "Europe/Paris", "reader", "open"}
    | {'"', "'", "“", "”", "‘", "’", "—", "–", "&amp;", "&lt;", "&gt;", "<@U1|bob>", "<#C1|x>", "<!here>"}
    | {"<https://x.io|x.io>", "\u00a0", "`", "a b", "--", "-", "=", "/"}
)
_WORDS = st.one_of(st.sampled_from(_VOCABULARY), st.text(max_size=12))
_SEPARATORS = st.sampled_from([" ", "  ", "\t", "\u00a0", "", "\n"])
_COMMAND_TEXT = st.lists(st.tuples(_WORDS, _SEPARATORS), max_size=10).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)
_AWKWARD_VALUES = (
    *("app", "#7", "42", "0", "99999999999", "30m", "1h30m", "0s", "7d", "09:00", "24:00", "99:99", "7:5"),
    *("UTC", "europe/paris", "Nowhere/City", "../x", "reader", "OWNER", "open", '"a b"', "'", "", "a1b2c3"),
    "x" * 70,
)
_VALUES = st.sampled_from(_AWKWARD_VALUES)


@st.composite
def _directed_text(draw: st.DrawFn) -> str:
    """A real command's words followed by its own flags with plausible or broken values, in any order."""
    spec = draw(st.sampled_from(list(CATALOG)))
    value = st.one_of(_VALUES, st.text(max_size=6))
    spellings = [flag.spelling for flag in spec.all_flags] or ["--x"]
    flag_with_value = st.tuples(st.sampled_from(spellings), st.sampled_from([" ", "="]), value).map("".join)
    tokens = draw(st.lists(st.one_of(value, st.sampled_from(spellings), flag_with_value), max_size=6))
    return " ".join([*spec.words, *tokens])


_TEXT = st.one_of(st.text(), _COMMAND_TEXT)
_DEFAULT = st.one_of(st.none(), st.sampled_from(["app", "other-db"]))
_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(text=_TEXT, default_database=_DEFAULT)
def test_parse_always_answers_and_failures_carry_usage(text: str, default_database: str | None) -> None:
    check_answer(parse(text, default_database=default_database))


@settings(max_examples=500, deadline=None)
@given(text=_directed_text(), default_database=_DEFAULT)
def test_parse_of_real_commands_with_any_arguments_answers(text: str, default_database: str | None) -> None:
    check_answer(parse(text, default_database=default_database))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_TEXT, _directed_text()), default_database=st.one_of(_VALUES, st.text(max_size=12)))
def test_the_default_database_is_needed_only_where_it_could_apply(text: str, default_database: str) -> None:
    """The dispatcher reads the channel's default only when `default_database_could_apply` says so: anywhere else,
    parsing with any default must give exactly what parsing with none gave."""
    without = parse(text)
    if not default_database_could_apply(without):
        assert parse(text, default_database=default_database) == without


_VALID_ARGUMENT = {
    ParamKind.DATABASE: "app",
    ParamKind.BRANCH: "main",
    ParamKind.ORG: "acme",
    ParamKind.NUMBER: "42",
    ParamKind.NUMBER_OR_BRANCH: "42",
    ParamKind.CREDENTIAL_NAME: "ci",
    ParamKind.CREDENTIAL_ID: "a1b2c3",
    ParamKind.ON_OR_OFF: "on",
    ParamKind.NOTIFICATION_TOPIC: "reviews",
}


def test_every_flag_and_argument_with_every_awkward_value_answers() -> None:
    """Deterministic sweep: each command, each flag (`--f v` and `--f=v`) and each argument slot, each value."""
    values = [*_AWKWARD_VALUES, "—", "&amp;", "<!here>", "12:00", "-5", "#0", "1d1h", "Etc/GMT+5"]
    for spec in CATALOG:
        arguments = [_VALID_ARGUMENT[param.kind] for param in spec.params]
        words = " ".join(spec.words)
        for flag in spec.all_flags:
            for value in values:
                for joiner in (" ", "="):
                    check_answer(parse(f"{words} {' '.join(arguments)} {flag.spelling}{joiner}{_quoted(value)}"))
        for slot in range(len(arguments)):
            for value in values:
                replaced = [*arguments[:slot], _quoted(value), *arguments[slot + 1 :]]
                check_answer(parse(f"{words} {' '.join(replaced)}", default_database="app"))


def _quoted(value: str) -> str:
    return f'"{value}"' if not value or " " in value else value


def check_answer(parsed: Invocation | ParseFailure) -> None:
    assert isinstance(parsed, Invocation | ParseFailure)
    if isinstance(parsed, ParseFailure):
        assert parsed.problem.strip()
        assert parsed.usage or parsed.command is None
        assert all(line.startswith("Usage: /pscale") for line in parsed.usage)
        message = render_usage_error(usage_view(parsed))
        assert_valid_slack_message(message)
        assert all(line in message.text.splitlines() for line in parsed.usage)
        assert "`/pscale help" in str(message.blocks)
    else:
        assert_invocation_is_consistent(parsed)


def assert_invocation_is_consistent(parsed: Invocation) -> None:
    """Every value has the type its accessor promises, and nothing is stored under an undeclared name."""
    spec = parsed.spec
    declared = {param.name for param in spec.params} | {flag.name for flag in spec.all_flags}
    assert set(parsed.values) <= declared
    if parsed.key == "help":
        assert_valid_slack_message(render_help(help_view(parsed.topic)))
        return
    for param in spec.params:
        if param.kind is ParamKind.NUMBER:
            assert parsed.number(param.name) > 0
        elif param.kind is ParamKind.NUMBER_OR_BRANCH:
            assert parsed.number_or_branch(param.name)
        elif param.optional or parsed.wants_modal:
            parsed.optional_text(param.name)
        else:
            assert parsed.text(param.name)
    for flag in spec.all_flags:
        if flag.kind is FlagKind.SWITCH:
            parsed.flag(flag.name)
        elif flag.kind is FlagKind.DURATION:
            duration = parsed.duration(flag.name)
            assert duration is None or duration > 0
        elif flag.kind is FlagKind.TIME_OF_DAY:
            parsed.time_of_day(flag.name)
        elif flag.kind is FlagKind.PAGE:
            assert parsed.page(flag.name) >= 1
        else:
            parsed.option(flag.name)


@_SETTINGS
@given(
    topic=st.lists(
        st.one_of(
            st.sampled_from(sorted({word for spec in CATALOG for word in spec.words} | {"dr", "db", "ls"})), st.text()
        ),
        max_size=3,
    )
)
def test_help_for_any_topic_renders(topic: list[str]) -> None:
    assert_valid_slack_message(render_help(help_view(topic)))


@_SETTINGS
@given(name=st.text(alphabet=string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=64))
def test_plausible_names_are_accepted(name: str) -> None:
    parsed = parse(f"branch list {name}")
    if name.startswith("-") or name[0] == ".":
        return
    assert isinstance(parsed, Invocation), parsed
    assert parsed.text("database") == name
