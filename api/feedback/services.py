"""Feedback's units of work: a district's schools and their links (admin), a family's answer
to a link (public), and the figures per school (feedback:read).

An answer counts once per device per school per day: the device is its cookie (set by the
public page) or, without one, its address, kept only as a keyed hash with the school and the
day, and unique in the table, so a repeat is not written and can't move the score. One address
adds at most `FRONTOFFICE_FEEDBACK_ANSWERS_PER_ADDRESS` answers to a school a day, however many
cookies it makes up. Days are UTC days.
"""

import hmac
import secrets
import uuid
from collections import defaultdict
from datetime import date
from typing import Any

import asyncpg
import msgspec
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.schema import Table

from api.db import Sessions
from api.dialogues.services import open_from_answer
from api.errors import Conflict, Gone, InvalidInput, NotFound
from api.feedback.batches import Asked, batches_for
from api.measures.answers import check_survey_answers
from api.memo import Memo
from api.models import FamilySurveyRecord, FeedbackAnswer, FeedbackSchool, table, utcnow
from api.outbox.emit import emit
from schemas.events import ContactConsented, FeedbackReceived, SchoolRef, SurveyReceived
from schemas.feedback import (
    FeedbackAnswer as AnswerBody,
)
from schemas.feedback import (
    FeedbackCard,
    FeedbackSchoolCreate,
    FeedbackSchoolView,
    FeedbackSummary,
    InstrumentSwitches,
    ReasonFigures,
    SchoolFigures,
    SummaryRow,
)
from schemas.measures import FamilySurvey, TextQuestion
from schemas.measures import FamilySurveyAnswer as SurveyAnswerBody
from schemas.problem import FieldError

PAGE_PATH = "/feedback"
"""Where a school's public page is: `/feedback/{token}`."""
SURVEY_PATH = "/survey"
"""Where the school's public family survey is, with the same token: `/survey/{token}`."""


def public_link(base_url: str, path: str, token: str) -> str:
    """A school's public page: `path` is PAGE_PATH (the card) or SURVEY_PATH (the survey)."""
    return f"{base_url.rstrip('/')}{path}/{token}"


def school_view(row: FeedbackSchool, base_url: str) -> FeedbackSchoolView:
    return FeedbackSchoolView(
        id=row.id,
        code=row.code,
        name=row.name,
        token=row.token,
        link=public_link(base_url, PAGE_PATH, row.token),
        open=row.closed_at is None,
        created_at=row.created_at,
        closed_at=row.closed_at,
        instruments=InstrumentSwitches(
            **{name: name not in row.instruments_off for name in InstrumentSwitches.__struct_fields__}
        ),
    )


class FeedbackSchools:
    """A district's schools with feedback links."""

    def __init__(
        self, sessions: Sessions, district_id: uuid.UUID, base_url: str, links: "Links | None" = None
    ) -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.base_url = base_url
        self.links = links

    async def create(self, body: FeedbackSchoolCreate) -> FeedbackSchoolView:
        # 128 random bits, URL-safe: the link can't be guessed from another school's.
        row = FeedbackSchool(
            district_id=self.district_id, code=body.code, name=body.name, token=secrets.token_urlsafe(16)
        )
        try:
            async with self.sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise Conflict(
                f"The school {body.code!r} already has a feedback link; list them with "
                "GET /api/v1/feedback/schools."
            ) from None
        return school_view(row, self.base_url)

    async def list(self) -> list[FeedbackSchoolView]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(FeedbackSchool)
                .where(FeedbackSchool.district_id == self.district_id)
                .order_by(FeedbackSchool.code)
            )
            return [school_view(row, self.base_url) for row in rows]

    async def get(self, school_id: uuid.UUID) -> FeedbackSchoolView:
        async with self.sessions() as session:
            return school_view(await self._row(session, school_id), self.base_url)

    async def close(self, school_id: uuid.UUID) -> FeedbackSchoolView:
        """Close the school's link for good (its answers stay); closing again changes nothing."""
        async with self.sessions.begin() as session:
            row = await self._row(session, school_id)
            if row.closed_at is None:
                row.closed_at = utcnow()
            view = school_view(row, self.base_url)
        self._changed(row.token)
        return view

    async def switch(self, school_id: uuid.UUID, switches: InstrumentSwitches) -> FeedbackSchoolView:
        """Set which instruments the school uses; the rows already recorded stay."""
        async with self.sessions.begin() as session:
            row = await self._row(session, school_id)
            row.instruments_off = [name for name in switches.__struct_fields__ if not getattr(switches, name)]
            view = school_view(row, self.base_url)
        self._changed(row.token)
        return view

    def _changed(self, token: str) -> None:
        # This process's public page sees the change at once; others within LINK_SECONDS.
        if self.links is not None:
            self.links.forget(token)

    async def _row(self, session: AsyncSession, school_id: uuid.UUID) -> FeedbackSchool:
        row = await session.get(FeedbackSchool, school_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No school with a feedback link has this id in your district.")
        return row


class Device(msgspec.Struct, frozen=True):
    """Who sent an answer: the page's device cookie (None without one) and the client address."""

    cookie: str | None
    address: str


class Link(msgspec.Struct, frozen=True):
    """A school's public link as an answer needs it: whose it is, and whether it takes answers."""

    id: uuid.UUID
    district_id: uuid.UUID
    code: str
    name: str
    closed: bool
    card_off: bool
    survey_off: bool = False


Links = Memo[str, Link | None]
"""Links by token, remembered for LINK_SECONDS by each process: an answer's school costs no
query. A stale one can't let an answer in: the answer's own statement checks the school is still
open, and a refused answer reads the link again."""
LINK_SECONDS = 5.0


def new_links() -> Links:
    return Links(ttl=LINK_SECONDS)


_ANSWERS = table(FeedbackAnswer)
_SURVEYS = table(FamilySurveyRecord)
_SCHOOLS = table(FeedbackSchool)


def _seen(answers: Table, day: ColumnElement[date]) -> Select[tuple[Any, ...]]:
    """What a public answer's transaction reads before writing to `answers` (a table with
    `school_id`, the keys and `address_slot`; `day` its day column): the school's state, the
    address's answers to it that day and the next place in its share, and whether this device
    already answered."""
    school = _SCHOOLS.c.id == bindparam("school_id")
    address = (
        answers.c.school_id == bindparam("school_id"),
        day == bindparam("day"),
        answers.c.address_key == bindparam("address_key"),
    )
    return select(
        select(_SCHOOLS.c.closed_at.is_(None)).where(school).scalar_subquery().label("open"),
        select(_SCHOOLS.c.instruments_off).where(school).scalar_subquery().label("instruments_off"),
        select(func.count()).where(*address).scalar_subquery().label("taken"),
        # After the last place taken, so a place left free (an answer deleted) is no trap.
        select(func.coalesce(func.max(answers.c.address_slot) + 1, 0))
        .where(*address)
        .scalar_subquery()
        .label("next_slot"),
        exists()
        .where(
            answers.c.school_id == bindparam("school_id"),
            day == bindparam("day"),
            answers.c.device_key == bindparam("device_key"),
        )
        .label("repeat"),
    )


def _inserts(answers: Table) -> dict[str, Any]:
    # No conflict target: a repeat device and a place another answer took first both write nothing.
    return {
        "postgresql": postgresql.insert(answers).on_conflict_do_nothing().returning(answers.c.id),
        "sqlite": sqlite.insert(answers).on_conflict_do_nothing().returning(answers.c.id),
    }


_SEEN = _seen(_ANSWERS, _ANSWERS.c.day)
_INSERT = _inserts(_ANSWERS)
_SURVEY_SEEN = _seen(_SURVEYS, _SURVEYS.c.answered_on)
_SURVEY_INSERT = _inserts(_SURVEYS)


async def _place(
    conn: AsyncConnection,
    seen: Select[tuple[Any, ...]],
    insert: Any,
    instrument: str,
    row: dict[str, Any],
    keys: dict[str, Any],
    per_address: int,
) -> bool | None:
    """Write `row` in the next place of its address's share, in the caller's transaction: True
    when written, False when it does not count (the device answered today, or the address's
    share is used up), None when the school is closed or has `instrument` switched off."""
    for _ in range(_TRIES):
        state = (await conn.execute(seen, keys)).one()
        if not state.open or instrument in (state.instruments_off or []):
            return None
        if state.repeat or state.taken >= per_address:
            return False
        if (await conn.execute(insert, {**row, "address_slot": state.next_slot})).first() is not None:
            return True
        # Another answer from this address took the place first (PostgreSQL): read again.
    return False


# The anonymous answer on PostgreSQL, all in one statement (its own transaction): the school
# still open, the next place in the address's share if the share is not used up, the answer, its event. $1
# school, $2 day, $3 address key, $4 answer id, $5 district, $6 instrument version, $7 score,
# $8 reason, $9 resolved, $10 comment, $11 language, $12 device key, $13 now, $14 the share,
# $15 event id, $16 event payload.
_ANSWER_PG = """
WITH school AS (
    SELECT id FROM feedback_schools
    WHERE id = $1 AND closed_at IS NULL AND NOT (CAST(instruments_off AS jsonb) ? 'card')
), seen AS (
    SELECT count(*) AS taken, coalesce(max(address_slot) + 1, 0) AS next_slot
    FROM feedback_answers WHERE school_id = $1 AND day = $2 AND address_key = $3
), answer AS (
    INSERT INTO feedback_answers (id, district_id, school_id, instrument_version, score, reason,
        resolved, comment, language, day, device_key, address_key, address_slot, received_at)
    SELECT $4, $5, school.id, $6, $7, $8, $9, $10, $11, $2, $12, $3, seen.next_slot, $13
    FROM school, seen WHERE seen.taken < $14
    ON CONFLICT DO NOTHING
    RETURNING id
), event AS (
    INSERT INTO outbox_events (id, district_id, type, payload, created_at)
    SELECT $15, $5, 'feedback.received', CAST($16 AS json), $13 FROM answer
)
SELECT EXISTS (SELECT FROM answer) AS written, EXISTS (SELECT FROM school) AS open, seen.taken,
    EXISTS (
        SELECT FROM feedback_answers WHERE school_id = $1 AND day = $2 AND device_key = $12
    ) AS repeat
FROM seen
"""
# Tries for a place in an address's share when answers from it arrive at once and another takes
# the place this one read as free; past them the answer is not counted (never counted twice).
_TRIES = 8
# What a connection that went away raises (the pool must not hand it out again).
_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError)
_ENCODER = msgspec.json.Encoder()


class PublicFeedback:
    """A family's answer to a school's link."""

    def __init__(
        self, sessions: Sessions, card: FeedbackCard, secret: str, per_address: int, links: Links
    ) -> None:
        self.sessions = sessions
        self.card = card
        self.secret = secret.encode()
        self.per_address = per_address
        self.links = links

    async def school(self, token: str) -> Link:
        """The open school of the link: NotFound for no such link, Gone for a closed one,
        Conflict for a switched-off card."""
        return self._usable(await self.links.get(token, lambda: self._load(token)))

    async def _load(self, token: str) -> Link | None:
        async with self.sessions() as session:
            row = await session.scalar(select(FeedbackSchool).where(FeedbackSchool.token == token))
        if row is None:
            return None
        return Link(
            id=row.id,
            district_id=row.district_id,
            code=row.code,
            name=row.name,
            closed=row.closed_at is not None,
            card_off="card" in row.instruments_off,
            survey_off="family_survey" in row.instruments_off,
        )

    async def survey_school(self, token: str) -> Link:
        """The school of the link, open and with its family survey on; errors as `school`."""
        return self._usable(await self.links.get(token, lambda: self._load(token)), "family_survey")

    @staticmethod
    def _usable(link: Link | None, instrument: str = "card") -> Link:
        if link is None:
            raise NotFound("There is no feedback link at this address; check the link or the QR code.")
        if link.closed:
            raise Gone("This school's feedback link has been closed; it takes no more answers.")
        if instrument == "card" and link.card_off:
            raise Conflict(
                "This school has its feedback card switched off for now, so it takes no answers; "
                "please tell the front office in person or by phone."
            )
        if instrument == "family_survey" and link.survey_off:
            raise Conflict(
                "This school has its family survey switched off for now, so it takes no answers; "
                "please tell the front office in person or by phone."
            )
        return link

    async def _refused(self, token: str, instrument: str = "card") -> None:
        """The link changed since this process read it: read it again, and raise its error."""
        self.links.forget(token)
        self._usable(await self.links.get(token, lambda: self._load(token)), instrument)

    def keys(self, school_id: uuid.UUID, day: date, device: Device) -> tuple[str, str]:
        """The address's and the device's keyed hashes for a school and a day."""
        address_key = self._key(school_id, day.isoformat(), f"address:{device.address}")
        who = f"device:{device.cookie}" if device.cookie else f"address:{device.address}"
        return address_key, self._key(school_id, day.isoformat(), who)

    async def answer_survey(
        self, token: str, school: Link, survey: FamilySurvey, body: SurveyAnswerBody, device: Device
    ) -> bool:
        """Record a family's own survey and its `survey.received` event in one transaction, as
        `answer` records a card: once per device per school a day, within the address's daily
        share; InvalidInput (nothing written) for a filled honeypot or answers the survey does
        not allow."""
        if body.website:
            raise InvalidInput(
                "The survey breaks its rules: $.website must be left empty",
                errors=[FieldError(field="$.website", message="must be left empty")],
            )
        check_survey_answers(survey, body.answers)
        now = utcnow()
        day = now.date()
        address_key, device_key = self.keys(school.id, day, device)
        score = body.answers.get("score")
        row = {
            "id": uuid.uuid4(),
            "district_id": school.district_id,
            "school_id": school.id,
            "instrument_version": survey.version,
            "answered_on": day,
            "language": body.language,
            "answers": body.answers,
            "score": score if type(score) is int else None,
            "recorded_at": now,
            "device_key": device_key,
            "address_key": address_key,
        }
        keys = {"school_id": school.id, "day": day, "address_key": address_key, "device_key": device_key}
        async with self.sessions.begin() as session:
            conn = await session.connection()
            insert = _SURVEY_INSERT[conn.dialect.name]
            placed = await _place(conn, _SURVEY_SEEN, insert, "family_survey", row, keys, self.per_address)
            if placed:
                await emit(conn, school.district_id, _survey_event(survey, school, body, row), at=now)
        if placed is None:
            await self._refused(token, "family_survey")
            return False
        return placed

    def check(self, answer: AnswerBody) -> None:
        """The rules a well-typed answer must also keep; InvalidInput naming each field."""
        errors: list[FieldError] = []
        if answer.website:
            errors.append(FieldError(field="$.website", message="must be left empty"))
        reasons = [option.id for option in self.card.reason.options]
        if answer.reason not in reasons:
            errors.append(FieldError(field="$.reason", message=f"must be one of {', '.join(reasons)}"))
        if len(answer.comment) > self.card.comment.max_length:
            errors.append(
                FieldError(field="$.comment", message=f"is longer than {self.card.comment.max_length}")
            )
        contact = answer.contact
        if contact is not None:
            if not contact.consent:
                errors.append(
                    FieldError(
                        field="$.contact.consent",
                        message="must be true to leave contact details (or send no contact)",
                    )
                )
            if not contact.phone.strip() and not contact.email.strip():
                errors.append(FieldError(field="$.contact", message="needs a phone or an email"))
        if errors:
            raise InvalidInput(
                "The answer breaks the feedback card's rules: "
                + "; ".join(f"{e.field} {e.message}" for e in errors),
                errors=errors,
            )

    def _key(self, school_id: uuid.UUID, day: str, who: str) -> str:
        return hmac.digest(self.secret, f"{school_id}|{day}|{who}".encode(), "sha256").hex()

    async def answer(self, token: str, school: Link, answer: AnswerBody, device: Device) -> bool:
        """Record the answer and its `feedback.received` event in one transaction, with a
        dialogue (`dialogue.opened`) when the family asks to be contacted; False when it does not
        count (this device, or this address's daily share, already answered). The link's error
        if it was closed or switched off since `school` was read."""
        self.check(answer)
        now = utcnow()
        day = now.date()
        address_key, device_key = self.keys(school.id, day, device)
        answer_id = uuid.uuid4()
        contact = answer.contact
        consented = (
            ContactConsented(name=contact.name, phone=contact.phone, email=contact.email) if contact else None
        )
        event = FeedbackReceived(
            answer_id=answer_id,
            school=SchoolRef(id=school.id, code=school.code, name=school.name),
            instrument=f"{self.card.id}@{self.card.version}",
            score=answer.score,
            reason=answer.reason,
            resolved=answer.resolved,
            comment=answer.comment,
            language=answer.language,
            contact=consented,
            received_at=now,
        )
        row = {
            "id": answer_id,
            "district_id": school.district_id,
            "school_id": school.id,
            "instrument_version": self.card.version,
            "score": answer.score,
            "reason": answer.reason,
            "resolved": answer.resolved,
            "comment": answer.comment,
            "language": answer.language,
            "contact_name": contact.name if contact else None,
            "contact_phone": contact.phone if contact else None,
            "contact_email": contact.email if contact else None,
            "day": day,
            "device_key": device_key,
            "address_key": address_key,
            "received_at": now,
        }
        engine: AsyncEngine = self.sessions.kw["bind"]
        if consented is None and engine.dialect.name == "postgresql":
            counted = await self._answer_at_once(engine, row, event)
        else:
            counted = await self._answer_in_session(row, event, consented)
        if counted is None:
            await self._refused(token)
            return False  # the link opened again since: not counted, the family may answer again
        return counted

    async def _answer_at_once(
        self, engine: AsyncEngine, row: dict[str, Any], event: FeedbackReceived
    ) -> bool | None:
        """An anonymous answer on PostgreSQL: written with the others arriving at once, in one
        statement and one commit (`batches.py`), or else alone in one statement; each straight
        through a pooled connection's asyncpg driver (SQLAlchemy's work per statement would
        cost more than the rest of the answer). None when the school no longer takes answers."""
        payload = _ENCODER.encode(event).decode()
        outcome = await batches_for(engine).write(
            Asked(
                school_id=row["school_id"],
                day=row["day"],
                address_key=row["address_key"],
                id=row["id"],
                district_id=row["district_id"],
                instrument_version=row["instrument_version"],
                score=row["score"],
                reason=row["reason"],
                resolved=row["resolved"],
                comment=row["comment"],
                language=row["language"],
                device_key=row["device_key"],
                received_at=row["received_at"],
                event_id=uuid.uuid4(),
                payload=payload,
                share=self.per_address,
            )
        )
        if outcome.written:
            return True
        if not outcome.open:
            return None
        if not outcome.alone:
            return False  # this device answered today, or the address's share is used up
        async with engine.connect() as conn:
            driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
            for _ in range(_TRIES):
                try:
                    written, open_, taken, repeat = await driver.fetchrow(
                        _ANSWER_PG,
                        row["school_id"],
                        row["day"],
                        row["address_key"],
                        row["id"],
                        row["district_id"],
                        row["instrument_version"],
                        row["score"],
                        row["reason"],
                        row["resolved"],
                        row["comment"],
                        row["language"],
                        row["device_key"],
                        row["received_at"],
                        self.per_address,
                        uuid.uuid4(),
                        payload,
                    )
                except _LOST as exc:
                    if isinstance(exc, asyncpg.InterfaceError) and not driver.is_closed():
                        raise  # a mistake in using the connection, not a lost one
                    await conn.invalidate()
                    raise
                if written:
                    return True
                if not open_:
                    return None
                if repeat or taken >= self.per_address:
                    return False
                # Another answer from this address took the place first: try the next one.
        return False

    async def _answer_in_session(
        self, row: dict[str, Any], event: FeedbackReceived, consented: ContactConsented | None
    ) -> bool | None:
        """Any answer, as Core statements in one transaction (on SQLite, where writers take
        turns, and for answers that open a dialogue)."""
        async with self.sessions.begin() as session:
            conn = await session.connection()
            keys = {k: row[k] for k in ("school_id", "day", "address_key", "device_key")}
            placed = await _place(
                conn, _SEEN, _INSERT[conn.dialect.name], "card", row, keys, self.per_address
            )
            if not placed:
                return placed
            await emit(conn, row["district_id"], event, at=row["received_at"])
            if consented is not None:
                # The family asked to be contacted: the concerns inbox takes it from here, in
                # this transaction, so the answer is never stored without its dialogue.
                school = await session.get(FeedbackSchool, row["school_id"])
                assert school is not None  # read open in this transaction
                await open_from_answer(
                    session, school, row["id"], row["reason"], row["comment"], consented, row["received_at"]
                )
        return True


def _survey_event(
    survey: FamilySurvey, school: Link, body: SurveyAnswerBody, row: dict[str, Any]
) -> SurveyReceived:
    """The survey's event: its scales and choices as answered, its text answers only counted."""
    texts = {q.id for q in survey.questions if isinstance(q, TextQuestion)}
    return SurveyReceived(
        survey_id=row["id"],
        school=SchoolRef(id=school.id, code=school.code, name=school.name),
        instrument=f"{survey.id}@{survey.version}",
        score=row["score"],
        answers={key: value for key, value in body.answers.items() if key not in texts},
        text_answers=sum(1 for key in body.answers if key in texts),
        language=body.language,
        received_at=row["recorded_at"],
    )


async def summary(
    sessions: Sessions,
    district_id: uuid.UUID,
    card: FeedbackCard,
) -> FeedbackSummary:
    """Per school of the district: count, mean, distribution, resolved rate, and by reason,
    from one grouped query (a row per school, reason, score and resolved)."""
    query = (
        select(
            FeedbackAnswer.school_id,
            FeedbackAnswer.reason,
            FeedbackAnswer.score,
            FeedbackAnswer.resolved,
            func.count(),
        )
        .where(FeedbackAnswer.district_id == district_id)
        .group_by(
            FeedbackAnswer.school_id, FeedbackAnswer.reason, FeedbackAnswer.score, FeedbackAnswer.resolved
        )
    )
    async with sessions() as session:
        schools = list(
            await session.scalars(
                select(FeedbackSchool)
                .where(FeedbackSchool.district_id == district_id)
                .order_by(FeedbackSchool.code)
            )
        )
        groups = (await session.execute(query)).all()
    # school -> reason -> [distribution of 11, resolved count]
    tallies: dict[uuid.UUID, dict[str, tuple[list[int], list[int]]]] = defaultdict(dict)
    for school_id, reason, score, resolved, count in groups:
        distribution, resolved_count = tallies[school_id].setdefault(reason, ([0] * 11, [0]))
        distribution[score] += count
        if resolved:
            resolved_count[0] += count
    order = {option.id: i for i, option in enumerate(card.reason.options)}
    figures = []
    for school in schools:
        by_reason = tallies.get(school.id, {})
        total = [0] * 11
        resolved_total = 0
        reasons = []
        for reason in sorted(by_reason, key=lambda r: (order.get(r, len(order)), r)):
            distribution, resolved_count = by_reason[reason]
            total = [a + b for a, b in zip(total, distribution, strict=True)]
            resolved_total += resolved_count[0]
            count, mean = _mean(distribution)
            reasons.append(
                ReasonFigures(
                    reason=reason,
                    count=count,
                    mean_score=mean,
                    distribution=distribution,
                    resolved_rate=_rate(resolved_count[0], count),
                )
            )
        count, mean = _mean(total)
        figures.append(
            SchoolFigures(
                school_id=school.id,
                code=school.code,
                name=school.name,
                open=school.closed_at is None,
                count=count,
                mean_score=mean,
                distribution=total,
                resolved_rate=_rate(resolved_total, count),
                by_reason=reasons,
            )
        )
    return FeedbackSummary(instrument_version=card.version, schools=figures)


def _mean(distribution: list[int]) -> tuple[int, float | None]:
    count = sum(distribution)
    if not count:
        return 0, None
    return count, round(sum(score * n for score, n in enumerate(distribution)) / count, 3)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary_rows(data: FeedbackSummary) -> list[SummaryRow]:
    """The summary as CSV lines: each school over every reason (`reason` empty), then by reason."""
    rows: list[SummaryRow] = []
    for school in data.schools:
        every: list[SchoolFigures | ReasonFigures] = [school, *school.by_reason]
        for figures in every:
            reason = figures.reason if isinstance(figures, ReasonFigures) else ""
            line = {
                "school_code": school.code,
                "school_name": school.name,
                "reason": reason,
                "count": figures.count,
                "mean_score": figures.mean_score,
                "resolved_rate": figures.resolved_rate,
                **{f"score_{i}": n for i, n in enumerate(figures.distribution)},
            }
            rows.append(msgspec.convert(line, SummaryRow))
    return rows
