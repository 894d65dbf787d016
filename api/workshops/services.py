"""Live workshops: opening one, joining it by code, moving the room, reading its feed, and
confirming attendance (which may complete modules, as a submit would)."""

import uuid
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.attempts.attended import Retry, complete_on_attendance
from api.completions.changes import PG_HORIZON
from api.content.catalog import Catalog, Entry
from api.db import Sessions
from api.errors import Conflict, Gone, InvalidInput, NotFound
from api.identity.learners import LearnerService
from api.models import Attempt, Attendance, Learner, Workshop, WorkshopFeed, WorkshopParticipant, utcnow
from api.workshops.room import Position, clean_code, format_code, new_code
from schemas.problem import FieldError
from schemas.progress import LearnerProfile
from schemas.workshops import (
    AttendanceResult,
    Joined,
    JoinRequest,
    Participant,
    RoomState,
    StateChange,
    WorkshopOpen,
    WorkshopView,
)

JOIN_PAGE = "/room/join.html"
FEED_PAGE = 500
"""Feed rows read at once by a stream."""


def room_state(row: Workshop) -> RoomState:
    return RoomState(
        workshop_id=row.id,
        title=row.title,
        modules=list(row.modules),
        step=row.step,
        allow_ahead=row.allow_ahead,
        status=row.status,  # type: ignore[arg-type]
    )


class FeedRow(msgspec.Struct, frozen=True):
    """One row of a workshop's feed, with the attempt it names (for an entry)."""

    position: Position
    kind: str
    state: dict[str, Any] | None
    learner_id: uuid.UUID | None
    module_id: str | None
    form_id: str | None
    answers: dict[str, Any] | None


class WorkshopService:
    """A district's workshops, as their facilitators run them."""

    def __init__(self, sessions: Sessions, catalog: Catalog, district_id: uuid.UUID, base_url: str) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.base_url = base_url

    def view(self, row: Workshop, participants: int) -> WorkshopView:
        return WorkshopView(
            id=row.id,
            code=format_code(row.code),
            join_url=f"{self.base_url}{JOIN_PAGE}#code={row.code}",
            title=row.title,
            modules=list(row.modules),
            cohort=row.cohort,
            step=row.step,
            allow_ahead=row.allow_ahead,
            status=row.status,  # type: ignore[arg-type]
            participants=participants,
            created_at=row.created_at,
            expires_at=row.expires_at,
            closed_at=row.closed_at,
        )

    async def entries(self, module_ids: list[str]) -> list[Entry]:
        """The modules' current versions; a 422 naming any that do not exist."""
        found: list[Entry] = []
        errors: list[FieldError] = []
        for index, module_id in enumerate(module_ids):
            try:
                found.append(await self.catalog.entry(module_id))
            except NotFound as exc:
                errors.append(FieldError(field=f"$.modules[{index}]", message=str(exc)))
        if errors:
            raise InvalidInput("; ".join(e.message for e in errors), errors=errors)
        return found

    async def open(self, data: WorkshopOpen, opened_by: str) -> WorkshopView:
        await self.entries(data.modules)
        modules = list(dict.fromkeys(data.modules))
        for _ in range(5):  # a code already taken (1 in 25^8 a try): draw another
            try:
                async with self.sessions.begin() as session:
                    now = utcnow()
                    row = Workshop(
                        district_id=self.district_id,
                        code=new_code(),
                        title=data.title,
                        modules=modules,
                        cohort=data.cohort,
                        step=0,
                        allow_ahead=False,
                        status="open",
                        opened_by=opened_by,
                        created_at=now,
                        expires_at=now + timedelta(hours=data.hours),
                    )
                    session.add(row)
                    await session.flush()
                    # The feed starts with the room's state, so a stream from the start has it.
                    session.add(self._state_row(row))
                    return self.view(row, 0)
            except IntegrityError:
                continue
        raise Conflict("No free join code was found; try again.")

    @staticmethod
    def _state_row(row: Workshop) -> WorkshopFeed:
        return WorkshopFeed(workshop_id=row.id, kind="state", state=msgspec.to_builtins(room_state(row)))

    async def _row(self, session: AsyncSession, workshop_id: uuid.UUID) -> Workshop:
        row = await session.get(Workshop, workshop_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No such workshop in this district.")
        return row

    async def _count(self, session: AsyncSession, workshop_id: uuid.UUID) -> int:
        return (
            await session.scalar(select(func.count()).where(WorkshopParticipant.workshop_id == workshop_id))
        ) or 0

    async def get(self, workshop_id: uuid.UUID) -> WorkshopView:
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            return self.view(row, await self._count(session, workshop_id))

    async def change(self, workshop_id: uuid.UUID, data: StateChange) -> WorkshopView:
        async with self.sessions.begin() as session:
            row = await self._row(session, workshop_id)
            if row.status == "closed":
                raise Conflict("This workshop is closed; open a new one to run the room again.")
            if data.step is not None:
                row.step = data.step
            if data.allow_ahead is not None:
                row.allow_ahead = data.allow_ahead
            if data.status == "closed":
                row.status, row.closed_at = "closed", utcnow()
            session.add(self._state_row(row))
            await session.flush()
            return self.view(row, await self._count(session, workshop_id))

    async def room(self, workshop_id: uuid.UUID, learner_id: uuid.UUID | None) -> RoomState:
        """The room's state, for its facilitator or one of its participants."""
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            if (
                learner_id is not None
                and await session.get(WorkshopParticipant, (workshop_id, learner_id)) is None
            ):
                raise NotFound("No such workshop in this district.")
            return room_state(row)

    async def participants(self, workshop_id: uuid.UUID) -> list[Participant]:
        async with self.sessions() as session:
            await self._row(session, workshop_id)
            rows = (
                await session.execute(
                    select(WorkshopParticipant, Learner)
                    .join(Learner, Learner.id == WorkshopParticipant.learner_id)
                    .where(WorkshopParticipant.workshop_id == workshop_id)
                    .order_by(WorkshopParticipant.joined_at, Learner.id)
                )
            ).all()
        return [
            Participant(
                learner_id=learner.id,
                name=learner.name,
                school=learner.school,
                role=learner.role,
                joined_at=p.joined_at,
                attended=p.attended_at is not None,
            )
            for p, learner in rows
        ]

    async def confirm(self, workshop_id: uuid.UUID, learner_ids: list[uuid.UUID]) -> AttendanceResult:
        """Record that each learner attended (each a participant), for every module of the
        workshop; completions their rules now allow are recorded as a submit records them."""
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            modules = list(row.modules)
            known = set(
                (
                    await session.execute(
                        select(WorkshopParticipant.learner_id).where(
                            WorkshopParticipant.workshop_id == workshop_id
                        )
                    )
                ).scalars()
            )
        strangers = [str(i) for i in learner_ids if i not in known]
        if strangers:
            raise InvalidInput(
                f"These learners did not join this workshop: {', '.join(strangers)}. "
                "GET the workshop's participants for their ids.",
                errors=[FieldError(field="$.learner_ids", message="not a participant")],
            )
        entries = await self.entries(modules)  # resolved before any transaction (see api/db.py)
        completions = 0
        for learner_id in dict.fromkeys(learner_ids):
            completions += await self._attend(workshop_id, learner_id, entries)
        return AttendanceResult(attended=len(set(learner_ids)), completions=completions)

    async def _attend(self, workshop_id: uuid.UUID, learner_id: uuid.UUID, entries: list[Entry]) -> int:
        for _ in range(5):
            try:
                async with self.sessions.begin() as session:
                    now = utcnow()
                    await session.execute(
                        update(WorkshopParticipant)
                        .where(
                            WorkshopParticipant.workshop_id == workshop_id,
                            WorkshopParticipant.learner_id == learner_id,
                            WorkshopParticipant.attended_at.is_(None),
                        )
                        .values(attended_at=now)
                    )
                    recorded = 0
                    for entry in entries:
                        key = (learner_id, entry.module.id)
                        if await session.get(Attendance, key) is None:
                            session.add(
                                Attendance(
                                    learner_id=learner_id,
                                    module_id=entry.module.id,
                                    district_id=self.district_id,
                                    workshop_id=workshop_id,
                                    confirmed_at=now,
                                )
                            )
                            await session.flush()
                        done = await complete_on_attendance(
                            session, self.district_id, learner_id, entry.module, entry.version
                        )
                        recorded += done
                    return recorded
            except (Retry, IntegrityError):
                continue  # a submit or another confirmation of theirs wrote meanwhile: decide again
        raise Conflict("This learner's progress kept changing while attendance was confirmed; try again.")

    async def feed(self, workshop_id: uuid.UUID, after: Position) -> list[FeedRow]:
        """The workshop's feed rows after `after`, in order, only those no later commit can
        slip behind (as the completions changes feed serves: `api/completions/changes.py`)."""
        txid, row_id = after
        query = (
            select(
                WorkshopFeed.txid,
                WorkshopFeed.id,
                WorkshopFeed.kind,
                WorkshopFeed.state,
                Attempt.learner_id,
                Attempt.module_id,
                Attempt.form_id,
                Attempt.answers,
            )
            .outerjoin(Attempt, Attempt.id == WorkshopFeed.attempt_id)
            .where(
                WorkshopFeed.workshop_id == workshop_id,
                or_(WorkshopFeed.txid > txid, and_(WorkshopFeed.txid == txid, WorkshopFeed.id > row_id)),
            )
            .order_by(WorkshopFeed.txid, WorkshopFeed.id)
            .limit(FEED_PAGE)
        )
        async with self.sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                query = query.where(WorkshopFeed.txid < PG_HORIZON)
            rows = (await session.execute(query)).all()
        return [
            FeedRow(
                position=(r[0], r[1]),
                kind=r[2],
                state=r[3],
                learner_id=r[4],
                module_id=r[5],
                form_id=r[6],
                answers=r[7],
            )
            for r in rows
        ]


class JoinService:
    """Joining a room by its code, from a phone, without an account (the public route)."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def join(self, data: JoinRequest, signing_key: str) -> Joined:
        code = clean_code(data.code)
        async with self.sessions() as session:
            row = (await session.execute(select(Workshop).where(Workshop.code == code))).scalar_one_or_none()
        if row is None:
            raise NotFound("No workshop has that code; check the code on the screen (letters and digits).")
        if row.status == "closed":
            raise Gone("This workshop is closed; ask the facilitator for the code of the one running now.")
        now = utcnow()
        if row.expires_at <= now:
            raise Gone("This workshop's code has expired; ask the facilitator for a new one.")
        learners = LearnerService(self.sessions, row.district_id)
        # Each join is a new learner: a name and a school are no proof of being someone HR
        # already knows, so no one can take over another's record by typing their name.
        profile = LearnerProfile(
            external_id=f"workshop-{uuid.uuid4().hex}",
            name=data.name.strip(),
            school=data.school.strip(),
            role=data.role.strip(),
            employee_id=data.employee_id.strip(),
        )
        minutes = max(5, min(1440, int((row.expires_at - now).total_seconds() // 60) + 60))
        token = await learners.token(profile, row.cohort, minutes, signing_key)
        async with self.sessions.begin() as session:
            session.add(WorkshopParticipant(workshop_id=row.id, learner_id=token.learner.id, joined_at=now))
        return Joined(
            token=token.token, expires_at=token.expires_at, learner=token.learner, room=room_state(row)
        )
