"""The retry decision on its own: what is retried, how long it waits, when it gives up."""

from __future__ import annotations

import pytest

from bot.planetscale import (
    AccessUnavailable,
    BadRequest,
    ConnectionFailed,
    NotFound,
    NotLinked,
    PlanetScaleError,
    RateLimited,
    RetryPolicy,
    ServerError,
    Timeout,
    Unauthorized,
    Unprocessable,
)

WHERE = {"method": "GET", "path": "/x"}


def status_error(
    error_class: type[PlanetScaleError], status: int, *, retry_after: float | None = None
) -> PlanetScaleError:
    return error_class("boom", method="GET", path="/x", status=status, retry_after=retry_after)


@pytest.mark.parametrize(
    ("method", "error", "retryable"),
    [
        ("GET", status_error(RateLimited, 429), True),
        ("POST", status_error(RateLimited, 429), True),  # refused before acting: nothing happened
        ("GET", status_error(ServerError, 500), True),
        ("GET", status_error(ServerError, 503), True),
        ("POST", status_error(ServerError, 500), False),
        ("PATCH", status_error(ServerError, 502), False),
        ("DELETE", status_error(ServerError, 500), False),
        ("GET", ConnectionFailed("x", **WHERE, request_sent=True), True),
        ("POST", ConnectionFailed("x", **WHERE, request_sent=True), False),
        ("POST", ConnectionFailed("x", **WHERE, request_sent=False), True),
        ("GET", Timeout("x", **WHERE, request_sent=True), True),
        ("POST", Timeout("x", **WHERE, request_sent=True), False),  # a read timeout: it may have acted
        ("DELETE", Timeout("x", **WHERE, request_sent=False), True),  # connect or pool timeout: never left
        ("GET", status_error(NotFound, 404), False),
        ("GET", status_error(Unauthorized, 401), False),
        ("GET", NotLinked("x", **WHERE), False),  # linking again takes a person
        ("POST", AccessUnavailable("x", **WHERE), True),  # no token yet, so nothing was sent
        ("GET", status_error(BadRequest, 400), False),
        ("POST", status_error(Unprocessable, 422), False),
        (
            "GET",
            RateLimited("paced", method="GET", path="/x", code="paced"),
            False,
        ),  # the bot's own pacing ran out of time
    ],
)
def test_what_is_retried(method: str, error: PlanetScaleError, retryable: bool) -> None:
    assert RetryPolicy().is_retryable(method, error) is retryable


def test_backoff_doubles_up_to_the_cap_with_jitter_below_it() -> None:
    error = status_error(ServerError, 500)
    steady = RetryPolicy(jitter=lambda: 0.0, max_delay=4.0)
    assert [steady.backoff(number, error) for number in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    jittered = RetryPolicy(jitter=lambda: 0.999)
    assert 0.375 <= jittered.backoff(1, error) < 0.5


def test_retry_after_is_honoured_exactly() -> None:
    assert RetryPolicy(jitter=lambda: 0.5).backoff(1, status_error(RateLimited, 429, retry_after=7.0)) == 7.0


def test_gives_up_after_max_retries_or_when_the_wait_does_not_fit_the_budget() -> None:
    policy = RetryPolicy(max_retries=2, jitter=lambda: 0.0)
    error = status_error(ServerError, 500)
    assert policy.next_delay(method="GET", error=error, retries_done=1, remaining=5.0) == 1.0
    assert policy.next_delay(method="GET", error=error, retries_done=2, remaining=5.0) is None
    assert policy.next_delay(method="GET", error=error, retries_done=1, remaining=0.9) is None
    slow = status_error(RateLimited, 429, retry_after=30.0)
    assert policy.next_delay(method="GET", error=slow, retries_done=0, remaining=10.0) is None
