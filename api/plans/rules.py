"""What a plan item's dates are, and the draft items a learner's action plan makes: no I/O."""

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import msgspec

from api.http.params import is_plain_date

MODULE_ID = "measuring-and-improving"
FORM_ID = "action-plan"
TEAM_ITEM = "team-plan"
"""Module 5's action-plan worksheet and its campus-team table: the only part a learner shares
(their personal plan stays theirs)."""

# The team table's columns, by the plan item field each fills.
_COLUMNS = {
    "what": "what",
    "first_step": "first-step",
    "by_when": "by-when",
    "who": "who-helps",
    "how_we_know": "how-we-know",
}
_LIMITS = {"what": 300, "first_step": 300, "by_when": 60, "who": 150, "how_we_know": 300}


class DraftRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a learner's campus-team table, as a plan item's texts."""

    row: int
    what: str
    first_step: str
    who: str
    by_when: str
    how_we_know: str


def due_on(by_when: str) -> date | None:
    """`by_when` as a date when it is written as one (YYYY-MM-DD), else None."""
    text = by_when.strip()
    if not is_plain_date(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def today_in(zone: tzinfo, now: datetime) -> date:
    return now.astimezone(zone).date()


def remeasure_on(planned_on: date, days: int) -> date:
    return planned_on + timedelta(days=days)


def day_starts(day: date, zone: tzinfo) -> datetime:
    """The instant `day` begins in `zone`, in UTC: when its re-measure reminder is due."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def remeasure_in_range(planned_on: date, day: date) -> bool:
    return timedelta(days=30) <= day - planned_on <= timedelta(days=60)


def team_rows(answers: Mapping[str, Any]) -> list[DraftRow]:
    """The campus-team rows of a submitted action plan that say what to do, in order. Texts are
    trimmed to the plan item's limits (the form's own limits already hold them within)."""
    rows = answers.get(TEAM_ITEM)
    if not isinstance(rows, list):
        return []
    drafts = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        texts = {
            field: str(row.get(column) or "").strip()[: _LIMITS[field]] for field, column in _COLUMNS.items()
        }
        if texts["what"]:
            drafts.append(DraftRow(row=i, **texts))
    return drafts
