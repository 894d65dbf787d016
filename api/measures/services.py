"""Measures' units of work: record an exit interview or a secret-shopper visit (checked against
its instrument, refused when the school has it switched off), read them back, and the figures
per school.

Every query is narrowed by the caller's district; a row of another district is NotFound, and
another district's school is not one the caller can record against.
"""

import uuid
from collections import Counter, defaultdict
from statistics import fmean
from typing import TypeVar

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Sessions
from api.errors import Conflict, InvalidInput
from api.measures.answers import check_exit_answers, check_survey_answers, score_visit
from api.models import ExitInterview, FamilySurveyRecord, FeedbackSchool, ShopperVisit
from api.rows import with_school
from schemas.feedback import InstrumentName
from schemas.measures import (
    CHANNELS,
    Channel,
    ChannelFigures,
    ChoiceQuestion,
    CriterionFigures,
    ExitInterviewCreate,
    ExitInterviewGuide,
    ExitInterviewSummary,
    ExitInterviewView,
    ExitSchoolFigures,
    FamilySurvey,
    FamilySurveyCreate,
    FamilySurveySummary,
    FamilySurveyView,
    OptionCount,
    ReasonCount,
    ScaleMean,
    ScaleQuestion,
    SecretShopperRubrics,
    ShopperSchoolFigures,
    ShopperSummary,
    ShopperVisitCreate,
    ShopperVisitView,
    SurveySchoolFigures,
)
from schemas.problem import FieldError

TOP_REASONS = 5

_LABEL: dict[InstrumentName, str] = {
    "card": "The feedback card",
    "exit_interview": "The exit interview",
    "shopper_phone": "Secret-shopper phone calls",
    "shopper_email": "Secret-shopper emails",
    "shopper_visit": "Secret-shopper visits",
    "family_survey": "The family survey",
}
SHOPPER_SWITCH: dict[Channel, InstrumentName] = {
    "phone": "shopper_phone",
    "email": "shopper_email",
    "visit": "shopper_visit",
}


def switched_off(school: FeedbackSchool, name: InstrumentName) -> Conflict | None:
    """The 409 for recording against an instrument the school has switched off, if it has."""
    if name not in school.instruments_off:
        return None
    return Conflict(
        f"{_LABEL[name]} is switched off for {school.code}; an admin can switch it on with "
        f'PUT /api/v1/feedback/schools/{school.id}/instruments and "{name}": true.'
    )


V = TypeVar("V", ExitInterviewView, ShopperVisitView, FamilySurveyView)


def _view(row: ExitInterview | ShopperVisit | FamilySurveyRecord, school: FeedbackSchool, view: type[V]) -> V:
    """The row as its view: the view's fields only, so a new column is never shown by accident."""
    fields = {name: getattr(row, name) for name in view.__struct_fields__ if name != "school_code"}
    return msgspec.convert({**fields, "school_code": school.code}, view, from_attributes=True)


class Measures:
    """A district's exit interviews and secret-shopper visits."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def _school(
        self, session: AsyncSession, school_id: uuid.UUID, name: InstrumentName
    ) -> FeedbackSchool:
        school = await session.get(FeedbackSchool, school_id)
        if school is None or school.district_id != self.district_id:
            raise InvalidInput(
                "No school with this id in your district; list them with GET /api/v1/feedback/schools.",
                errors=[FieldError(field="$.school_id", message="is not a school of your district")],
            )
        if (off := switched_off(school, name)) is not None:
            raise off
        return school

    # --- exit interviews ---------------------------------------------------------------------

    async def record_exit(self, body: ExitInterviewCreate, guide: ExitInterviewGuide) -> ExitInterviewView:
        check_exit_answers(guide, body.answers)
        score = body.answers.get("score")
        async with self.sessions.begin() as session:
            school = await self._school(session, body.school_id, "exit_interview")
            row = ExitInterview(
                id=uuid.uuid4(),
                district_id=self.district_id,
                school_id=school.id,
                instrument_version=guide.version,
                held_on=body.held_on,
                interviewer=body.interviewer,
                language=body.language,
                answers=body.answers,
                score=score if type(score) is int else None,
            )
            session.add(row)
            await session.flush()
            return _view(row, school, ExitInterviewView)

    async def exits(self, school_id: uuid.UUID | None, limit: int) -> list[ExitInterviewView]:
        query = (
            select(ExitInterview, FeedbackSchool)
            .join(FeedbackSchool, FeedbackSchool.id == ExitInterview.school_id)
            .where(ExitInterview.district_id == self.district_id)
            .order_by(ExitInterview.held_on.desc(), ExitInterview.recorded_at.desc())
            .limit(limit)
        )
        if school_id is not None:
            query = query.where(ExitInterview.school_id == school_id)
        async with self.sessions() as session:
            return [_view(row, school, ExitInterviewView) for row, school in await session.execute(query)]

    async def exit(self, interview_id: uuid.UUID) -> ExitInterviewView:
        async with self.sessions() as session:
            row, school = await with_school(
                session,
                ExitInterview,
                interview_id,
                self.district_id,
                "No exit interview has this id in your district.",
            )
        return _view(row, school, ExitInterviewView)

    async def exit_summary(self) -> ExitInterviewSummary:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(FeedbackSchool, ExitInterview.score, ExitInterview.answers)
                    .join(ExitInterview, ExitInterview.school_id == FeedbackSchool.id)
                    .where(ExitInterview.district_id == self.district_id)
                    .order_by(FeedbackSchool.code)
                )
            ).all()
            by_school: dict[uuid.UUID, tuple[FeedbackSchool, list[int], Counter[str], list[int]]] = {}
            for school, score, answers in rows:
                _, scores, reasons, count = by_school.setdefault(school.id, (school, [], Counter(), [0]))
                count[0] += 1
                if score is not None:
                    scores.append(score)
                picked = answers.get("reasons", [])
                reasons.update(picked if isinstance(picked, list) else [picked])
        return ExitInterviewSummary(
            schools=[
                ExitSchoolFigures(
                    school_id=school.id,
                    code=school.code,
                    name=school.name,
                    count=count[0],
                    mean_score=round(fmean(scores), 2) if scores else None,
                    # Ties by name, so the list is the same on every backend and every read.
                    top_reasons=[
                        ReasonCount(reason=r, count=n)
                        for r, n in sorted(reasons.items(), key=lambda rn: (-rn[1], rn[0]))[:TOP_REASONS]
                    ],
                )
                for school, scores, reasons, count in by_school.values()
            ]
        )

    # --- family surveys -----------------------------------------------------------------------

    async def record_survey(self, body: FamilySurveyCreate, survey: FamilySurvey) -> FamilySurveyView:
        check_survey_answers(survey, body.answers)
        score = body.answers.get("score")
        async with self.sessions.begin() as session:
            school = await self._school(session, body.school_id, "family_survey")
            row = FamilySurveyRecord(
                id=uuid.uuid4(),
                district_id=self.district_id,
                school_id=school.id,
                instrument_version=survey.version,
                answered_on=body.answered_on,
                language=body.language,
                answers=body.answers,
                score=score if type(score) is int else None,
            )
            session.add(row)
            await session.flush()
            return _view(row, school, FamilySurveyView)

    async def surveys(self, school_id: uuid.UUID | None, limit: int) -> list[FamilySurveyView]:
        query = (
            select(FamilySurveyRecord, FeedbackSchool)
            .join(FeedbackSchool, FeedbackSchool.id == FamilySurveyRecord.school_id)
            .where(FamilySurveyRecord.district_id == self.district_id)
            .order_by(FamilySurveyRecord.answered_on.desc(), FamilySurveyRecord.recorded_at.desc())
            .limit(limit)
        )
        if school_id is not None:
            query = query.where(FamilySurveyRecord.school_id == school_id)
        async with self.sessions() as session:
            return [_view(row, school, FamilySurveyView) for row, school in await session.execute(query)]

    async def survey(self, survey_id: uuid.UUID) -> FamilySurveyView:
        async with self.sessions() as session:
            row, school = await with_school(
                session,
                FamilySurveyRecord,
                survey_id,
                self.district_id,
                "No family survey has this id in your district.",
            )
        return _view(row, school, FamilySurveyView)

    async def survey_summary(self, survey: FamilySurvey) -> FamilySurveySummary:
        """Per school with surveys: the mean 0-10 score, each other scale's mean over those who
        answered it, and how often each choice's options were picked, in the survey's order
        (questions or options only older versions had come after, by id)."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(FeedbackSchool, FamilySurveyRecord.score, FamilySurveyRecord.answers)
                    .join(FamilySurveyRecord, FamilySurveyRecord.school_id == FeedbackSchool.id)
                    .where(FamilySurveyRecord.district_id == self.district_id)
                    .order_by(FeedbackSchool.code)
                )
            ).all()
        scale_ids = [q.id for q in survey.questions if isinstance(q, ScaleQuestion) and q.id != "score"]
        option_order = {
            (q.id, o.id): (i, j)
            for i, q in enumerate(survey.questions)
            if isinstance(q, ChoiceQuestion)
            for j, o in enumerate(q.options)
        }
        # A string answers a choice or a text question: only the survey in force says which.
        choice_ids = {q.id for q in survey.questions if isinstance(q, ChoiceQuestion)}
        schools: dict[uuid.UUID, FeedbackSchool] = {}
        scores: dict[uuid.UUID, list[int]] = defaultdict(list)
        counts: Counter[uuid.UUID] = Counter()
        scales: dict[uuid.UUID, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        picked: dict[uuid.UUID, Counter[tuple[str, str]]] = defaultdict(Counter)
        for school, score, answers in rows:
            schools[school.id] = school
            counts[school.id] += 1
            if score is not None:
                scores[school.id].append(score)
            for question, value in answers.items():
                if question == "score":
                    continue
                if type(value) is int:
                    scales[school.id][question].append(value)
                elif isinstance(value, list):
                    picked[school.id].update((question, option) for option in value)
                elif isinstance(value, str) and question in choice_ids:
                    picked[school.id][question, value] += 1
        figures = []
        for school in schools.values():
            seen = scales[school.id]
            ids = [i for i in scale_ids if i in seen] + sorted(set(seen) - set(scale_ids))
            far = (len(survey.questions), 0)
            figures.append(
                SurveySchoolFigures(
                    school_id=school.id,
                    code=school.code,
                    name=school.name,
                    count=counts[school.id],
                    mean_score=round(fmean(scores[school.id]), 2) if scores[school.id] else None,
                    scales=[
                        ScaleMean(question=i, answered=len(seen[i]), mean=round(fmean(seen[i]), 2))
                        for i in ids
                    ],
                    options=[
                        OptionCount(question=q, option=o, count=n)
                        for (q, o), n in sorted(
                            picked[school.id].items(), key=lambda kv: (option_order.get(kv[0], far), kv[0])
                        )
                    ],
                )
            )
        return FamilySurveySummary(schools=figures)

    # --- secret-shopper visits ---------------------------------------------------------------

    async def record_visit(self, body: ShopperVisitCreate, rubrics: SecretShopperRubrics) -> ShopperVisitView:
        scored = score_visit(getattr(rubrics.channels, body.channel), body.answers)
        async with self.sessions.begin() as session:
            school = await self._school(session, body.school_id, SHOPPER_SWITCH[body.channel])
            row = ShopperVisit(
                id=uuid.uuid4(),
                district_id=self.district_id,
                school_id=school.id,
                channel=body.channel,
                evaluator=body.evaluator,
                visited_at=body.visited_at,
                instrument_version=rubrics.version,
                answers=body.answers,
                passed=scored.passed,
                points=scored.points,
                possible=scored.possible,
                score=scored.score,
                notes=body.notes,
            )
            session.add(row)
            await session.flush()
            return _view(row, school, ShopperVisitView)

    async def visits(
        self, school_id: uuid.UUID | None, channel: str | None, limit: int
    ) -> list[ShopperVisitView]:
        query = (
            select(ShopperVisit, FeedbackSchool)
            .join(FeedbackSchool, FeedbackSchool.id == ShopperVisit.school_id)
            .where(ShopperVisit.district_id == self.district_id)
            .order_by(ShopperVisit.visited_at.desc(), ShopperVisit.id)
            .limit(limit)
        )
        if school_id is not None:
            query = query.where(ShopperVisit.school_id == school_id)
        if channel is not None:
            query = query.where(ShopperVisit.channel == channel)
        async with self.sessions() as session:
            return [_view(row, school, ShopperVisitView) for row, school in await session.execute(query)]

    async def visit(self, visit_id: uuid.UUID) -> ShopperVisitView:
        async with self.sessions() as session:
            row, school = await with_school(
                session,
                ShopperVisit,
                visit_id,
                self.district_id,
                "No secret-shopper visit has this id in your district.",
            )
        return _view(row, school, ShopperVisitView)

    async def shopper_summary(self, rubrics: SecretShopperRubrics) -> ShopperSummary:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(FeedbackSchool, ShopperVisit.channel, ShopperVisit.score, ShopperVisit.passed)
                    .join(ShopperVisit, ShopperVisit.school_id == FeedbackSchool.id)
                    .where(ShopperVisit.district_id == self.district_id)
                    .order_by(FeedbackSchool.code)
                )
            ).all()
            schools: dict[uuid.UUID, FeedbackSchool] = {}
            scores: dict[tuple[uuid.UUID, str], list[float]] = defaultdict(list)
            met: dict[tuple[uuid.UUID, str], dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
            for school, channel, score, passed in rows:
                schools[school.id] = school
                scores[school.id, channel].append(score)
                for criterion, ok in passed.items():
                    met[school.id, channel][criterion].append(bool(ok))
        figures = []
        for school in schools.values():
            channels = []
            for channel in CHANNELS:
                if not scores[school.id, channel]:
                    continue
                # The current rubric's criteria first, in its order; then any only older visits had.
                order = [c.id for c in getattr(rubrics.channels, channel).criteria]
                seen = met[school.id, channel]
                ids = [i for i in order if i in seen] + sorted(set(seen) - set(order))
                channels.append(
                    ChannelFigures(
                        channel=channel,
                        visits=len(scores[school.id, channel]),
                        mean_score=round(fmean(scores[school.id, channel]), 1),
                        criteria=[
                            CriterionFigures(
                                criterion=i,
                                answered=len(seen[i]),
                                pass_rate=round(sum(seen[i]) / len(seen[i]), 4),
                            )
                            for i in ids
                        ],
                    )
                )
            figures.append(
                ShopperSchoolFigures(
                    school_id=school.id, code=school.code, name=school.name, channels=channels
                )
            )
        return ShopperSummary(schools=figures)
