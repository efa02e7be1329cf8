"""What Slack and phones do to typed text is undone before the words are split."""

from __future__ import annotations

import pytest

from bot.commands.grammar import Invocation, UnbalancedQuoteError, normalize, parse, tokenize


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("dr create app b --notes “add index”", 'dr create app b --notes "add index"'),
        ("--notes ‘quoted’", "--notes 'quoted'"),
        ("dr review app 3 —approve", "dr review app 3 --approve"),
        ("dr review app 3 –approve", "dr review app 3 --approve"),
        ("dr review app 3 -—approve", "dr review app 3 --approve"),
        ("—org=acme", "--org=acme"),
        ('--notes "a – b"', '--notes "a – b"'),
        ("--notes —5", "--notes —5"),
        ("a &amp; b &lt;c&gt;", "a & b <c>"),
        ("&amp;lt;", "&lt;"),
        ("branch show <https://example.com|example.com> main", "branch show example.com main"),
        ("see <https://example.com/x>", "see https://example.com/x"),
        ("<mailto:bob@example.com|bob@example.com>", "bob@example.com"),
        ("ping <@U123|bob> and <@U456>", "ping @bob and @U456"),
        ("in <#C123|general> or <#C456>", "in #general or #C456"),
        ("<!here> <!channel> <!subteam^S1|@ops>", "@here @channel @ops"),
        ("branch\u00a0list\u202fapp", "branch list app"),
        ("branch\u200b list", "branch list"),
    ],
)
def test_normalize(raw: str, normalized: str) -> None:
    assert normalize(raw) == normalized


def test_phone_typed_command_parses() -> None:
    parsed = parse("dr review app 3 —approve —comment “ship it” ")
    assert isinstance(parsed, Invocation)
    assert parsed.flag("approve")
    assert parsed.option("comment") == "ship it"


def test_escaped_ampersand_reaches_the_value_unescaped() -> None:
    parsed = parse("dr review app 3 --comment 'R&amp;D ok'")
    assert isinstance(parsed, Invocation)
    assert parsed.option("comment") == "R&D ok"


def test_linked_database_name_parses_as_the_name() -> None:
    parsed = parse("database show <http://app.io|app.io>")
    assert isinstance(parsed, Invocation)
    assert parsed.text("database") == "app.io"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("a b  c", ["a", "b", "c"]),
        ('--notes "add index on users"', ["--notes", "add index on users"]),
        ("--notes 'add index'", ["--notes", "add index"]),
        ('--notes="add index"', ["--notes=add index"]),
        ("--comment don't", ["--comment", "don't"]),
        ('"it\'s fine"', ["it's fine"]),
        ("'don't'", ["don't"]),
        ('""', [""]),
        ('a"b c"', ['a"b', 'c"']),
        ("", []),
        (" \t\n", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize(("text", "position"), [('"abc', 0), ("x 'abc", 2), ('--notes="a b', 8), ('"a"b', 0)])
def test_tokenize_reports_an_unbalanced_quote(text: str, position: int) -> None:
    with pytest.raises(UnbalancedQuoteError) as raised:
        tokenize(text)
    assert raised.value.position == position
