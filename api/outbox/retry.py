"""When a failed webhook delivery is tried again, and what a response status means for it.

The schedule is the one the Standard Webhooks spec recommends; a delivery that fails every attempt
is given up about 75 hours after its first attempt.
"""

import email.utils
import random
from datetime import UTC, datetime, timedelta
from typing import Literal

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
"""The wait before each attempt: attempt 1 is immediate; after attempt n fails, the next waits SCHEDULE[n]."""

JITTER = 0.1
"""Each wait is stretched or shrunk by up to this fraction, so deliveries failed together spread out."""

MAX_RETRY_AFTER = timedelta(hours=24)
"""The longest wait a receiver's `Retry-After` can ask for."""


def _retry_after(value: str, now: datetime) -> timedelta | None:
    """The wait a `Retry-After` value asks for (delay-seconds or an HTTP-date), or None if unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Capped before building the timedelta, which overflows for absurd values.
        return timedelta(seconds=min(int(value), int(MAX_RETRY_AFTER.total_seconds())))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # parsedate_to_datetime leaves "-0000" naive; HTTP-dates are always GMT.
        when = when.replace(tzinfo=UTC)
    return when - now


def next_attempt_at(
    attempt_number: int, failed_at: datetime, retry_after: str | None, rng: random.Random | None = None
) -> datetime | None:
    """When to make the attempt after attempt `attempt_number` (1-based) failed at `failed_at`.

    None once the last attempt of SCHEDULE has failed. Otherwise the scheduled wait, with up to 10%
    jitter either way, or longer if the response's `Retry-After` asked for longer (at most 24 hours).
    `failed_at` must be timezone-aware.
    """
    if attempt_number < 1:
        raise ValueError(f"attempt numbers start at 1, not {attempt_number}")
    if failed_at.tzinfo is None:
        raise ValueError("failed_at must be timezone-aware")
    if attempt_number >= len(SCHEDULE):
        return None
    uniform = rng.uniform if rng is not None else random.uniform
    wait = SCHEDULE[attempt_number] * uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        asked = _retry_after(retry_after, failed_at)
        if asked is not None:
            wait = max(wait, min(asked, MAX_RETRY_AFTER))
    return failed_at + wait


def classify(status: int | None) -> Literal["success", "retry", "gone"]:
    """What a delivery's outcome means: `status` is the response's, or None if none came (timeout,
    connection error).

    2xx is success. 410 Gone is the receiver saying the endpoint no longer exists, so it is disabled
    rather than retried. Everything else, redirects included, is retried.
    """
    if status is None:
        return "retry"
    if 200 <= status <= 299:
        return "success"
    if status == 410:
        return "gone"
    return "retry"
