"""Fault injection and the request log of the PlanetScale stand-in.

A rule matches by HTTP method and the spec's path template (either may be None for "any"), fires `times` times
(None = until removed) and does one thing: add latency, answer with a status and a PlanetScale-style error body
(429 optionally with `Retry-After`), reset the connection without answering, or hang until released. The first
rule (in the order added) that matches and has uses left is the one applied; a request gets at most one fault.

A client that gives up while a latency or hang fault holds its request (its timeout, or its process stopped) ends
that request there: it is not run, nothing is answered, and its record says `abandoned` with no status.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.sandbox.planetscale import paths

FaultKind = Literal["latency", "status", "reset", "hang"]
ResponseMutator = Callable[[str, str, Any], Any]
"""(method, path template, JSON body) → the body to send instead. Test-only: proves the conformance check bites."""

# PlanetScale-style codes for statuses a test may inject without naming one.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    422: "unprocessable",
    429: "rate_limited",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
}
DEFAULT_HANG_SECONDS = 30.0


@dataclass
class FaultRule:
    kind: FaultKind
    method: str | None
    path: str | None
    times: int | None
    seconds: float = 0.0
    status: int = 500
    code: str = "internal_server_error"
    message: str = "Internal Server Error"
    retry_after: float | None = None
    hits: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, method: str, template: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path == template)


@dataclass
class RequestRecord:
    """One request the stand-in received. Headers are not kept: they carry bearer tokens."""

    method: str
    path: str
    template: str | None  # None when no route matched (a 404 for an unknown path)
    query: str
    request_content_type: str | None
    request_body: bytes
    status: int | None = None  # None when the connection was reset or the client gave up first
    response_content_type: str | None = None
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)
    # The last of the answer's body has been handed to the server: until then, one still being sent is incomplete.
    answered: bool = False
    injected: FaultKind | None = None  # set when a fault rule shaped this exchange
    abandoned: bool = False  # the client disconnected before the answer: no status, and none sent
    user_id: str | None = None  # whose token it carried (the PlanetScale user), once it was accepted


class Faults:
    """The world's fault rules; safe to change from the test thread while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._release = threading.Event()

    def latency(
        self, *, method: str | None = None, path: str | None = None, seconds: float, times: int | None = None
    ) -> FaultRule:
        """Delay matching requests by `seconds`, then answer normally (unless the client leaves first: `hang`)."""
        return self._add(FaultRule(kind="latency", method=method, path=path, times=times, seconds=seconds))

    def error(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """Answer matching requests with `status` and a `{code, message}` body instead of running them."""
        if not 400 <= status <= 599:
            raise ValueError("an injected error status must be 4xx or 5xx")
        default_code = DEFAULT_CODES.get(status, "error")
        return self._add(
            FaultRule(
                kind="status",
                method=method,
                path=path,
                times=times,
                status=status,
                code=code or default_code,
                message=message or default_code.replace("_", " ").capitalize(),
                retry_after=retry_after,
            )
        )

    def rate_limit(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
        times: int | None = None,
    ) -> FaultRule:
        """429 as PlanetScale sends it (600 requests/minute); `retry_after` adds a `Retry-After` header."""
        return self.error(
            method=method,
            path=path,
            status=429,
            code="rate_limited",
            message="Rate limit exceeded. Try again later.",
            retry_after=retry_after,
            times=times,
        )

    def reset(self, *, method: str | None = None, path: str | None = None, times: int | None = None) -> FaultRule:
        """Close the connection (RST) without sending a response."""
        return self._add(FaultRule(kind="reset", method=method, path=path, times=times))

    def hang(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        seconds: float = DEFAULT_HANG_SECONDS,
    ) -> FaultRule:
        """Hold matching requests until `release()` (or `seconds`), then answer normally; a request whose client
        leaves first ends there, unrun (`abandoned`)."""
        self._release.clear()
        return self._add(FaultRule(kind="hang", method=method, path=path, times=times, seconds=seconds))

    def release(self) -> None:
        """Let every hung request continue."""
        self._release.set()

    def wait_released(self, seconds: float) -> bool:
        return self._release.wait(seconds)

    def clear(self) -> None:
        """Remove every rule and release hung requests."""
        with self._lock:
            self._rules.clear()
        self.release()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, template: str | None) -> FaultRule | None:
        """The rule to apply to this request (using up one of its `times`), or None."""
        if template is None:
            return None
        with self._lock:
            for rule in self._rules:
                if not rule.exhausted and rule.matches(method, template):
                    rule.hits += 1
                    return rule
        return None

    def _add(self, rule: FaultRule) -> FaultRule:
        if rule.path is not None and rule.path not in paths.ALL:
            raise ValueError(f"{rule.path!r} is not a path template the stand-in serves (see paths.py)")
        if rule.method is not None and rule.method not in {"GET", "POST", "PATCH", "PUT", "DELETE"}:
            raise ValueError(f"unknown HTTP method {rule.method!r}")
        if rule.times is not None and rule.times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            self._rules.append(rule)
        return rule
