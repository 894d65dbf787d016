"""The arithmetic of "what the training changed", with no I/O and no clock: the windows a
report is cut into (months or weeks in the district's time zone), a school's training date,
and the figures of a window from the tallies the queries return.

A window is whole local days, [start, end): its instants are local midnights turned to UTC, so
a month is a month on the wall calendar across a DST change.
"""

import math
import statistics
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import msgspec

from schemas.impact import (
    Channel,
    DialogueFigures,
    FeedbackFigures,
    Figures,
    ModuleCoverage,
    PeriodUnit,
    ShopperFigures,
)

CHANNELS: tuple[Channel, ...] = get_args(Channel)
MAX_PERIODS = 60
"""Most periods one report covers (five years of months, a year and more of weeks)."""
DEFAULT_PERIODS = 12
"""Periods in a report that names no `from`: the last twelve, up to `to`."""
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 31)
"""The days a report may cover: whole periods and their bounds in UTC stay inside a datetime."""


class Window(msgspec.Struct, frozen=True):
    """Local days [start, end) and the UTC instants they begin and end at."""

    start: date
    end: date
    start_at: datetime
    end_at: datetime


def window(start: date, end: date, zone: ZoneInfo) -> Window:
    return Window(start, end, midnight(start, zone), midnight(end, zone))


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def period_start(day: date, unit: PeriodUnit) -> date:
    """The first day of the month or week (Monday) holding `day`."""
    return day.replace(day=1) if unit == "month" else day - timedelta(days=day.weekday())


def next_start(start: date, unit: PeriodUnit) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def earlier(day: date, unit: PeriodUnit, count: int) -> date:
    """The first day of the period `count` periods before the one holding `day`."""
    start = period_start(day, unit)
    for _ in range(count):
        start = period_start(start - timedelta(days=1), unit)
    return start


def periods(first: date, last: date, unit: PeriodUnit, zone: ZoneInfo) -> list[Window]:
    """The whole months or weeks from the one holding `first` to the one holding `last`
    (at most MAX_PERIODS + 1, so the caller can tell a range that is too long)."""
    out: list[Window] = []
    start = period_start(first, unit)
    while start <= last and len(out) <= MAX_PERIODS:
        end = next_start(start, unit)
        out.append(window(start, end, zone))
        start = end
    return out


def training_at(finished: Sequence[datetime], roster: int, threshold_percent: int) -> datetime | None:
    """When the share of a roster of `roster` people who finished the training first reached
    `threshold_percent`: the k-th earliest finish, k = ceil(roster * threshold / 100) (at least
    one). None when fewer have finished, or there is no roster."""
    if roster <= 0:
        return None
    needed = max(1, math.ceil(roster * threshold_percent / 100))
    if len(finished) < needed:
        return None
    return sorted(finished)[needed - 1]


def finished_training(firsts: dict[str, datetime], modules: Sequence[str]) -> datetime | None:
    """When an employee finished every module in `modules` (their last first completion);
    None while one is missing."""
    if not modules or any(m not in firsts for m in modules):
        return None
    return max(firsts[m] for m in modules)


class Tallies:
    """What the queries counted, keyed by (school, window index), filled as rows arrive."""

    def __init__(self) -> None:
        self.scores: dict[tuple[uuid.UUID, int], list[int]] = {}
        # [opened, closed, closed and resolved on first contact, past due]
        self.dialogues: dict[tuple[uuid.UUID, int], list[int]] = {}
        self.ages: dict[tuple[uuid.UUID, int], list[float]] = {}
        # (school, window, channel) -> (visits, sum of scores)
        self.shoppers: dict[tuple[uuid.UUID, int, str], tuple[int, float]] = {}

    def score(self, school: uuid.UUID, index: int, score: int, count: int) -> None:
        self.scores.setdefault((school, index), [0] * 11)[score] += count

    def dialogue(
        self, school: uuid.UUID, index: int, closed: bool, resolved: bool, past_due: bool, age: float
    ) -> None:
        tally = self.dialogues.setdefault((school, index), [0, 0, 0, 0])
        tally[0] += 1
        tally[1] += closed
        tally[2] += closed and resolved
        tally[3] += past_due
        self.ages.setdefault((school, index), []).append(age)

    def shopper(self, school: uuid.UUID, index: int, channel: str, visits: int, total: float) -> None:
        before = self.shoppers.get((school, index, channel), (0, 0.0))
        self.shoppers[(school, index, channel)] = (before[0] + visits, before[1] + total)


def figures(
    tallies: Tallies,
    school: uuid.UUID,
    index: int,
    span: Window,
    modules: Sequence[str],
    roster_firsts: Iterable[dict[str, datetime]],
    roster: int,
) -> Figures:
    """The figures of one school over one window; coverage as of the window's end."""
    distribution = tallies.scores.get((school, index), [0] * 11)
    answers = sum(distribution)
    opened, closed, resolved, past_due = tallies.dialogues.get((school, index), [0, 0, 0, 0])
    ages = tallies.ages.get((school, index), [])
    completed = dict.fromkeys(modules, 0)
    for firsts in roster_firsts:
        for module_id, at in firsts.items():
            if module_id in completed and at < span.end_at:
                completed[module_id] += 1
    shoppers = []
    for channel in CHANNELS:
        visits, total = tallies.shoppers.get((school, index, channel), (0, 0.0))
        shoppers.append(
            ShopperFigures(
                channel=channel, visits=visits, mean_score=round(total / visits, 1) if visits else None
            )
        )
    return Figures(
        start=span.start,
        end=span.end,
        feedback=FeedbackFigures(
            answers=answers,
            mean_score=round(sum(s * n for s, n in enumerate(distribution)) / answers, 3)
            if answers
            else None,
            distribution=distribution,
        ),
        dialogues=DialogueFigures(
            opened=opened,
            closed=closed,
            past_due=past_due,
            first_contact_resolution_rate=round(resolved / closed, 4) if closed else None,
            median_age_business_hours=round(statistics.median(ages), 2) if ages else None,
            mean_age_business_hours=round(statistics.fmean(ages), 2) if ages else None,
        ),
        shoppers=shoppers,
        coverage=[
            ModuleCoverage(
                module_id=m, completed=completed[m], share=round(completed[m] / roster, 4) if roster else None
            )
            for m in modules
        ],
    )
