"""The catalog holds exactly the commands of docs/interface.md §4, with their attributes and usage lines."""

from __future__ import annotations

import pytest

from bot.commands.catalog import CATALOG, Catalog, CommandSpec, Found, GroupOnly, NotFound
from bot.commands.grammar import Invocation, parse
from bot.commands.handlers import all_handlers

CONTRACT_COMMANDS = {
    "help", "login", "logout", "whoami",
    "org list", "org show", "org switch",
    "database list", "database show",
    "channel db",
    "branch list", "branch show", "branch create", "branch delete",
    "deploy-request list", "deploy-request show", "deploy-request diff", "deploy-request create",
    "deploy-request review", "deploy-request approve", "deploy-request deploy", "deploy-request apply",
    "deploy-request cancel", "deploy-request close", "deploy-request revert", "deploy-request skip-revert",
    "deploy-request unblock", "deploy-request post", "deploy-request edit", "deploy-request force-cutover",
    "queue",
    "password list", "password create", "password delete",
    "digest subscribe", "digest unsubscribe", "digest list",
    "watch", "unwatch", "audit", "notify",
}  # fmt: skip


def test_catalog_has_every_contract_command_and_nothing_else() -> None:
    assert {spec.key for spec in CATALOG} == CONTRACT_COMMANDS


def test_destructive_commands_are_exactly_the_contract_ones() -> None:
    destructive = {spec.key for spec in CATALOG if spec.destructive}
    assert destructive == {"branch delete", "password delete", "deploy-request close"}


def test_commands_that_post_to_the_channel() -> None:
    posting = {spec.key for spec in CATALOG if spec.posts_to_channel}
    assert posting == {
        "deploy-request post",
        "deploy-request create",
        "digest subscribe",
        "digest unsubscribe",
        "watch",
        "unwatch",
    }


def test_org_flag_is_on_every_resource_command_only() -> None:
    without_org = {spec.key for spec in CATALOG if not spec.accepts_org}
    assert without_org == {"help", "login", "logout", "whoami", "org list", "org show", "org switch"}


def test_modal_commands() -> None:
    modals = {spec.key: spec.modal_callback_id for spec in CATALOG if spec.modal_callback_id}
    assert modals == {"branch create": "branch_create", "deploy-request create": "dr_create"}
    # A submitted form runs at once (CommandDispatcher.accept_submitted): a confirmation parks typed text, which a
    # form has not got.
    assert not [spec.key for spec in CATALOG if spec.modal_callback_id and spec.destructive]


@pytest.mark.parametrize(
    ("key", "usage"),
    [
        ("deploy-request review", "Usage: /pscale deploy-request review DB NUMBER [--approve] [--comment TEXT]"),
        (
            "deploy-request create",
            "Usage: /pscale deploy-request create DB BRANCH [--into BRANCH] [--notes TEXT] "
            "[--enable-auto-apply|--disable-auto-apply] [--auto-delete-branch]",
        ),
        (
            "deploy-request edit",
            "Usage: /pscale deploy-request edit DB NUMBER --enable-auto-apply|--disable-auto-apply",
        ),
        ("deploy-request force-cutover", "Usage: /pscale deploy-request force-cutover DB NUMBER"),
        ("branch delete", "Usage: /pscale branch delete DB BRANCH [--delete-descendants]"),
        (
            "deploy-request list",
            "Usage: /pscale deploy-request list DB [--state open|closed|deployed] [--mine|--review]",
        ),
        ("deploy-request show", "Usage: /pscale deploy-request show DB NUMBER|BRANCH"),
        ("deploy-request deploy", "Usage: /pscale deploy-request deploy DB NUMBER|BRANCH [--instant]"),
        (
            "password create",
            "Usage: /pscale password create DB BRANCH NAME [--role reader|writer|readwriter|admin] [--ttl 30m|24h|7d]",
        ),
        ("password delete", "Usage: /pscale password delete DB BRANCH PASSWORD_ID"),
        ("password list", "Usage: /pscale password list DB [BRANCH]"),
        ("digest subscribe", "Usage: /pscale digest subscribe DB [--at HH:MM] [--tz AREA/CITY] [--daily]"),
        ("branch create", "Usage: /pscale branch create DB BRANCH [--from PARENT]"),
        ("org show", "Usage: /pscale org show [ORG]"),
        ("help", "Usage: /pscale help [COMMAND]"),
    ],
)
def test_usage_lines_follow_the_contract(key: str, usage: str) -> None:
    assert CATALOG.get(key).usage_lines() == (usage,)


def test_channel_db_has_one_usage_line_per_form() -> None:
    assert CATALOG.get("channel db").usage_lines() == (
        "Usage: /pscale channel db DB",
        "Usage: /pscale channel db --clear",
    )


def test_notify_has_one_usage_line_per_form() -> None:
    assert CATALOG.get("notify").usage_lines() == (
        "Usage: /pscale notify",
        "Usage: /pscale notify on|off mine",
        "Usage: /pscale notify on|off reviews DB",
    )


@pytest.mark.parametrize("spec", list(CATALOG), ids=lambda spec: spec.key)
def test_every_spec_is_complete_and_its_examples_parse(spec: CommandSpec) -> None:
    assert spec.summary
    assert spec.description
    assert spec.examples
    for line in spec.usage_lines():
        assert line.startswith("Usage: /pscale ")
    for example in spec.examples:
        assert example.startswith("/pscale ")
        parsed = parse(example.removeprefix("/pscale "))
        assert isinstance(parsed, Invocation), (example, parsed)


def test_lookup_accepts_aliases_and_any_case() -> None:
    match = CATALOG.lookup(["DR", "Ls"])
    assert isinstance(match, Found)
    assert match.spec.key == "deploy-request list"
    assert match.consumed == 2
    rm = CATALOG.lookup(["branch", "rm"])
    assert isinstance(rm, Found)
    assert rm.spec.key == "branch delete"


def test_lookup_of_a_group_alone_and_of_unknown_words() -> None:
    assert isinstance(CATALOG.lookup(["db"]), GroupOnly)
    unknown = CATALOG.lookup(["branhc", "list"])
    assert isinstance(unknown, NotFound)
    assert unknown.group is None
    assert unknown.suggestions == ("branch list",)
    in_group = CATALOG.lookup(["password", "craete"])
    assert isinstance(in_group, NotFound)
    assert in_group.group == "password"
    assert in_group.suggestions == ("password create",)


def test_a_catalog_refuses_duplicate_keys() -> None:
    spec = CATALOG.get("whoami")
    with pytest.raises(ValueError, match="share a key"):
        Catalog([spec, spec])


def test_every_handler_is_a_command_of_the_catalog() -> None:
    keys = {spec.key for spec in CATALOG}
    registered = set(
        all_handlers(
            accounts=None, subscriptions=None, watches=None, cards=None, notification_settings=None, news=None,  # type: ignore[arg-type]
            public_url="https://x", requested_scopes=(),
        )
    )
    assert registered <= keys, registered - keys

