"""Feedback's units of work: a district's schools and their links (admin), a family's answer
to a link (public), and the figures per school (feedback:read).

An answer counts once per device per school per day: the device is its cookie (set by the
public page) or, without one, its address, kept only as a keyed hash with the school and the
day, and unique in the table, so a repeat is not written and can't move the score. One address
adds at most `FRONTOFFICE_FEEDBACK_ANSWERS_PER_ADDRESS` answers to a school a day, however many
cookies it makes up. Days are UTC days.
"""

import hashlib
import hmac
import secrets
import uuid
from collections import defaultdict

import msgspec
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db import Sessions
from api.dialogues.services import open_from_answer
from api.errors import Conflict, Gone, InvalidInput, NotFound
from api.models import FeedbackAnswer, FeedbackSchool, utcnow
from api.outbox.emit import emit
from schemas.events import ContactConsented, FeedbackReceived, SchoolRef
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
from schemas.problem import FieldError

PAGE_PATH = "/feedback"
"""Where a school's public page is: `/feedback/{token}`."""


def school_view(row: FeedbackSchool, base_url: str) -> FeedbackSchoolView:
    return FeedbackSchoolView(
        id=row.id,
        code=row.code,
        name=row.name,
        token=row.token,
        link=f"{base_url.rstrip('/')}{PAGE_PATH}/{row.token}",
        open=row.closed_at is None,
        created_at=row.created_at,
        closed_at=row.closed_at,
        instruments=InstrumentSwitches(
            **{name: name not in row.instruments_off for name in InstrumentSwitches.__struct_fields__}
        ),
    )


class FeedbackSchools:
    """A district's schools with feedback links."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID, base_url: str) -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.base_url = base_url

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
            return school_view(row, self.base_url)

    async def switch(self, school_id: uuid.UUID, switches: InstrumentSwitches) -> FeedbackSchoolView:
        """Set which instruments the school uses; the rows already recorded stay."""
        async with self.sessions.begin() as session:
            row = await self._row(session, school_id)
            row.instruments_off = [name for name in switches.__struct_fields__ if not getattr(switches, name)]
            return school_view(row, self.base_url)

    async def _row(self, session: AsyncSession, school_id: uuid.UUID) -> FeedbackSchool:
        row = await session.get(FeedbackSchool, school_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No school with a feedback link has this id in your district.")
        return row


class Device(msgspec.Struct, frozen=True):
    """Who sent an answer: the page's device cookie (None without one) and the client address."""

    cookie: str | None
    address: str


class PublicFeedback:
    """A family's answer to a school's link."""

    def __init__(self, sessions: Sessions, card: FeedbackCard, secret: str, per_address: int) -> None:
        self.sessions = sessions
        self.card = card
        self.secret = secret.encode()
        self.per_address = per_address

    async def school(self, token: str) -> FeedbackSchool:
        """The open school of the link: NotFound for no such link, Gone for a closed one."""
        async with self.sessions() as session:
            row = await session.scalar(select(FeedbackSchool).where(FeedbackSchool.token == token))
        if row is None:
            raise NotFound("There is no feedback link at this address; check the link or the QR code.")
        if row.closed_at is not None:
            raise Gone("This school's feedback link has been closed; it takes no more answers.")
        if "card" in row.instruments_off:
            raise Conflict(
                "This school has its feedback card switched off for now, so it takes no answers; "
                "please tell the front office in person or by phone."
            )
        return row

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
        return hmac.new(self.secret, f"{school_id}|{day}|{who}".encode(), hashlib.sha256).hexdigest()

    async def answer(self, school: FeedbackSchool, answer: AnswerBody, device: Device) -> bool:
        """Record the answer and its `feedback.received` event in one transaction, with a
        dialogue (`dialogue.opened`) when the family asks to be contacted; False when it does not
        count (this device, or this address's daily share, already answered)."""
        self.check(answer)
        now = utcnow()
        day = now.date()
        address_key = self._key(school.id, day.isoformat(), f"address:{device.address}")
        who = f"device:{device.cookie}" if device.cookie else f"address:{device.address}"
        device_key = self._key(school.id, day.isoformat(), who)
        contact = answer.contact
        async with self.sessions.begin() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            if postgres:
                # Answers from one address to one school queue here for the rest of the
                # transaction, so two at once can't both pass the count below. (SQLite's
                # writers are serialized already: BEGIN IMMEDIATE.)
                await session.execute(select(func.pg_advisory_xact_lock(int(address_key[:15], 16))))
            from_address = await session.scalar(
                select(func.count())
                .select_from(FeedbackAnswer)
                .where(
                    FeedbackAnswer.school_id == school.id,
                    FeedbackAnswer.day == day,
                    FeedbackAnswer.address_key == address_key,
                )
            )
            if (from_address or 0) >= self.per_address:
                return False
            answer_id = uuid.uuid4()
            dialect = postgresql if postgres else sqlite
            inserted = await session.scalar(
                dialect.insert(FeedbackAnswer)
                .values(
                    id=answer_id,
                    district_id=school.district_id,
                    school_id=school.id,
                    instrument_version=self.card.version,
                    score=answer.score,
                    reason=answer.reason,
                    resolved=answer.resolved,
                    comment=answer.comment,
                    language=answer.language,
                    contact_name=contact.name if contact else None,
                    contact_phone=contact.phone if contact else None,
                    contact_email=contact.email if contact else None,
                    day=day,
                    device_key=device_key,
                    address_key=address_key,
                    received_at=now,
                )
                .on_conflict_do_nothing(
                    index_elements=[FeedbackAnswer.school_id, FeedbackAnswer.day, FeedbackAnswer.device_key]
                )
                .returning(FeedbackAnswer.id)
            )
            if inserted is None:
                return False
            consented = (
                ContactConsented(name=contact.name, phone=contact.phone, email=contact.email)
                if contact
                else None
            )
            await emit(
                session,
                school.district_id,
                FeedbackReceived(
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
                ),
                at=now,
            )
            if consented is not None:
                # The family asked to be contacted: the concerns inbox takes it from here, in
                # this transaction, so the answer is never stored without its dialogue.
                await open_from_answer(
                    session, school, answer_id, answer.reason, answer.comment, consented, now
                )
        return True


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
