"""What the training changed, read for one district: the service figures per school and per
window (months or weeks, or the windows before and after each school's training date) beside
the share of its roster who had completed each module.

Four queries answer a report (besides the district's zone, schools and roster), each over
the district's rows in the report's span only, with each row's window found in SQL (a CASE
over the windows' UTC bounds, so DST and month lengths were settled in Python once): the
feedback scores grouped by school, window and score; the secret-shopper visits grouped by
school, window and channel; the dialogues streamed (their ages are business hours, which
portable SQL can't count: api/dialogues/business.py, the inbox's own count); and each roster
employee's first completion of each module. A roster employee belongs
to the feedback school whose code is their school code.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.services import district_zone
from api.completions.records import Filters, record_query, resolved_roster
from api.db import Sessions
from api.dialogues.business import business_hours
from api.errors import InvalidInput, NotFound
from api.http.params import moment
from api.impact.windows import (
    DEFAULT_PERIODS,
    FIRST_DAY,
    LAST_DAY,
    MAX_PERIODS,
    Tallies,
    Window,
    earlier,
    figures,
    finished_training,
    local_day,
    periods,
    training_at,
    window,
)
from api.models import (
    Completion,
    Dialogue,
    FeedbackAnswer,
    FeedbackSchool,
    RosterEmployee,
    ShopperVisit,
    utcnow,
)
from api.roster.services import CHASED_STATUSES
from schemas.impact import (
    ImpactBeforeAfter,
    ImpactTrends,
    PeriodUnit,
    SchoolBeforeAfter,
    SchoolTrainingDate,
    SchoolTrend,
    TrainingDateSet,
)
from schemas.problem import FieldError

# (school or None for every school, window): a report's spans, indexed by position.
Span = tuple[uuid.UUID | None, Window]
Firsts = dict[uuid.UUID, dict[str, datetime]]


def _which(school: Any, at: Any, spans: Sequence[Span]) -> ColumnElement[Any]:
    """The index of the span a row falls in (NULL: none), as one CASE."""
    if all(s is None for s, _ in spans):
        # Shared, consecutive windows: the first end the row is before.
        return case(*((at < w.end_at, i) for i, (_, w) in enumerate(spans)), else_=None)
    return case(
        *((and_(school == s, at >= w.start_at, at < w.end_at), i) for i, (s, w) in enumerate(spans)),
        else_=None,
    )


class Impact:
    """One district's comparisons of service figures with training coverage."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID, modules: Sequence[str]) -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.modules = list(modules)

    async def trends(
        self,
        unit: PeriodUnit,
        start_text: str | None,
        end_text: str | None,
        school_id: uuid.UUID | None,
    ) -> ImpactTrends:
        """Per school and per month or week from `from` to `to` (`to` exclusive; default: the
        last 12 up to now), whole periods."""
        now = utcnow()
        async with self.sessions() as session:
            zone = await district_zone(session, self.district_id)
            start, end = moment(start_text, "from", zone), moment(end_text, "to", zone)
            last = local_day((end - timedelta(microseconds=1)) if end else now, zone)
            first = local_day(start, zone) if start else earlier(last, unit, DEFAULT_PERIODS - 1)
            if not (FIRST_DAY <= first <= last <= LAST_DAY):
                raise InvalidInput(
                    f"`from` must come before `to`, both between {FIRST_DAY} and {LAST_DAY}.",
                    errors=[FieldError(field="from", message="after `to`, or out of range")],
                )
            windows = periods(first, last, unit, zone)
            if len(windows) > MAX_PERIODS:
                raise InvalidInput(
                    f"That range holds more than {MAX_PERIODS} {unit}s; narrow `from` and `to`.",
                    errors=[FieldError(field="from", message=f"more than {MAX_PERIODS} periods")],
                )
            schools = await self._schools(session, school_id)
            spans: list[Span] = [(None, w) for w in windows]
            tallies, firsts, roster = await self._read(session, spans, [s.id for s in schools], now, zone)
        return ImpactTrends(
            period=unit,
            time_zone=zone.key,
            start=windows[0].start,
            end=windows[-1].end,
            as_of=now,
            modules=self.modules,
            schools=[
                SchoolTrend(
                    school_id=s.id,
                    code=s.code,
                    name=s.name,
                    roster=len(roster[s.code]),
                    periods=[
                        figures(
                            tallies,
                            s.id,
                            i,
                            w,
                            self.modules,
                            [firsts.get(e, {}) for e in roster[s.code]],
                            len(roster[s.code]),
                        )
                        for i, w in enumerate(windows)
                    ],
                )
                for s in schools
            ],
        )

    async def before_after(
        self, threshold: int, module: str | None, days: int, school_id: uuid.UUID | None
    ) -> ImpactBeforeAfter:
        """Per school: `days` days before and after the day `threshold` percent of its roster
        had finished the training (`module`, or every module of the course)."""
        if module is not None and module not in self.modules:
            raise InvalidInput(
                f"{module!r} is not a module of the course; use one of {', '.join(self.modules)}.",
                errors=[FieldError(field="module", message="not a module of the course")],
            )
        training = [module] if module else self.modules
        now = utcnow()
        async with self.sessions() as session:
            zone = await district_zone(session, self.district_id)
            schools = await self._schools(session, school_id)
            firsts, roster = await self._coverage(session)
            # school -> (how many finished, training date, index of its `before` span)
            dates: dict[uuid.UUID, tuple[int, date | None, int | None]] = {}
            spans: list[Span] = []
            for s in schools:
                finished = [
                    at for e in roster[s.code] if (at := finished_training(firsts.get(e, {}), training))
                ]
                reached = training_at(finished, len(roster[s.code]), threshold)
                if s.training_on is not None:
                    day = s.training_on  # HR's date wins over the computed one
                elif reached is None:
                    dates[s.id] = (len(finished), None, None)
                    continue
                else:
                    day = local_day(reached, zone)
                before = window(day - timedelta(days=days), day, zone)
                after = window(day, day + timedelta(days=days), zone)
                dates[s.id] = (len(finished), day, len(spans))
                spans += [(s.id, before), (s.id, after)]
            tallies = Tallies()
            if spans:
                await self._tally(session, tallies, spans, [s.id for s in schools], now, zone)
        out = []
        for s in schools:
            trained, reached_on, index = dates[s.id]
            people = [firsts.get(e, {}) for e in roster[s.code]]
            indexes: tuple[int, ...] = (index, index + 1) if index is not None else ()
            pair = [
                figures(tallies, s.id, i, spans[i][1], self.modules, people, len(people)) for i in indexes
            ]
            out.append(
                SchoolBeforeAfter(
                    school_id=s.id,
                    code=s.code,
                    name=s.name,
                    roster=len(people),
                    trained=trained,
                    training_date=reached_on,
                    training_date_set=s.training_on is not None,
                    before=pair[0] if pair else None,
                    after=pair[1] if pair else None,
                )
            )
        return ImpactBeforeAfter(
            threshold_percent=threshold,
            module=module,
            days=days,
            time_zone=zone.key,
            as_of=now,
            modules=self.modules,
            schools=out,
        )

    async def set_training_date(self, school_id: uuid.UUID, body: TrainingDateSet) -> SchoolTrainingDate:
        """Set (or with null, clear) the school's training date; NotFound outside the district."""
        day = body.training_on
        if day is not None and not FIRST_DAY + timedelta(days=366) <= day <= LAST_DAY - timedelta(days=366):
            raise InvalidInput(
                "The training date must be a real day of the school's history, well inside "
                f"{FIRST_DAY} to {LAST_DAY}.",
                errors=[FieldError(field="$.training_on", message="out of range")],
            )
        async with self.sessions.begin() as session:
            (school,) = await self._schools(session, school_id)
            school.training_on = day
            return SchoolTrainingDate(
                school_id=school.id, code=school.code, name=school.name, training_on=school.training_on
            )

    async def _schools(self, session: AsyncSession, school_id: uuid.UUID | None) -> list[FeedbackSchool]:
        query = select(FeedbackSchool).where(FeedbackSchool.district_id == self.district_id)
        if school_id is not None:
            query = query.where(FeedbackSchool.id == school_id)
        schools = list(await session.scalars(query.order_by(FeedbackSchool.code)))
        if school_id is not None and not schools:
            raise NotFound("No school with a feedback link has this id in your district.")
        return schools

    async def _read(
        self,
        session: AsyncSession,
        spans: list[Span],
        schools: list[uuid.UUID],
        now: datetime,
        zone: ZoneInfo,
    ) -> tuple[Tallies, Firsts, dict[str, list[uuid.UUID]]]:
        tallies = Tallies()
        if schools:
            await self._tally(session, tallies, spans, schools, now, zone)
        firsts, roster = await self._coverage(session)
        return tallies, firsts, roster

    async def _tally(
        self,
        session: AsyncSession,
        tallies: Tallies,
        spans: list[Span],
        schools: list[uuid.UUID],
        now: datetime,
        zone: ZoneInfo,
    ) -> None:
        """The feedback, shopper and dialogue figures of every span, into `tallies`."""
        low = min(w.start_at for _, w in spans)
        high = max(w.end_at for _, w in spans)

        def narrowed(model: Any, at: Any) -> list[ColumnElement[bool]]:
            where = [model.district_id == self.district_id, at >= low, at < high]
            return [*where, model.school_id.in_(schools)]

        answer_span = _which(FeedbackAnswer.school_id, FeedbackAnswer.received_at, spans).label("span")
        scores = (
            select(FeedbackAnswer.school_id, answer_span, FeedbackAnswer.score, func.count())
            .where(*narrowed(FeedbackAnswer, FeedbackAnswer.received_at))
            .group_by(FeedbackAnswer.school_id, answer_span, FeedbackAnswer.score)
        )
        for school, index, score, count in await session.execute(scores):
            if index is not None:
                tallies.score(school, index, score, count)
        visit_span = _which(ShopperVisit.school_id, ShopperVisit.visited_at, spans).label("span")
        visits = (
            select(
                ShopperVisit.school_id,
                visit_span,
                ShopperVisit.channel,
                func.count(),
                func.sum(ShopperVisit.score),
            )
            .where(*narrowed(ShopperVisit, ShopperVisit.visited_at))
            .group_by(ShopperVisit.school_id, visit_span, ShopperVisit.channel)
        )
        for school, index, channel, count, total in await session.execute(visits):
            if index is not None:
                tallies.shopper(school, index, channel, count, float(total))
        dialogue_span = _which(Dialogue.school_id, Dialogue.opened_at, spans).label("span")
        dialogues = select(
            Dialogue.school_id,
            dialogue_span,
            Dialogue.opened_at,
            Dialogue.closed_at,
            Dialogue.due_at,
            Dialogue.first_contact_resolved,
        ).where(*narrowed(Dialogue, Dialogue.opened_at))
        result = await session.stream(dialogues.execution_options(yield_per=5000))
        async for rows in result.partitions():
            for school, index, opened_at, closed_at, due, resolved in rows:
                if index is None:
                    continue
                end = closed_at or now
                past_due = due < closed_at if closed_at is not None else due <= now
                tallies.dialogue(
                    school,
                    index,
                    closed_at is not None,
                    resolved,
                    past_due,
                    business_hours(opened_at, end, zone),
                )

    async def _coverage(self, session: AsyncSession) -> tuple[Firsts, dict[str, list[uuid.UUID]]]:
        """Each roster employee's first live completion of each module, and the roster (active
        or on leave) by school code."""
        query = (
            record_query(self.district_id, Filters(status="completed"))
            .with_only_columns(resolved_roster, Completion.module_id, func.min(Completion.completed_at))
            .where(resolved_roster.is_not(None))
            .group_by(resolved_roster, Completion.module_id)
        )
        firsts: Firsts = defaultdict(dict)
        for employee, module_id, at in await session.execute(query):
            firsts[employee][module_id] = at
        roster: dict[str, list[uuid.UUID]] = defaultdict(list)
        people = select(RosterEmployee.id, RosterEmployee.school_code).where(
            RosterEmployee.district_id == self.district_id, RosterEmployee.status.in_(CHASED_STATUSES)
        )
        for employee, code in await session.execute(people):
            roster[code].append(employee)
        return firsts, roster
