"""`from_fields`: a form's entries checked one by one with the rules typed text is checked by, problems by field."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.grammar import FieldProblems, Invocation, from_fields, parse


def _problems(result: Invocation | FieldProblems) -> dict[str, str]:
    assert isinstance(result, FieldProblems), result
    return dict(result.problems)


def test_entries_become_the_invocation_the_typed_command_gives() -> None:
    built = from_fields(
        "deploy-request create",
        {"database": "shop", "branch": "add-index", "into": "main", "notes": "adds an index", "org": "acme"},
        switches=["disable-auto-apply"],
    )
    typed = parse('deploy-request create shop add-index --into main --notes "adds an index" --org acme '
                  "--disable-auto-apply")
    assert isinstance(built, Invocation)
    assert built == typed


def test_an_entry_is_one_value_however_it_is_spelled() -> None:
    notes = 'say "hi" — --approve <@U1> &amp; \'quoted\''
    built = from_fields("deploy-request create", {"database": "shop", "branch": "b", "notes": notes})
    assert isinstance(built, Invocation)
    assert built.option("notes") == notes


def test_each_problem_is_keyed_by_its_field() -> None:
    problems = _problems(from_fields("branch create", {"database": "shop", "branch": "no/slash", "from": "a b"}))
    assert set(problems) == {"branch", "from"}
    assert "`no/slash` is not a valid branch name" in problems["branch"]
    assert "it contains a space" in problems["from"]


def test_a_missing_parameter_is_a_problem_of_its_own() -> None:
    assert _problems(from_fields("branch create", {"database": "shop"})) == {"branch": "Give the branch name."}


def test_a_broken_rule_is_shown_beside_the_entry_that_would_mend_it() -> None:
    both = from_fields(
        "deploy-request create",
        {"database": "shop", "branch": "b"},
        switches=["enable-auto-apply", "disable-auto-apply"],
    )
    assert list(_problems(both)) == ["disable-auto-apply"]
    neither = from_fields("deploy-request review", {"database": "shop", "number": "7"})
    assert list(_problems(neither)) == ["approve"]


def test_defaults_apply_as_for_typed_text() -> None:
    built = from_fields("password create", {"database": "shop", "branch": "main", "name": "ci"})
    assert isinstance(built, Invocation)
    assert (built.option("role"), built.duration("ttl")) == ("reader", 24 * 3600)
    assert built == parse("password create shop main ci")


def test_a_field_the_command_has_not_got_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        from_fields("branch create", {"database": "shop", "branch": "b", "into": "main"})
    with pytest.raises(KeyError):
        from_fields("branch create", {"database": "shop", "branch": "b"}, switches=["from"])


# Names that typed text can carry whole inside quotes (no spaces, no quotes), valid ones and near misses.
_NAME = st.from_regex(r"[A-Za-z0-9._-]{1,70}", fullmatch=True) | st.text(
    alphabet=string.ascii_letters + string.digits + "._-/#?`", max_size=70
)


@settings(deadline=None, max_examples=300)
@given(database=_NAME, branch=_NAME, parent=st.none() | _NAME)
def test_forms_and_typed_text_accept_the_same_names(database: str, branch: str, parent: str | None) -> None:
    entries = {"database": database, "branch": branch} | ({"from": parent} if parent is not None else {})
    built = from_fields("branch create", entries)
    typed = parse(f'branch create "{database}" "{branch}"' + (f' --from "{parent}"' if parent is not None else ""))
    # Typed, `-h` in any place asks for help; as a form entry it is a name, and no valid one.
    typed_command = typed if isinstance(typed, Invocation) and typed.key == "branch create" else None
    assert isinstance(built, Invocation) == (typed_command is not None), (built, typed)
    if isinstance(built, Invocation):
        assert built == typed_command
