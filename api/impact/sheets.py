"""The reports as CSV: one row per school and window, every figure a column (no I/O).

UTF-8 with a header row, as the feedback summary's CSV; an empty cell is null (nothing to
compute from). A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading apostrophe, so no spreadsheet runs a school's name as a formula.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from api.impact.windows import CHANNELS
from schemas.impact import Figures, ImpactBeforeAfter, ImpactTrends


def _columns(modules: Sequence[str]) -> list[str]:
    return [
        "feedback_answers",
        "mean_score",
        *(f"score_{n}" for n in range(11)),
        "dialogues_opened",
        "dialogues_closed",
        "dialogues_past_due",
        "first_contact_resolution_rate",
        "median_age_business_hours",
        "mean_age_business_hours",
        *(f"shopper_{c}_{f}" for c in CHANNELS for f in ("visits", "mean_score")),
        "roster",
        *(f"{m}_{f}" for m in modules for f in ("completed", "share")),
    ]


def _values(f: Figures, roster: int) -> list[object]:
    d = f.dialogues
    return [
        f.feedback.answers,
        f.feedback.mean_score,
        *f.feedback.distribution,
        d.opened,
        d.closed,
        d.past_due,
        d.first_contact_resolution_rate,
        d.median_age_business_hours,
        d.mean_age_business_hours,
        *(v for s in f.shoppers for v in (s.visits, s.mean_score)),
        roster,
        *(v for c in f.coverage for v in (c.completed, c.share)),
    ]


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _write(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return out.getvalue()


def trends_csv(report: ImpactTrends) -> str:
    """A row per school and period, schools by code, periods in time order."""
    header = ["school_code", "school_name", "period_start", "period_end", *_columns(report.modules)]
    return _write(
        header,
        (
            [s.code, s.name, p.start.isoformat(), p.end.isoformat(), *_values(p, s.roster)]
            for s in report.schools
            for p in s.periods
        ),
    )


def before_after_csv(report: ImpactBeforeAfter) -> str:
    """Two rows per school with a training date (`before`, `after`); one with empty figures for
    a school without one, so every school is listed."""
    header = [
        "school_code",
        "school_name",
        "training_date",
        "trained",
        "window",
        "window_start",
        "window_end",
        *_columns(report.modules),
    ]
    rows: list[list[object]] = []
    for s in report.schools:
        lead: list[object] = [s.code, s.name, s.training_date and s.training_date.isoformat(), s.trained]
        if s.before is None or s.after is None:
            rows.append([*lead, "", "", "", *([None] * (len(header) - 7))])
            continue
        for name, f in (("before", s.before), ("after", s.after)):
            rows.append([*lead, name, f.start.isoformat(), f.end.isoformat(), *_values(f, s.roster)])
    return _write(header, rows)
