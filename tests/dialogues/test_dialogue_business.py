"""Business time for dialogues (api/dialogues/business.py): due times and ages in a district's
business hours, Monday to Friday 08:00 to 16:00 in its time zone, across weekends, out of hours
and DST changes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from api.dialogues.business import business_hours, due_at

CHICAGO = ZoneInfo("America/Chicago")
UTC_ZONE = ZoneInfo("UTC")


def local(text: str, zone: ZoneInfo = CHICAGO) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("opened", "days", "due"),
    [
        # 2026-12-07 is a Monday: five business days later is the next Monday, same time.
        ("2026-12-07T10:30", 5, "2026-12-14T10:30"),
        ("2026-12-09T15:59", 1, "2026-12-10T15:59"),
        # Before opening: the count starts at 08:00 and ends at closing time, not next morning.
        ("2026-12-07T06:00", 5, "2026-12-11T16:00"),
        ("2026-12-07T08:00", 1, "2026-12-07T16:00"),
        # After closing, or at it: the count starts at 08:00 the next business day.
        ("2026-12-07T17:45", 1, "2026-12-08T16:00"),
        ("2026-12-07T16:00", 1, "2026-12-08T16:00"),
        # Friday evening, Saturday, Sunday: it starts Monday 08:00.
        ("2026-12-11T18:00", 5, "2026-12-18T16:00"),
        ("2026-12-12T11:00", 5, "2026-12-18T16:00"),
        ("2026-12-13T23:59", 1, "2026-12-14T16:00"),
        # Friday afternoon, one day: Monday afternoon.
        ("2026-12-11T14:00", 1, "2026-12-14T14:00"),
        # Twenty business days: four weeks.
        ("2026-12-08T09:00", 20, "2027-01-05T09:00"),
        ("2026-12-07T10:00", 0, "2026-12-07T10:00"),
    ],
)
def test_due_in_business_days(opened: str, days: int, due: str) -> None:
    assert due_at(local(opened), days, CHICAGO) == local(due).astimezone(UTC)


def test_due_across_the_spring_dst_change_keeps_the_wall_time() -> None:
    # Chicago moves from CST (-6) to CDT (-5) on Sunday 2026-03-08 at 02:00.
    opened = local("2026-03-06T10:00")
    assert opened.utcoffset() != local("2026-03-13T10:00").utcoffset()
    due = due_at(opened, 5, CHICAGO)
    assert due == datetime(2026, 3, 13, 15, 0, tzinfo=UTC)  # 10:00 CDT
    assert business_hours(opened, due, CHICAGO) == 40.0
    # 167 hours of real time went by, not 168: the day lost was a night hour.
    assert (due - opened).total_seconds() == 167 * 3600


def test_due_across_the_autumn_dst_change_keeps_the_wall_time() -> None:
    # Back to CST on Sunday 2026-11-01 at 02:00.
    opened = local("2026-10-30T15:00")
    due = due_at(opened, 1, CHICAGO)
    assert due == datetime(2026, 11, 2, 21, 0, tzinfo=UTC)  # Monday 15:00 CST
    assert business_hours(opened, due, CHICAGO) == 8.0


def test_the_opened_moment_is_read_in_the_districts_zone() -> None:
    # 14:00 UTC on a Monday is 08:00 in Chicago: a full business day remains there; in UTC the
    # count starts at 14:00, with two hours of the day left.
    opened = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
    assert due_at(opened, 1, CHICAGO) == local("2026-12-07T16:00").astimezone(UTC)
    assert due_at(opened, 1, UTC_ZONE) == datetime(2026, 12, 8, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-12-07T09:00", "2026-12-07T11:30", 2.5),
        # Overnight counts nothing; a weekend counts nothing.
        ("2026-12-07T15:00", "2026-12-08T09:00", 2.0),
        ("2026-12-11T15:00", "2026-12-14T09:00", 2.0),
        ("2026-12-12T10:00", "2026-12-13T18:00", 0.0),
        # Out of hours at both ends: whole business days between.
        ("2026-12-06T20:00", "2026-12-12T01:00", 40.0),
        ("2026-12-07T10:00", "2026-12-21T10:00", 80.0),
        # A later start than end is no age at all.
        ("2026-12-08T10:00", "2026-12-07T10:00", 0.0),
    ],
)
def test_age_in_business_hours(start: str, end: str, hours: float) -> None:
    assert business_hours(local(start), local(end), CHICAGO) == hours


@pytest.mark.parametrize("days", [1, 3, 5, 10])
@pytest.mark.parametrize(
    "opened", ["2026-12-07T07:00", "2026-12-09T12:34", "2026-12-11T16:30", "2026-12-13T09:00"]
)
def test_a_dialogue_is_due_when_its_age_reaches_the_days(opened: str, days: int) -> None:
    start = local(opened)
    assert business_hours(start, due_at(start, days, CHICAGO), CHICAGO) == days * 8
