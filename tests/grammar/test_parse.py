"""`parse`: every command's happy path, the channel default database, and every kind of wrong input."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from bot.commands import grammar
from bot.commands.grammar import Invocation, ParseFailure, parse


def invocation(text: str, *, default_database: str | None = None) -> Invocation:
    parsed = parse(text, default_database=default_database)
    assert isinstance(parsed, Invocation), parsed
    return parsed


def failure(text: str, *, default_database: str | None = None) -> ParseFailure:
    parsed = parse(text, default_database=default_database)
    assert isinstance(parsed, ParseFailure), parsed
    # The usage of what was recognised; nothing when no command or group was (the reply points at help instead).
    assert parsed.usage or parsed.command is None
    assert all(line.startswith("Usage: /pscale") for line in parsed.usage)
    return parsed


HAPPY_PATHS: list[tuple[str, str, dict[str, Any]]] = [
    ("login", "login", {}),
    ("logout", "logout", {}),
    ("whoami", "whoami", {}),
    ("org list", "org list", {}),
    ("org ls", "org list", {}),
    ("org show", "org show", {}),
    ("org show acme", "org show", {"org": "acme"}),
    ("org switch acme", "org switch", {"org": "acme"}),
    ("database list", "database list", {}),
    ("db ls --org acme", "database list", {"org": "acme"}),
    ("database show app", "database show", {"database": "app"}),
    ("db show app --org=acme", "database show", {"database": "app", "org": "acme"}),
    ("channel db app", "channel db", {"database": "app"}),
    ("channel db --clear", "channel db", {"clear": True}),
    ("branch list app", "branch list", {"database": "app"}),
    ("b ls app", "branch list", {"database": "app"}),
    (
        "b rm app old --delete-descendants",
        "branch delete",
        {"database": "app", "branch": "old", "delete-descendants": True},
    ),
    ("p ls app main", "password list", {"database": "app", "branch": "main"}),
    (
        "dr edit app 7 --disable-auto-apply",
        "deploy-request edit",
        {"database": "app", "number": 7, "disable-auto-apply": True},
    ),
    ("dr force-cutover app 7", "deploy-request force-cutover", {"database": "app", "number": 7}),
    (
        "dr create app feat --auto-delete-branch",
        "deploy-request create",
        {"database": "app", "branch": "feat", "auto-delete-branch": True},
    ),
    ("branch ls app", "branch list", {"database": "app"}),
    ("branch show app main", "branch show", {"database": "app", "branch": "main"}),
    ("branch create app add-index", "branch create", {"database": "app", "branch": "add-index"}),
    (
        "branch create app hotfix --from staging",
        "branch create",
        {"database": "app", "branch": "hotfix", "from": "staging"},
    ),
    (
        "branch create --from=staging app hotfix",
        "branch create",
        {"database": "app", "branch": "hotfix", "from": "staging"},
    ),
    ("branch delete app old", "branch delete", {"database": "app", "branch": "old"}),
    ("branch rm app old", "branch delete", {"database": "app", "branch": "old"}),
    ("deploy-request list app", "deploy-request list", {"database": "app"}),
    ("dr ls app --state open", "deploy-request list", {"database": "app", "state": "open"}),
    ("dr list app --state=DEPLOYED", "deploy-request list", {"database": "app", "state": "deployed"}),
    ("dr show app 42", "deploy-request show", {"database": "app", "number": 42}),
    ("dr show app #42", "deploy-request show", {"database": "app", "number": 42}),
    ("dr show app add-index", "deploy-request show", {"database": "app", "number": "add-index"}),
    ("dr diff app 7", "deploy-request diff", {"database": "app", "number": 7}),
    ("dr create app feat", "deploy-request create", {"database": "app", "branch": "feat"}),
    (
        'dr create app feat --into main --notes "add index on users" --enable-auto-apply',
        "deploy-request create",
        {"database": "app", "branch": "feat", "into": "main", "notes": "add index on users", "enable-auto-apply": True},
    ),
    (
        "dr create app feat --notes='single quoted' --disable-auto-apply",
        "deploy-request create",
        {"database": "app", "branch": "feat", "notes": "single quoted", "disable-auto-apply": True},
    ),
    ("dr review app 3 --approve", "deploy-request review", {"database": "app", "number": 3, "approve": True}),
    ("dr review app 3 --comment nice", "deploy-request review", {"database": "app", "number": 3, "comment": "nice"}),
    (
        'dr review app 3 --approve --comment "ship it"',
        "deploy-request review",
        {"database": "app", "number": 3, "approve": True, "comment": "ship it"},
    ),
    ("dr approve app 3", "deploy-request review", {"database": "app", "number": 3, "approve": True}),
    (
        "dr approve app 3 --comment=lgtm",
        "deploy-request review",
        {"database": "app", "number": 3, "approve": True, "comment": "lgtm"},
    ),
    ("dr approve app 3 --approve", "deploy-request review", {"database": "app", "number": 3, "approve": True}),
    ("dr deploy app 3", "deploy-request deploy", {"database": "app", "number": 3}),
    ("dr deploy app feat --instant", "deploy-request deploy", {"database": "app", "number": "feat", "instant": True}),
    ("dr apply app 3", "deploy-request apply", {"database": "app", "number": 3}),
    ("dr cancel app 3", "deploy-request cancel", {"database": "app", "number": 3}),
    ("dr close app 3", "deploy-request close", {"database": "app", "number": 3}),
    ("dr revert app 3", "deploy-request revert", {"database": "app", "number": 3}),
    ("dr skip-revert app 3", "deploy-request skip-revert", {"database": "app", "number": 3}),
    ("dr unblock app 3", "deploy-request unblock", {"database": "app", "number": 3}),
    ("dr post app 3", "deploy-request post", {"database": "app", "number": 3}),
    ("queue app", "queue", {"database": "app"}),
    ("password list app", "password list", {"database": "app"}),
    ("password ls app main", "password list", {"database": "app", "branch": "main"}),
    (
        "password create app main ci",
        "password create",
        {"database": "app", "branch": "main", "name": "ci", "role": "reader", "ttl": 86400},
    ),
    (
        "password create app main ci --role admin --ttl 30m",
        "password create",
        {"database": "app", "branch": "main", "name": "ci", "role": "admin", "ttl": 1800},
    ),
    (
        "password create app main ci --ttl=3600 --role=writer",
        "password create",
        {"database": "app", "branch": "main", "name": "ci", "role": "writer", "ttl": 3600},
    ),
    (
        "password create app main ci --ttl 7d",
        "password create",
        {"database": "app", "branch": "main", "name": "ci", "role": "reader", "ttl": 7 * 86400},
    ),
    (
        "password delete app main a1b2c3d4e5f6",
        "password delete",
        {"database": "app", "branch": "main", "password_id": "a1b2c3d4e5f6"},
    ),
    (
        "password rm app main a1b2c3d4e5f6",
        "password delete",
        {"database": "app", "branch": "main", "password_id": "a1b2c3d4e5f6"},
    ),
    ("digest subscribe app", "digest subscribe", {"database": "app"}),
    (
        "digest subscribe app --at 8:30 --tz Europe/Paris --daily",
        "digest subscribe",
        {"database": "app", "at": time(8, 30), "tz": "Europe/Paris", "daily": True},
    ),
    ("digest subscribe app --tz america/new_york", "digest subscribe", {"database": "app", "tz": "America/New_York"}),
    ("digest unsubscribe app", "digest unsubscribe", {"database": "app"}),
    ("digest list", "digest list", {}),
    ("digest ls --org acme", "digest list", {"org": "acme"}),
    ("watch app", "watch", {"database": "app"}),
    ("unwatch app", "unwatch", {"database": "app"}),
    ("audit app", "audit", {"database": "app"}),
    ("Branch LIST app", "branch list", {"database": "app"}),
    ("  branch   list\tapp  ", "branch list", {"database": "app"}),
    ("/pscale branch list app", "branch list", {"database": "app"}),
]


@pytest.mark.parametrize(("text", "key", "values"), HAPPY_PATHS, ids=[case[0] for case in HAPPY_PATHS])
def test_happy_path(text: str, key: str, values: dict[str, Any]) -> None:
    parsed = invocation(text)
    assert parsed.key == key
    assert dict(parsed.values) == values
    assert not parsed.used_default_database
    assert not parsed.wants_modal


def test_typed_accessors_read_each_kind_of_value() -> None:
    review = invocation('dr review app 12 --approve --comment "looks good" --org acme')
    assert review.text("database") == "app"
    assert review.number("number") == 12
    assert review.flag("approve") is True
    assert review.option("comment") == "looks good"
    assert review.org == "acme"

    digest = invocation("digest subscribe app --at 17:05")
    assert digest.time_of_day("at") == time(17, 5)
    assert digest.option("tz") is None
    assert digest.flag("daily") is False
    assert digest.org is None

    password = invocation("password create app main ci --ttl 1h30m")
    assert password.duration("ttl") == 5400
    assert password.option("role") == "reader"
    assert password.text("name") == "ci"

    assert invocation("dr show app feat").number_or_branch("number") == "feat"
    assert invocation("dr deploy app 9").number_or_branch("number") == 9
    assert invocation("password list app").optional_text("branch") is None
    assert invocation("whoami").org is None


def test_accessors_refuse_names_and_kinds_the_command_does_not_have() -> None:
    parsed = invocation("dr review app 12 --approve")
    with pytest.raises(KeyError):
        parsed.text("branch")
    with pytest.raises(KeyError):
        parsed.flag("instant")
    with pytest.raises(TypeError):
        parsed.number("database")
    with pytest.raises(TypeError):
        parsed.option("approve")


def test_help_parses_to_its_topic_in_canonical_words() -> None:
    assert invocation("").topic == ()
    assert invocation("   ").key == "help"
    assert invocation("help").topic == ()
    assert invocation("help dr").topic == ("deploy-request",)
    assert invocation("help branch create").topic == ("branch", "create")
    assert invocation("HELP db LS").topic == ("database", "list")
    assert invocation("help dr approve").topic == ("deploy-request", "approve")
    assert invocation("help queue").topic == ("queue",)
    assert invocation("branch create --help").topic == ("branch", "create")
    assert invocation("dr review app 3 -h").topic == ("deploy-request", "review")


def test_unknown_help_topic_suggests_the_closest() -> None:
    parsed = failure("help brnch")
    assert "`brnch`" in parsed.problem
    assert "Did you mean `branch`?" in parsed.problem
    assert parsed.usage == ("Usage: /pscale help [COMMAND]",)
    nested = failure("help dr aprove")
    assert "`deploy-request approve`" in nested.problem


# --- The channel's default database -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "values"),
    [
        ("branch list", "branch list", {"database": "app"}),
        ("branch show main", "branch show", {"database": "app", "branch": "main"}),
        ("dr show 12", "deploy-request show", {"database": "app", "number": 12}),
        ("dr approve 12", "deploy-request review", {"database": "app", "number": 12, "approve": True}),
        ("password list", "password list", {"database": "app"}),
        ("queue", "queue", {"database": "app"}),
        ("watch", "watch", {"database": "app"}),
        ("branch create feat --from main", "branch create", {"database": "app", "branch": "feat", "from": "main"}),
    ],
)
def test_one_argument_short_uses_the_channel_default(text: str, key: str, values: dict[str, Any]) -> None:
    parsed = invocation(text, default_database="app")
    assert parsed.key == key
    assert dict(parsed.values) == values
    assert parsed.used_default_database


def test_complete_commands_ignore_the_channel_default() -> None:
    parsed = invocation("branch show other main", default_database="app")
    assert parsed.text("database") == "other"
    assert not parsed.used_default_database
    # An optional argument does not make a command "short": the one word is the database.
    listing = invocation("password list other", default_database="app")
    assert listing.text("database") == "other"
    assert listing.optional_text("branch") is None


def test_two_arguments_short_is_still_an_error_with_a_default() -> None:
    parsed = failure("password create main", default_database="app")
    assert "NAME" in parsed.problem


def test_channel_db_never_fills_itself_from_the_default() -> None:
    parsed = failure("channel db", default_database="app")
    assert "`DB` or `--clear`" in parsed.problem


# --- Modals ---------------------------------------------------------------------------------------------------------


def test_create_commands_without_arguments_open_a_modal() -> None:
    branch = invocation("branch create")
    assert branch.wants_modal
    assert branch.spec.modal_callback_id == "branch_create"
    assert branch.optional_text("database") is None
    with pytest.raises(LookupError):
        branch.text("branch")

    prefilled = invocation("dr create --into main", default_database="app")
    assert prefilled.wants_modal
    assert prefilled.spec.modal_callback_id == "dr_create"
    assert prefilled.optional_text("database") == "app"
    assert prefilled.used_default_database
    assert prefilled.option("into") == "main"


def test_create_with_some_arguments_missing_is_a_usage_error() -> None:
    parsed = failure("branch create app")
    assert parsed.problem == "`branch create` is missing BRANCH (the branch name)."
    assert parsed.usage == ("Usage: /pscale branch create DB BRANCH [--from PARENT]",)


# --- Wrong input ----------------------------------------------------------------------------------------------------


def test_missing_arguments_are_named() -> None:
    parsed = failure("branch show")
    assert parsed.problem == "`branch show` is missing DB (the database name) and BRANCH (the branch name)."
    assert parsed.usage == ("Usage: /pscale branch show DB BRANCH",)
    assert parsed.command == "branch show"


def test_extra_arguments_are_shown() -> None:
    parsed = failure("branch list app stray")
    assert "`stray`" in parsed.problem
    assert parsed.usage == ("Usage: /pscale branch list DB [--page N]",)


def test_unquoted_text_gets_a_quoting_hint() -> None:
    parsed = failure("dr create app feat --notes add index")
    assert "`index`" in parsed.problem
    assert 'Put text with spaces in quotes: --notes "add index on users".' in parsed.problem


@pytest.mark.parametrize("number", ["abc", "0", "-3", "1.5", "99999999999", "#", "१२"])
def test_bad_numbers(number: str) -> None:
    parsed = failure(f"dr diff app {number}")
    assert "is not a deploy request number" in parsed.problem
    assert parsed.usage == ("Usage: /pscale deploy-request diff DB NUMBER",)


def test_number_or_branch_rejects_what_is_neither() -> None:
    parsed = failure("dr show app 0")
    assert "not a deploy request number" in parsed.problem
    both = failure('dr show app "a b"')
    assert "neither a deploy request number nor a branch name" in both.problem


def test_unknown_flag_suggests_the_right_one() -> None:
    parsed = failure("dr deploy app 3 --instnat")
    assert parsed.problem.startswith("`--instnat` is not a flag of `deploy-request deploy`.")
    assert "Did you mean `--instant`?" in parsed.problem
    single_dash = failure("dr deploy app 3 -instant")
    assert "Did you mean `--instant`?" in single_dash.problem
    unrelated = failure("branch list app --zzz")
    assert "It takes `--page` or `--org`." in unrelated.problem
    no_flags = failure("whoami --verbose")
    assert "It takes no flags." in no_flags.problem


def test_org_flag_on_a_command_without_it() -> None:
    parsed = failure("whoami --org acme")
    assert parsed.problem == "`--org` does not apply to `whoami`."


def test_flag_value_missing_or_misplaced() -> None:
    assert failure("dr review app 3 --comment").problem == "`--comment` needs a value: --comment TEXT."
    assert "needs a value" in failure("dr review app 3 --comment --approve").problem
    assert "takes no value" in failure("dr review app 3 --approve=yes").problem
    assert "more than once" in failure("dr review app 3 --approve --approve").problem
    assert "needs some text" in failure('dr review app 3 --comment "  "').problem


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("dr list app --state merged", "open, closed or deployed"),
        ("password create app main ci --role owner", "reader, writer, readwriter or admin"),
    ],
)
def test_bad_choice_lists_the_allowed_values(text: str, allowed: str) -> None:
    assert allowed in failure(text).problem


@pytest.mark.parametrize("ttl", ["90x", "0", "0m", "1w", "-5", "m", "1.5h"])
def test_bad_ttl_says_the_allowed_forms(ttl: str) -> None:
    problem = failure(f"password create app main ci --ttl={ttl}").problem
    assert "`--ttl`" in problem
    assert "30m" in problem or "longer than zero" in problem


@pytest.mark.parametrize("at", ["24:00", "9", "9:5", "12:60", "noon", "09:00:00"])
def test_bad_time_of_day(at: str) -> None:
    assert "24-hour clock" in failure(f"digest subscribe app --at {at}").problem


def test_bad_time_zone_suggests_close_ones() -> None:
    problem = failure("digest subscribe app --tz Europe/Pari").problem
    assert "is not a time zone" in problem
    assert "`Europe/Paris`" in problem
    assert "is not a time zone" in failure("digest subscribe app --tz ../../etc/passwd").problem


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ('"my db"', "contains a space"),
        ("app/", "cannot contain `/`"),
        ("/app", "cannot contain `/`"),
        ("a" * 65, "at most 64 characters"),
        (".hidden", "cannot start with `.`"),
        ("-5", "cannot start with `-`"),
        ("app!", "contains `!`"),
        ('""', "empty"),
    ],
)
def test_bad_names(name: str, reason: str) -> None:
    assert reason in failure(f"branch list {name}").problem


def test_password_id_and_name_shapes() -> None:
    assert "does not look like a password ID" in failure("password delete app main my-pw").problem
    assert "at most 64 characters" in failure(f"password create app main {'n' * 65}").problem
    assert invocation('password create app main "ci reader"').text("name") == "ci reader"


def test_review_needs_approve_or_comment() -> None:
    parsed = failure("dr review app 3")
    assert parsed.problem == "`deploy-request review` needs `--approve` or `--comment`."


def test_exclusive_flags() -> None:
    parsed = failure("dr create app feat --enable-auto-apply --disable-auto-apply")
    assert "cannot be used together" in parsed.problem
    assert "cannot be used together" in failure("dr edit app 7 --enable-auto-apply --disable-auto-apply").problem
    needs = "`deploy-request edit` needs `--enable-auto-apply` or `--disable-auto-apply`."
    assert failure("dr edit app 7").problem == needs
    assert "cannot be used together" in failure("channel db app --clear").problem


def test_unknown_command_suggests_and_points_at_help() -> None:
    parsed = failure("brnach list app")
    assert parsed.problem == "`brnach` is not a /pscale command. Did you mean `branch list`?"
    assert parsed.usage == ()  # the reply's footer points at `/pscale help`; no usage line is about `brnach`
    assert parsed.command is None


def test_command_word_without_its_group_suggests_the_full_commands() -> None:
    problem = failure("create app feat").problem
    assert "`branch create`" in problem
    assert "`deploy-request create`" in problem


def test_unknown_subcommand_shows_the_group_usage() -> None:
    parsed = failure("branch lst app")
    assert "Did you mean `branch list`?" in parsed.problem
    assert "Usage: /pscale branch list DB [--page N]" in parsed.usage
    assert len(parsed.usage) == 4


def test_group_without_subcommand_lists_them() -> None:
    parsed = failure("password")
    assert parsed.problem == "`password` needs a subcommand: list, create, delete."
    assert len(parsed.usage) == 3


def test_unbalanced_quote_is_a_usage_error_for_the_command() -> None:
    parsed = failure('dr create app feat --notes "add index')
    assert "never closed" in parsed.problem
    assert "`add`" in parsed.problem
    assert parsed.command == "deploy-request create"
    assert parsed.usage[0].startswith("Usage: /pscale deploy-request create")
    unknown = failure('"')
    assert unknown.usage == ()


def test_echoed_input_is_shortened_and_cannot_break_its_backticks() -> None:
    parsed = failure("branch list app `oops`" + "x" * 100)
    assert "`oops`" not in parsed.problem
    assert "ˋoopsˋ" in parsed.problem
    assert len(parsed.problem) < 200


def test_without_a_zone_list_zoneinfo_judges_time_zones(monkeypatch: pytest.MonkeyPatch) -> None:
    # Some slim images ship no zone list; the grammar must then still accept real zones and refuse others.
    monkeypatch.setattr(grammar, "_known_zones", dict)
    assert invocation("digest subscribe app --tz UTC").option("tz") == "UTC"
    assert "is not a time zone" in failure("digest subscribe app --tz Nowhere/Special").problem
