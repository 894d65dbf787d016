"""The retry schedule of api.outbox.retry: waits, jitter, Retry-After, and response classes."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from api.outbox.retry import SCHEDULE, classify, next_attempt_at

FAILED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_schedule_is_the_standard_webhooks_one() -> None:
    standard = (
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
    assert standard == SCHEDULE


@pytest.mark.parametrize("attempt", range(1, len(SCHEDULE)))
def test_each_wait_is_the_scheduled_one_within_ten_percent(attempt: int) -> None:
    rng = random.Random(attempt)
    for _ in range(200):
        at = next_attempt_at(attempt, FAILED_AT, None, rng)
        assert at is not None
        wait = at - FAILED_AT
        assert SCHEDULE[attempt] * 0.9 <= wait <= SCHEDULE[attempt] * 1.1


def test_jitter_spreads_deliveries_that_failed_together() -> None:
    rng = random.Random(7)
    times = {next_attempt_at(4, FAILED_AT, None, rng) for _ in range(20)}
    assert len(times) == 20


def test_the_same_rng_seed_gives_the_same_time() -> None:
    assert next_attempt_at(3, FAILED_AT, None, random.Random(1)) == next_attempt_at(
        3, FAILED_AT, None, random.Random(1)
    )


def test_without_an_rng_the_wait_is_still_within_bounds() -> None:
    at = next_attempt_at(1, FAILED_AT, None)
    assert at is not None
    assert timedelta(seconds=4.5) <= at - FAILED_AT <= timedelta(seconds=5.5)


def test_no_attempt_after_the_last() -> None:
    assert next_attempt_at(len(SCHEDULE) - 1, FAILED_AT, None) is not None
    assert next_attempt_at(len(SCHEDULE), FAILED_AT, None) is None
    assert next_attempt_at(len(SCHEDULE) + 5, FAILED_AT, "60") is None


def test_a_longer_retry_after_in_seconds_is_honoured() -> None:
    assert next_attempt_at(1, FAILED_AT, "120", random.Random(0)) == FAILED_AT + timedelta(seconds=120)
    assert next_attempt_at(1, FAILED_AT, " 120 ", random.Random(0)) == FAILED_AT + timedelta(seconds=120)


def test_a_shorter_retry_after_does_not_hurry_the_schedule() -> None:
    at = next_attempt_at(3, FAILED_AT, "1", random.Random(0))
    assert at is not None
    assert at - FAILED_AT >= timedelta(minutes=27)


def test_a_retry_after_date_is_honoured() -> None:
    later = FAILED_AT + timedelta(hours=3)
    assert next_attempt_at(2, FAILED_AT, format_datetime(later, usegmt=True), random.Random(0)) == later
    assert next_attempt_at(2, FAILED_AT, "Mon, 02 Mar 2026 12:30:00 GMT", random.Random(0)) == later


def test_a_retry_after_date_in_the_past_is_ignored() -> None:
    at = next_attempt_at(2, FAILED_AT, "Mon, 02 Mar 2026 08:00:00 GMT", random.Random(0))
    assert at is not None
    assert timedelta(minutes=4.5) <= at - FAILED_AT <= timedelta(minutes=5.5)


@pytest.mark.parametrize("retry_after", ["999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_retry_after_is_capped_at_a_day(retry_after: str) -> None:
    assert next_attempt_at(1, FAILED_AT, retry_after, random.Random(0)) == FAILED_AT + timedelta(hours=24)


def test_the_cap_does_not_shorten_the_schedule() -> None:
    # The last wait is 24 h ± 10%; a Retry-After capped at 24 h may lengthen it but never shorten it.
    day_later = FAILED_AT + timedelta(hours=24)
    scheduled = [next_attempt_at(9, FAILED_AT, None, random.Random(seed)) for seed in range(20)]
    asked = [next_attempt_at(9, FAILED_AT, "999999", random.Random(seed)) for seed in range(20)]
    assert any(at is not None and at > day_later for at in scheduled)
    assert asked == [max(at, day_later) if at is not None else None for at in scheduled]


@pytest.mark.parametrize("retry_after", ["", "soon", "-5", "1.5", "²", "Mon, 32 Foo 2026"])
def test_an_unreadable_retry_after_is_ignored(retry_after: str) -> None:
    assert next_attempt_at(2, FAILED_AT, retry_after, random.Random(5)) == next_attempt_at(
        2, FAILED_AT, None, random.Random(5)
    )


def test_failed_at_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_attempt_at(1, datetime(2026, 3, 2, 9, 30), None)


@pytest.mark.parametrize("attempt", [0, -1])
def test_attempts_are_numbered_from_one(attempt: int) -> None:
    with pytest.raises(ValueError, match="start at 1"):
        next_attempt_at(attempt, FAILED_AT, None)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "success"),
        (201, "success"),
        (204, "success"),
        (299, "success"),
        (410, "gone"),
        (None, "retry"),
        (100, "retry"),
        (301, "retry"),
        (304, "retry"),
        (400, "retry"),
        (401, "retry"),
        (404, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
    ],
)
def test_classify(status: int | None, outcome: str) -> None:
    assert classify(status) == outcome
