"""manifest.yml is a valid Slack app manifest (Slack's published schema, offline) and asks for exactly what we use."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

from bot.slack.scopes import BOT_SCOPE_NAMES

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "data" / "slack"
# Where the root schema's $refs point; each is served from the vendored copy of the same name.
PUBLISHED_AT = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
HTTP_EVENTS_URL = "https://bot.example.com/slack/events"


def _no_network(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    resources = [
        (PUBLISHED_AT + name, Resource.from_contents(json.loads((SCHEMAS / name).read_text()), DRAFT7))
        for name in ("manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json")
    ]
    registry: Registry[Any] = Registry(retrieve=_no_network).with_resources(resources)
    root = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(root)
    return jsonschema.Draft7Validator(root, registry=registry)


@pytest.fixture
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def test_manifest_validates_against_slacks_schema(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(manifest)]
    assert errors == []


def test_manifest_asks_for_exactly_what_the_bot_uses(manifest: dict[str, Any]) -> None:
    assert manifest["display_information"]["name"] == "PlanetScale"
    assert manifest["features"]["bot_user"]["display_name"] == "pscale"
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/pscale"
    assert command["description"]
    assert command["usage_hint"].startswith("help |")
    assert manifest["oauth_config"]["scopes"] == {"bot": list(BOT_SCOPE_NAMES)}
    assert manifest["features"]["unfurl_domains"] == ["app.planetscale.com"]
    settings = manifest["settings"]
    assert settings["event_subscriptions"] == {
        "bot_events": ["app_uninstalled", "tokens_revoked", "user_change", "link_shared", "app_home_opened"]
    }
    assert manifest["features"]["app_home"] == {
        "home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": True
    }
    assert settings["interactivity"] == {"is_enabled": True}
    assert settings["socket_mode_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert "url" not in command  # Socket Mode: Slack needs no way in


def test_each_scope_says_which_feature_needs_it() -> None:
    """Admins read manifest.yml before installing: every scope line carries a comment naming what uses it."""
    lines = (ROOT / "manifest.yml").read_text().splitlines()
    start = lines.index("    bot:") + 1
    scope_lines = lines[start:start + len(BOT_SCOPE_NAMES)]
    assert [line.split("#")[0].strip().removeprefix("- ") for line in scope_lines] == list(BOT_SCOPE_NAMES)
    for line in scope_lines:
        comment = line.partition("#")[2].strip()
        assert len(comment) > 10, f"no feature named for {line.strip()!r}"


def test_the_documented_http_mode_edits_give_a_valid_manifest(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any]
) -> None:
    header = (ROOT / "manifest.yml").read_text()
    for edit in ("socket_mode_enabled: false", "url: https://YOUR-HOST/slack/events", "request_url:"):
        assert edit in header
    http = copy.deepcopy(manifest)
    http["settings"]["socket_mode_enabled"] = False
    http["features"]["slash_commands"][0]["url"] = HTTP_EVENTS_URL
    http["settings"]["interactivity"]["request_url"] = HTTP_EVENTS_URL
    http["settings"]["interactivity"]["message_menu_options_url"] = HTTP_EVENTS_URL
    http["settings"]["event_subscriptions"]["request_url"] = HTTP_EVENTS_URL
    assert list(validator.iter_errors(http)) == []


def _without_app_name(manifest: dict[str, Any]) -> None:
    del manifest["display_information"]["name"]


def _scopes_as_one_string(manifest: dict[str, Any]) -> None:
    manifest["oauth_config"]["scopes"]["bot"] = "commands,chat:write"


def _scope_too_long(manifest: dict[str, Any]) -> None:
    manifest["oauth_config"]["scopes"]["bot"].append("chat:write." + "x" * 50)


def _command_without_slash(manifest: dict[str, Any]) -> None:
    manifest["features"]["slash_commands"][0]["command"] = "pscale"


def _misspelt_setting(manifest: dict[str, Any]) -> None:
    manifest["settings"]["socket_mode_enable"] = manifest["settings"].pop("socket_mode_enabled")


def _interactivity_without_is_enabled(manifest: dict[str, Any]) -> None:
    del manifest["settings"]["interactivity"]["is_enabled"]


@pytest.mark.parametrize(
    "break_it",
    [
        _without_app_name,
        _scopes_as_one_string,
        _scope_too_long,
        _command_without_slash,
        _misspelt_setting,
        _interactivity_without_is_enabled,
    ],
)
def test_a_broken_manifest_fails_validation(
    validator: jsonschema.Draft7Validator, manifest: dict[str, Any], break_it: Any
) -> None:
    break_it(manifest)
    assert not validator.is_valid(manifest)
