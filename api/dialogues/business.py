"""Business time for dialogues: when one is due and how old it is, counted in the district's
business hours (Monday to Friday, 08:00 to 16:00 in its time zone). Pure: no I/O, no clock.

Both answers go through one count: the business seconds from a fixed Monday to a local wall
time. Counting wall time (not UTC) keeps a business day eight hours long across a DST change,
which happens at night, outside business hours. Holidays are not known yet: every weekday is
a business day.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OPENS = time(8)
CLOSES = time(16)
DAY_SECONDS = 8 * 3600
"""Business seconds in one business day (08:00 to 16:00)."""
DEFAULT_DUE_DAYS = 5
"""A dialogue is due this many business days after it is opened, unless staff say otherwise."""


def _seconds(local: datetime) -> int:
    """Business seconds from 0001-01-01 (a Monday) to the wall time `local` (naive)."""
    weeks, weekday = divmod(local.date().toordinal() - 1, 7)
    seconds = (weeks * 5 + min(weekday, 5)) * DAY_SECONDS
    if weekday < 5:
        into = local - datetime.combine(local.date(), OPENS)
        seconds += int(min(max(into.total_seconds(), 0), DAY_SECONDS))
    return seconds


def _wall(seconds: int) -> datetime:
    """The earliest wall time with `seconds` business seconds before it, except that the end of
    a business day is given as its 16:00, not the next business day's 08:00."""
    days, into = divmod(seconds, DAY_SECONDS)
    if into == 0 and days > 0:
        days, into = days - 1, DAY_SECONDS
    weeks, weekday = divmod(days, 5)
    day = date.fromordinal(weeks * 7 + weekday + 1)
    return datetime.combine(day, OPENS) + timedelta(seconds=into)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def due_at(opened: datetime, days: int, zone: ZoneInfo) -> datetime:
    """When a dialogue opened at `opened` (aware) is due: `days` business days of business time
    later, in UTC. Opened out of hours, the count starts when business next opens, and a count
    that ends at closing time is due at 16:00 (not 08:00 the next business day)."""
    wall = _wall(_seconds(_local(opened, zone)) + days * DAY_SECONDS)
    return wall.replace(tzinfo=zone).astimezone(UTC)


def business_hours(start: datetime, end: datetime, zone: ZoneInfo) -> float:
    """Business hours from `start` to `end` (both aware) in `zone`; 0 when end is not after start."""
    if end <= start:
        return 0.0
    seconds = _seconds(_local(end, zone)) - _seconds(_local(start, zone))
    return round(max(seconds, 0) / 3600, 2)
