"""The suite-wide Slack audit: what the bot asked of Slack across every test, held against manifest.yml.

Every stand-in served by `tests.support.slack.serve_slack_standin` with the manifest's scopes is recorded here when
it stops (the stand-in's own tests, which provoke refusals on purpose, opt out). After a run of the whole suite that
passed, the session fails if

- any call or response_url POST was refused with a code the bot must never cause (`missing_scope`,
  `invalid_blocks`, `msg_too_long`, …), or
- manifest.yml asks for a scope that no recorded call relied on and no manifest feature (the slash command, a bot
  event) needs, or lacks one that a call relied on.

A partial run (a folder, `-k`, a failure) says nothing about scopes nothing used, so it only prints the tally.
Under pytest-xdist each worker hands its tally to the controller through `workeroutput`, which is how xdist
plugins share results (pytest-cov does the same).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.sandbox.slack import ApiCall, ResponseUrlPost
from bot.sandbox.slack.standin import APP_TOKEN_SCOPES

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
_KEY = "slack_audit"

# Refusals that mean the bot asked for something Slack would not do; a test that provokes one on purpose belongs
# to the stand-in's own tests (opted out of the audit), not to the bot's.
NEVER = frozenset(
    {"missing_scope", "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long",
     "invalid_arguments", "not_allowed_token_type", "unknown_method"}
)

# Scopes a bot event needs (Slack's event pages, "Required scopes"); events needing none map to None.
EVENT_SCOPES: Mapping[str, str | None] = {
    "app_home_opened": None,  # https://docs.slack.dev/reference/events/app_home_opened (a bot user, no scope)
    "app_uninstalled": None,  # https://api.slack.com/events/app_uninstalled
    "tokens_revoked": None,  # https://api.slack.com/events/tokens_revoked
    "link_shared": "links:read",  # https://api.slack.com/events/link_shared
    "user_change": "users:read",  # https://api.slack.com/events/user_change
}
# A slash command in the manifest needs this scope: https://api.slack.com/scopes/commands
COMMANDS_SCOPE = "commands"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return loaded


def manifest_bot_scopes() -> tuple[str, ...]:
    return tuple(manifest()["oauth_config"]["scopes"]["bot"])


@dataclass
class Tally:
    """What audited stand-ins saw: calls per method, scopes relied on, refusals per (where, error)."""

    calls: Counter[str] = field(default_factory=Counter)
    scopes_used: set[str] = field(default_factory=set)
    refusals: Counter[str] = field(default_factory=Counter)

    def add(self, calls: Iterable[ApiCall], posts: Iterable[ResponseUrlPost]) -> None:
        for call in calls:
            self.calls[call.method] += 1
            self.scopes_used.update(call.scopes_used)
            if call.error is not None:
                self.refusals[f"{call.method} {call.error}"] += 1
        for post in posts:
            if post.error is not None:
                self.refusals[f"response_url {post.error}"] += 1

    def merge(self, other: Tally) -> None:
        self.calls.update(other.calls)
        self.scopes_used |= other.scopes_used
        self.refusals.update(other.refusals)

    def to_json(self) -> str:
        return json.dumps(
            {"calls": self.calls, "scopes_used": sorted(self.scopes_used), "refusals": self.refusals}
        )

    @classmethod
    def from_json(cls, text: str) -> Tally:
        data = json.loads(text)
        return cls(Counter(data["calls"]), set(data["scopes_used"]), Counter(data["refusals"]))


def needed_by_features(app: Mapping[str, Any]) -> dict[str, str]:
    """Scopes the manifest's own features need (not Web API calls), each with the feature that needs it."""
    needed: dict[str, str] = {}
    if app.get("features", {}).get("slash_commands"):
        needed[COMMANDS_SCOPE] = "the slash command"
    for event in app.get("settings", {}).get("event_subscriptions", {}).get("bot_events", []):
        if event not in EVENT_SCOPES:
            raise KeyError(f"bot event {event!r}: add the scope it needs to EVENT_SCOPES (see its page on Slack)")
        scope = EVENT_SCOPES[event]
        if scope is not None:
            needed.setdefault(scope, f"the {event} event")
    return needed


def problems(tally: Tally, app: Mapping[str, Any]) -> list[str]:
    """Why the suite's use of Slack does not match the manifest; empty when it does."""
    found = [
        f"{count} × {what}: the bot must never cause this"
        for what, count in sorted(tally.refusals.items())
        if what.rpartition(" ")[2] in NEVER
    ]
    asked = set(app["oauth_config"]["scopes"]["bot"])
    features = needed_by_features(app)
    used = tally.scopes_used - APP_TOKEN_SCOPES  # Socket Mode's app-level token has its own scopes, not the bot's
    for scope in sorted(asked - used - set(features)):
        found.append(f"manifest.yml asks for `{scope}`, but no Web API call in the suite relied on it and no "
                     "manifest feature needs it: drop it, or add the test that shows the feature using it")
    for scope in sorted(used - asked):
        found.append(f"a Web API call relied on `{scope}`, which manifest.yml does not ask for")
    return found


# -- the pytest side -----------------------------------------------------------------------------------------------
SUITE = Tally()


def record(calls: Iterable[ApiCall], posts: Iterable[ResponseUrlPost]) -> None:
    SUITE.add(calls, posts)


def _whole_suite(session: pytest.Session) -> bool:
    config = session.config
    tests = (config.rootpath / "tests").resolve()
    paths = {(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args}
    options = ("keyword", "markexpr", "lf", "deselect", "collectonly")
    narrowed = any(config.getoption(name, default=None) for name in options)
    return paths == {tests} and not narrowed and session.testsfailed == 0


def _summary(tally: Tally) -> str:
    methods = ", ".join(f"{method} {count}" for method, count in sorted(tally.calls.items()))
    refused = ", ".join(f"{what} {count}" for what, count in sorted(tally.refusals.items())) or "none"
    return (
        f"{sum(tally.calls.values())} Web API calls ({methods}); scopes relied on: "
        f"{', '.join(sorted(tally.scopes_used)) or 'none'}; refusals: {refused}"
    )


def pytest_testnodedown(node: Any, error: Any) -> None:
    output = getattr(node, "workeroutput", {})
    if _KEY in output:
        SUITE.merge(Tally.from_json(output[_KEY]))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller judges
        config.workeroutput[_KEY] = SUITE.to_json()
        return
    if exitstatus != 0 or not _whole_suite(session):
        return
    found = problems(SUITE, manifest())
    config.stash[_FOUND] = found
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Set only when the whole suite ran and passed, so the audit could judge the manifest.
_FOUND = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or not SUITE.calls:
        return
    terminalreporter.write_sep("-", "Slack audit")
    terminalreporter.write_line(_summary(SUITE))
    found = config.stash.get(_FOUND, None)
    if found is None:
        terminalreporter.write_line("manifest.yml not judged: only a passing run of the whole suite shows every use")
    elif not found:
        terminalreporter.write_line("manifest.yml asks for exactly the scopes the suite relied on, and no call was "
                                    "refused for breaking Slack's rules", green=True)
    for problem in found or []:
        terminalreporter.write_line(f"FAILED slack audit: {problem}", red=True)
