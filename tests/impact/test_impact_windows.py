"""The arithmetic of the impact reports, with no database: periods cut on the district's wall
calendar across DST and year ends, and the day a roster reaches its training threshold."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.impact.windows import MAX_PERIODS, earlier, finished_training, periods, training_at

CHICAGO = ZoneInfo("America/Chicago")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_months_begin_at_local_midnight_across_dst_and_the_year_end() -> None:
    months = periods(date(2026, 2, 14), date(2027, 1, 3), "month", CHICAGO)
    assert [m.start for m in months][:3] == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert months[-1].start == date(2027, 1, 1) and months[-2].end == date(2027, 1, 1)
    # CST (UTC-6) before the second Sunday of March, CDT (UTC-5) after.
    assert (months[1].start_at, months[1].end_at) == (at("2026-03-01T06:00"), at("2026-04-01T05:00"))


def test_weeks_start_on_monday_and_a_range_too_long_is_visible() -> None:
    weeks = periods(date(2026, 3, 4), date(2026, 3, 9), "week", CHICAGO)
    assert [(w.start, w.end) for w in weeks] == [
        (date(2026, 3, 2), date(2026, 3, 9)),
        (date(2026, 3, 9), date(2026, 3, 16)),
    ]
    # The week holding the change to DST (Sunday, March 8) is an hour shorter.
    assert (weeks[1].end_at - weeks[1].start_at) - (weeks[0].end_at - weeks[0].start_at) == timedelta(hours=1)
    assert len(periods(date(2020, 1, 1), date(2026, 1, 1), "month", CHICAGO)) == MAX_PERIODS + 1


def test_the_training_date_is_the_kth_earliest_finish() -> None:
    finishes = [at("2026-02-10T18:00"), at("2026-01-19T15:00"), at("2026-02-20T15:00")]
    assert training_at(finishes, 4, 50) == at("2026-02-10T18:00")  # 2 of 4
    assert training_at(finishes, 4, 51) == at("2026-02-20T15:00")  # 3 of 4 (rounded up)
    assert training_at(finishes, 4, 100) is None and training_at([], 0, 10) is None
    assert training_at(finishes, 100, 1) == at("2026-01-19T15:00")  # at least one
    firsts = {"a": at("2026-01-02T00:00"), "b": at("2026-01-05T00:00")}
    assert finished_training(firsts, ["a", "b"]) == at("2026-01-05T00:00")
    assert finished_training(firsts, ["a", "b", "c"]) is None


def test_the_default_range_is_the_last_twelve_periods() -> None:
    assert earlier(date(2026, 12, 3), "month", 11) == date(2026, 1, 1)
    assert earlier(date(2026, 3, 31), "month", 1) == date(2026, 2, 1)
    assert earlier(date(2026, 12, 3), "week", 11) == date(2026, 9, 14)  # a Monday
