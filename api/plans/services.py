"""Plans' units of work: a district's plan settings, plan items made by staff, changed and read
back in pages, the figures per school, a learner's action plan shared as drafts, and the
re-measure sweep (`plan.due`).

Every query is narrowed by the caller's district; an item of another district is NotFound, and
another district's school is not one the caller can plan for. A learner's share carries the
text and the school, and the learner's name only when they ask for it.
"""

import uuid
from collections import defaultdict
from datetime import datetime

import msgspec
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.services import district_zone
from api.db import Sessions
from api.errors import BadRequest, Conflict, InvalidInput, NotFound
from api.http import cursors
from api.models import Attempt, FeedbackSchool, Learner, PlanItem, PlanSetting, table, utcnow
from api.plans import rules
from api.rows import newest_first_after, notify_marked, with_school
from schemas.events import PlanDue
from schemas.plans import (
    REMEASURE_DEFAULT,
    ActionPlanShare,
    ActionPlanShared,
    PlanItemChange,
    PlanItemCreate,
    PlanItemView,
    PlanPage,
    PlanSchool,
    PlanSchoolFigures,
    PlanSettings,
    PlanSource,
    PlanStatus,
    PlanSummary,
)
from schemas.problem import FieldError

REMINDED = ("open", "done")
NO_ITEM = "No plan item has this id in your district; list them with GET /api/v1/plans."
"""The statuses whose re-measure date sends `plan.due`: a done step is the one worth measuring
again; a draft is not a plan yet, a dropped one no longer."""


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What a listing is narrowed to; `scope` binds a cursor to the filters it was made for."""

    school_id: uuid.UUID | None = None
    status: PlanStatus | None = None
    source: PlanSource | None = None

    def scope(self) -> str:
        return msgspec.json.encode(self).decode()


def _school(school: FeedbackSchool) -> PlanSchool:
    return PlanSchool(id=school.id, code=school.code, name=school.name)


def _view(row: PlanItem, school: FeedbackSchool) -> PlanItemView:
    """The row as its view: the view's fields only, so a column such as `attempt_id` is never shown."""
    fields = {name: getattr(row, name) for name in PlanItemView.__struct_fields__ if name != "school"}
    return msgspec.convert({**fields, "school": _school(school)}, PlanItemView, from_attributes=True)


async def remeasure_days(session: AsyncSession, district_id: uuid.UUID) -> int:
    days = await session.scalar(
        select(PlanSetting.remeasure_days).where(PlanSetting.district_id == district_id)
    )
    return days or REMEASURE_DEFAULT


class Plans:
    """A district's campus action plans."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID, secret: str) -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.secret = secret

    # --- settings ----------------------------------------------------------------------------

    async def settings(self) -> PlanSettings:
        async with self.sessions() as session:
            return PlanSettings(remeasure_days=await remeasure_days(session, self.district_id))

    async def set_settings(self, body: PlanSettings) -> PlanSettings:
        """Set the days to the re-measure date of items planned from now on (those made keep theirs)."""
        async with self.sessions.begin() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            # An upsert, so two first settings at once can't both insert.
            await session.execute(
                dialect.insert(PlanSetting)
                .values(district_id=self.district_id, remeasure_days=body.remeasure_days)
                .on_conflict_do_update(
                    index_elements=[PlanSetting.district_id],
                    set_={"remeasure_days": body.remeasure_days},
                )
            )
        return body

    # --- items -------------------------------------------------------------------------------

    async def create(self, body: PlanItemCreate) -> PlanItemView:
        """An item staff make, `open` from today; InvalidInput (nothing written) for a school
        that is not the district's."""
        now = utcnow()
        async with self.sessions.begin() as session:
            found = await session.get(FeedbackSchool, body.school_id)
            if found is None or found.district_id != self.district_id:
                raise InvalidInput(
                    "No school with this id in your district; list them with GET /api/v1/feedback/schools.",
                    errors=[FieldError(field="$.school_id", message="is not a school of your district")],
                )
            zone = await district_zone(session, self.district_id)
            planned_on = rules.today_in(zone, now)
            days = body.remeasure_in_days or await remeasure_days(session, self.district_id)
            remeasure = rules.remeasure_on(planned_on, days)
            row = PlanItem(
                id=uuid.uuid4(),
                district_id=self.district_id,
                school_id=found.id,
                source="staff",
                status="open",
                what=body.what,
                first_step=body.first_step,
                who=body.who,
                by_when=body.by_when,
                due_on=rules.due_on(body.by_when),
                how_we_know=body.how_we_know,
                follow_up_on=body.follow_up_on,
                planned_on=planned_on,
                remeasure_on=remeasure,
                remeasure_at=rules.day_starts(remeasure, zone),
                plan_due_notice_at=None,
                created_by=body.created_by,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            return _view(row, found)

    async def page(self, filters: Filters, cursor: str | None, limit: int) -> PlanPage:
        """One page of the district's items, newest first; new items never shift a cursor."""
        query = (
            select(PlanItem, FeedbackSchool)
            .join(FeedbackSchool, FeedbackSchool.id == PlanItem.school_id)
            .where(PlanItem.district_id == self.district_id)
        )
        if filters.school_id is not None:
            query = query.where(PlanItem.school_id == filters.school_id)
        if filters.status is not None:
            query = query.where(PlanItem.status == filters.status)
        if filters.source is not None:
            query = query.where(PlanItem.source == filters.source)
        if cursor:
            position = cursors.decode(self.secret, "plans", self.district_id, filters.scope(), cursor)
            try:
                when, last = datetime.fromisoformat(position[0]), uuid.UUID(position[1])
            except (IndexError, TypeError, ValueError):
                raise BadRequest("The cursor is not valid; start again without one.") from None
            query = query.where(newest_first_after(PlanItem.created_at, PlanItem.id, when, last))
        query = query.order_by(PlanItem.created_at.desc(), PlanItem.id.desc()).limit(limit + 1)
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        items = [_view(row, school) for row, school in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_row = rows[limit - 1][0]
            next_cursor = cursors.encode(
                self.secret,
                "plans",
                self.district_id,
                filters.scope(),
                [last_row.created_at.isoformat(), str(last_row.id)],
            )
        return PlanPage(items=items, next_cursor=next_cursor)

    async def get(self, item_id: uuid.UUID) -> PlanItemView:
        async with self.sessions() as session:
            row, school = await with_school(session, PlanItem, item_id, self.district_id, NO_ITEM)
            return _view(row, school)

    async def change(self, item_id: uuid.UUID, body: PlanItemChange) -> PlanItemView:
        """Change an item's texts, status or dates. A draft set `open` (or `done`) is adopted:
        planned today, its re-measure date counted from today unless `remeasure_on` is given.
        InvalidInput for a re-measure date outside 30-60 days of planning, Conflict for moving
        one whose reminder has gone out; nothing is written either way."""
        now = utcnow()
        async with self.sessions.begin() as session:
            row, school = await with_school(session, PlanItem, item_id, self.district_id, NO_ITEM, lock=True)
            zone = await district_zone(session, self.district_id)
            planned_on, remeasure = row.planned_on, row.remeasure_on
            if row.status == "draft" and body.status in REMINDED:
                planned_on = rules.today_in(zone, now)
                remeasure = rules.remeasure_on(planned_on, await remeasure_days(session, self.district_id))
            if body.remeasure_on is not None:
                if not rules.remeasure_in_range(planned_on, body.remeasure_on):
                    raise InvalidInput(
                        f"The re-measure date must be 30 to 60 days after the item was planned "
                        f"({planned_on.isoformat()}).",
                        errors=[
                            FieldError(
                                field="$.remeasure_on",
                                message=f"must be from {rules.remeasure_on(planned_on, 30)} to "
                                f"{rules.remeasure_on(planned_on, 60)}",
                            )
                        ],
                    )
                remeasure = body.remeasure_on
            if remeasure != row.remeasure_on and row.plan_due_notice_at is not None:
                raise Conflict(
                    "This item's re-measure reminder (plan.due) has already gone out, so its date "
                    "stays; make a new item for another round of measuring."
                )
            for field in ("what", "first_step", "who", "how_we_know", "follow_up_on", "status"):
                value = getattr(body, field)
                if value is not None:
                    setattr(row, field, value)
            if body.by_when is not None:
                row.by_when = body.by_when
                row.due_on = rules.due_on(body.by_when)
            if remeasure != row.remeasure_on or planned_on != row.planned_on:
                row.planned_on = planned_on
                row.remeasure_on = remeasure
                row.remeasure_at = rules.day_starts(remeasure, zone)
            row.updated_at = now
            await session.flush()
            return _view(row, school)

    async def summary(self) -> PlanSummary:
        """Per school of the district: items by status, and the open or done ones whose
        re-measure date has come, from one grouped query."""
        now = utcnow()
        due = case((and_(PlanItem.status.in_(REMINDED), PlanItem.remeasure_at <= now), 1), else_=0)
        query = (
            select(PlanItem.school_id, PlanItem.status, func.count(), func.sum(due))
            .where(PlanItem.district_id == self.district_id)
            .group_by(PlanItem.school_id, PlanItem.status)
        )
        async with self.sessions() as session:
            schools = list(
                await session.scalars(
                    select(FeedbackSchool)
                    .where(FeedbackSchool.district_id == self.district_id)
                    .order_by(FeedbackSchool.code)
                )
            )
            groups = (await session.execute(query)).all()
        counts: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for school_id, status, count, due_count in groups:
            counts[school_id][status] += count
            counts[school_id]["remeasure_due"] += int(due_count or 0)
        return PlanSummary(
            as_of=now,
            schools=[
                PlanSchoolFigures(
                    school_id=school.id,
                    code=school.code,
                    name=school.name,
                    draft=counts[school.id]["draft"],
                    open=counts[school.id]["open"],
                    done=counts[school.id]["done"],
                    dropped=counts[school.id]["dropped"],
                    remeasure_due=counts[school.id]["remeasure_due"],
                )
                for school in schools
            ],
        )


# --- a learner's action plan -------------------------------------------------------------------


async def share_action_plan(
    sessions: Sessions,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    body: ActionPlanShare,
    *,
    again: bool = True,
) -> tuple[ActionPlanShared, bool]:
    """Draft items for the learner's school from the campus-team rows of their submitted action
    plan (the latest, or `attempt_id`), and whether they are new: sharing an attempt again
    answers the items it made. NotFound for an attempt that is not the learner's submitted
    action plan; Conflict when there is nothing to share or no school to share it with."""
    now = utcnow()
    attempts = (
        select(Attempt)
        .where(
            Attempt.learner_id == learner_id,
            Attempt.district_id == district_id,
            Attempt.module_id == rules.MODULE_ID,
            Attempt.form_id == rules.FORM_ID,
            Attempt.status == "submitted",
        )
        .order_by(Attempt.submitted_at.desc(), Attempt.number.desc())
        .limit(1)
    )
    if body.attempt_id is not None:
        attempts = attempts.where(Attempt.id == body.attempt_id)
    try:
        async with sessions.begin() as session:
            learner = await session.get(Learner, learner_id)
            attempt = await session.scalar(attempts)
            if learner is None or attempt is None:
                if body.attempt_id is not None:
                    raise NotFound("None of your submitted action plans (module 5) has this attempt id.")
                raise Conflict(
                    "Submit your action plan in module 5 (Measuring and improving) first; then share "
                    "its campus-team steps with your school."
                )
            school = await _learner_school(session, district_id, learner.school)
            made = await _made_from(session, attempt.id)
            if made:
                return ActionPlanShared(school=_school(school), items=[_view(r, school) for r in made]), False
            drafts = rules.team_rows(attempt.answers)
            if not drafts:
                raise Conflict(
                    "Your action plan's campus-team table has no step with a `What we will do`; "
                    "nothing was shared."
                )
            zone = await district_zone(session, district_id)
            planned_on = rules.today_in(zone, now)
            remeasure = rules.remeasure_on(planned_on, await remeasure_days(session, district_id))
            rows = [
                PlanItem(
                    id=uuid.uuid4(),
                    district_id=district_id,
                    school_id=school.id,
                    source="module",
                    status="draft",
                    what=draft.what,
                    first_step=draft.first_step,
                    who=draft.who,
                    by_when=draft.by_when,
                    due_on=rules.due_on(draft.by_when),
                    how_we_know=draft.how_we_know,
                    follow_up_on=None,
                    planned_on=planned_on,
                    remeasure_on=remeasure,
                    remeasure_at=rules.day_starts(remeasure, zone),
                    plan_due_notice_at=None,
                    created_by=learner.name if body.named else "",
                    attempt_id=attempt.id,
                    attempt_row=draft.row,
                    created_at=now,
                    updated_at=now,
                )
                for draft in drafts
            ]
            session.add_all(rows)
            await session.flush()
            return ActionPlanShared(school=_school(school), items=[_view(r, school) for r in rows]), True
    except IntegrityError:
        if not again:
            raise
        # The same attempt shared twice at once: the other share made the items; answer them.
        return await share_action_plan(sessions, district_id, learner_id, body, again=False)


async def _learner_school(session: AsyncSession, district_id: uuid.UUID, name: str) -> FeedbackSchool:
    """The district's school the learner's profile names (its code, else its name)."""
    if name:
        found = (
            await session.scalars(
                select(FeedbackSchool)
                .where(
                    FeedbackSchool.district_id == district_id,
                    or_(FeedbackSchool.code == name, FeedbackSchool.name == name),
                )
                .order_by((FeedbackSchool.code == name).desc(), FeedbackSchool.code)
                .limit(1)
            )
        ).first()
        if found is not None:
            return found
    raise Conflict(
        f"Your profile's school ({name or 'none given'}) is not a school your district has registered "
        "(by code or name), so there is no campus plan to share with; ask your district's "
        "administrator to register it."
    )


async def _made_from(session: AsyncSession, attempt_id: uuid.UUID) -> list[PlanItem]:
    return list(
        await session.scalars(
            select(PlanItem).where(PlanItem.attempt_id == attempt_id).order_by(PlanItem.attempt_row)
        )
    )


# --- the re-measure sweep ----------------------------------------------------------------------


async def sweep_plans_due(sessions: Sessions, now: datetime) -> int:
    """Mark every open or done plan item (of every district) whose re-measure date has begun
    by `now` and has no notice yet, and send `plan.due` for each (see `notify_marked`)."""
    items = table(PlanItem)
    marked = (
        update(items)
        .where(
            items.c.status.in_(REMINDED),
            items.c.remeasure_at <= now,
            items.c.plan_due_notice_at.is_(None),
        )
        .values(plan_due_notice_at=now)
        .returning(
            items.c.id,
            items.c.district_id,
            items.c.school_id,
            items.c.status,
            items.c.what,
            items.c.who,
            items.c.how_we_know,
            items.c.planned_on,
            items.c.remeasure_on,
            items.c.created_by,
        )
    )
    return await notify_marked(
        sessions,
        marked,
        now,
        order=lambda row: (row.remeasure_on, row.id),
        event=lambda row, school: PlanDue(
            plan_item_id=row.id,
            school=school,
            status=row.status,
            what=row.what,
            who=row.who,
            how_we_know=row.how_we_know,
            planned_on=row.planned_on,
            remeasure_on=row.remeasure_on,
            created_by=row.created_by,
        ),
    )
