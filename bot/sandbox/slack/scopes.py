"""Which OAuth scopes a Web API call needs, read from Slack's published spec as the table's `meaning` field says.

`web_api_scopes.json` (vendored by `scripts/vendor_slack_scopes.py`) lists, per method, the scopes of which a token
needs any one. Two readings make it fit a granular bot token:

- The spec predates granular bot scopes: `chat:write:bot` / `chat:write:user` are today's `chat:write` (and
  `files:write:user` is `files:write`), see https://api.slack.com/scopes/chat:write.
- `channels:*`, `groups:*`, `im:*` and `mpim:*` count by the conversation's type: public channel, private channel,
  direct message, group DM. `conversations.info` on a private channel needs `groups:read`; `channels:read` does not do.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

SCOPES_FILE = Path(__file__).with_name("web_api_scopes.json")

# Methods newer than the spec the table was cut from, with the scopes their own pages name.
NEWER_THAN_SPEC: Mapping[str, tuple[str, ...]] = {
    # App-level token for Socket Mode: https://api.slack.com/methods/apps.connections.open
    "apps.connections.open": ("connections:write",),
}

# Posting in a public channel the bot is not a member of: https://api.slack.com/scopes/chat:write.public
CHAT_WRITE_PUBLIC = "chat:write.public"
# `users.info` shows `profile.email` only with this one: https://api.slack.com/methods/users.info
USERS_READ_EMAIL = "users:read.email"


class ChannelKind(enum.StrEnum):
    """A conversation's type, named by the scope prefix that governs it."""

    PUBLIC = "channels"
    PRIVATE = "groups"
    IM = "im"
    MPIM = "mpim"


_BY_KIND = frozenset(kind.value for kind in ChannelKind)


def granular(scope: str) -> str:
    """The granular name of a pre-granular scope (`chat:write:bot` → `chat:write`); others unchanged."""
    for suffix in (":bot", ":user"):
        if scope.endswith(suffix) and scope.count(":") == 2:
            return scope.removesuffix(suffix)
    return scope


def _by_kind(scope: str) -> str | None:
    prefix, colon, _ = scope.partition(":")
    return prefix if colon and prefix in _BY_KIND else None


class MissingScope(Exception):
    """The token holds none of the scopes the call accepts: Slack's `missing_scope`, with `needed`/`provided`."""

    def __init__(self, *, needed: tuple[str, ...], provided: tuple[str, ...]) -> None:
        super().__init__(f"missing_scope: needs {','.join(needed)}")
        self.needed = needed
        self.provided = provided

    def body(self) -> dict[str, object]:
        return {"ok": False, "error": "missing_scope", "needed": ",".join(self.needed),
                "provided": ",".join(self.provided)}


class ScopeTable:
    """The scopes each method accepts, in granular names."""

    def __init__(self, methods: Mapping[str, Iterable[str]]) -> None:
        self._methods: dict[str, tuple[str, ...]] = {}
        for method, scopes in methods.items():
            # dict.fromkeys: `chat:write:bot` and `chat:write:user` both become one `chat:write`, order kept.
            self._methods[method] = tuple(dict.fromkeys(granular(scope) for scope in scopes))

    @classmethod
    def load(cls, path: Path = SCOPES_FILE) -> ScopeTable:
        table = json.loads(path.read_text(encoding="utf-8"))
        return cls({**table["methods"], **NEWER_THAN_SPEC})

    def __contains__(self, method: object) -> bool:
        return method in self._methods

    def methods(self) -> frozenset[str]:
        return frozenset(self._methods)

    def accepted(self, method: str, kind: ChannelKind | None = None) -> tuple[str, ...]:
        """The scopes of which the call needs one; () when it needs none. `kind`: the conversation the call is about
        (None when it names none, or one the token cannot see: then every type's scope is listed)."""
        scopes = self._methods[method]
        if kind is None:
            return scopes
        return tuple(scope for scope in scopes if _by_kind(scope) in (None, kind.value))

    def grant(self, method: str, held: frozenset[str], kind: ChannelKind | None = None) -> str | None:
        """The held scope that allows the call (None when it needs none); `MissingScope` when none does."""
        accepted = self.accepted(method, kind)
        if not accepted:
            return None
        for scope in accepted:
            if scope in held:
                return scope
        raise MissingScope(needed=accepted, provided=tuple(sorted(held)))


@cache
def published_scopes() -> ScopeTable:
    """The vendored table, read once per process."""
    return ScopeTable.load()
