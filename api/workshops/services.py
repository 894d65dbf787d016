"""Live workshops: opening one, joining it by code, moving the room, reading its feed, and
confirming attendance (which may complete modules, as a submit would)."""

import uuid
from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import msgspec
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.attempts import pace
from api.attempts.attended import Retry, complete_on_attendance
from api.attempts.decide import checked
from api.attempts.services import AttemptService
from api.completions.changes import PG_HORIZON
from api.content.catalog import Catalog, Entry
from api.db import Sessions
from api.errors import Conflict, Gone, InvalidInput, NotFound
from api.identity.learners import LearnerService
from api.identity.tokens import issue
from api.memo import Memo
from api.models import Attempt, Attendance, Learner, Workshop, WorkshopFeed, WorkshopParticipant, utcnow
from api.packets.layout import Person
from api.workshops.room import Position, clean_code, format_code, new_code
from schemas.content import Module
from schemas.problem import FieldError
from schemas.progress import LearnerProfile, LearnerView, SubmitResult
from schemas.workshops import (
    AttendanceResult,
    Joined,
    JoinRequest,
    Newcomer,
    PaperAnswers,
    Participant,
    RoomState,
    StateChange,
    WorkshopOpen,
    WorkshopView,
)

JOIN_PAGE = "/room/join.html"
FEED_PAGE = 500
"""Feed rows read at once by a stream."""


def room_state(row: Workshop, modules: Sequence[Module] = ()) -> RoomState:
    """The room's state; with the workshop's modules, also where in them the room is."""
    module_id, activity = pace.position(modules, row.step)
    return RoomState(
        workshop_id=row.id,
        title=row.title,
        modules=list(row.modules),
        step=row.step,
        allow_ahead=row.allow_ahead,
        status=row.status,  # type: ignore[arg-type]
        module_id=module_id,
        activity=activity,
    )


async def published(catalog: Catalog, module_ids: Sequence[str]) -> list[Module]:
    """The current versions of those of the modules still published (resolve before any
    session: the catalog may read the database)."""
    found: list[Module] = []
    for module_id in module_ids:
        with suppress(NotFound):
            found.append((await catalog.entry(module_id)).module)
    return found


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
        modules = list(dict.fromkeys(data.modules))
        scripts = [entry.module for entry in await self.entries(modules)]
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
                    session.add(self._state_row(row, scripts))
                    return self.view(row, 0)
            except IntegrityError:
                continue
        raise Conflict("No free join code was found; try again.")

    @staticmethod
    def _state_row(row: Workshop, modules: Sequence[Module]) -> WorkshopFeed:
        state = msgspec.to_builtins(room_state(row, modules))
        return WorkshopFeed(workshop_id=row.id, kind="state", state=state)

    async def _modules_of(self, workshop_id: uuid.UUID) -> list[Module]:
        async with self.sessions() as session:
            module_ids = list((await self._row(session, workshop_id)).modules)
        return await published(self.catalog, module_ids)

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
        modules = await self._modules_of(workshop_id)
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
            session.add(self._state_row(row, modules))
            await session.flush()
            return self.view(row, await self._count(session, workshop_id))

    async def room(self, workshop_id: uuid.UUID, learner_id: uuid.UUID | None) -> RoomState:
        """The room's state, for its facilitator or one of its participants."""
        modules = await self._modules_of(workshop_id)
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            if (
                learner_id is not None
                and await session.get(WorkshopParticipant, (workshop_id, learner_id)) is None
            ):
                raise NotFound("No such workshop in this district.")
            return room_state(row, modules)

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

    async def expect(self, workshop_id: uuid.UUID, person: Newcomer) -> Participant:
        """List someone in the room before the session (so their packet, with their own QR
        code, can be printed ahead): the learner joining by code would make, made now."""
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
        if row.status == "closed":
            raise Conflict("This workshop is closed; list people in the one you will run.")
        if row.expires_at <= utcnow():
            raise Conflict("This workshop's code has expired; open a new workshop and list people in it.")
        learner, listed = await enrol(self.sessions, row, person)
        return Participant(
            learner_id=learner.id,
            name=learner.name,
            school=learner.school,
            role=learner.role,
            joined_at=listed,
            attended=False,
        )

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

    async def paper(self, workshop_id: uuid.UUID, learner_id: uuid.UUID, data: PaperAnswers) -> SubmitResult:
        """A participant's paper answers to a form, entered by the facilitator: checked, scored
        and recorded exactly as the participant's own submit (completion, HR, events), under the
        room's cohort; not held by the room's pace (the paper was written in the room)."""
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            joined = await session.get(WorkshopParticipant, (workshop_id, learner_id))
            modules, cohort = list(row.modules), row.cohort
        if joined is None:
            raise InvalidInput(
                f"Learner {learner_id} did not join this workshop; GET the workshop's participants "
                "for their ids.",
                errors=[FieldError(field="$.learner_id", message="not a participant")],
            )
        if data.module_id not in modules:
            raise InvalidInput(
                f"This workshop runs {', '.join(modules)}, not {data.module_id!r}.",
                errors=[FieldError(field="$.module_id", message="not a module of this workshop")],
            )
        entry = await self.catalog.entry(data.module_id)
        form = next((f for f in entry.module.forms if f.id == data.form_id), None)
        if form is None:
            raise InvalidInput(
                f"Module {data.module_id!r} has no form {data.form_id!r}.",
                errors=[FieldError(field="$.form_id", message="no such form in the module")],
            )
        checked(form, data.answers)  # a misfit is a 422 before any attempt is started
        work = AttemptService(self.sessions, self.catalog, self.district_id, learner_id, cohort)
        attempt, _ = await work.start(data.module_id, data.form_id)
        return await work.submit(attempt.id, dict(data.answers), paced=False)

    async def paper_link(self, workshop_id: uuid.UUID, learner_id: uuid.UUID, signing_key: str) -> str:
        """The link a participant's printed packet carries as a QR code: the player, opened as
        them on the module the room is on, with a token that lasts until an hour after the
        workshop's code expires (the paper is theirs, handed out in the room; a closed room's
        link still opens their own work, nothing else)."""
        modules = await self._modules_of(workshop_id)
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            joined = await session.get(WorkshopParticipant, (workshop_id, learner_id))
        if joined is None:
            raise NotFound(f"Learner {learner_id} did not join this workshop.")
        return self._link(row, modules, learner_id, signing_key)

    def _link(self, row: Workshop, modules: Sequence[Module], learner_id: uuid.UUID, signing_key: str) -> str:
        module_id, _ = pace.position(modules, row.step)
        left = max(timedelta(minutes=5), row.expires_at - utcnow() + timedelta(hours=1))
        token, _ = issue(signing_key, self.district_id, learner_id, row.cohort, left)
        fragment = urlencode({"token": token, "module": module_id or row.modules[0], "view": "learner"})
        return f"{self.base_url}/player/#{fragment}"

    async def packet_people(
        self, workshop_id: uuid.UUID, signing_key: str
    ) -> tuple[WorkshopView, list[Person]]:
        """The workshop and, for each participant in the order they joined, what their personal
        packet's cover carries: name, school and their own link (as `paper_link` gives it)."""
        modules = await self._modules_of(workshop_id)
        listed = await self.participants(workshop_id)
        async with self.sessions() as session:
            row = await self._row(session, workshop_id)
            view = self.view(row, len(listed))
        if not listed:
            raise Conflict(
                "No one has joined this workshop yet: personal packets are printed for its "
                "participants. Print the module's packet instead, or wait until people join."
            )
        people = [
            Person(name=p.name, school=p.school, link=self._link(row, modules, p.learner_id, signing_key))
            for p in listed
        ]
        return view, people

    async def feed(self, workshop_id: uuid.UUID, after: Position) -> list[FeedRow]:
        """The workshop's feed after `after`, for its presenter's stream (`read_feed`)."""
        return await read_feed(self.sessions, workshop_id, after)


class JoinService:
    """Joining a room by its code, from a phone, without an account (the public route)."""

    def __init__(self, sessions: Sessions, catalog: Catalog) -> None:
        self.sessions = sessions
        self.catalog = catalog

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
        learner, _ = await enrol(self.sessions, row, data)
        minutes = max(5, min(1440, int((row.expires_at - now).total_seconds() // 60) + 60))
        token, expires = issue(
            signing_key, row.district_id, learner.id, row.cohort, timedelta(minutes=minutes)
        )
        room = room_state(row, await published(self.catalog, row.modules))
        return Joined(token=token, expires_at=expires, learner=learner, room=room)


async def enrol(sessions: Sessions, row: Workshop, person: Newcomer) -> tuple[LearnerView, datetime]:
    """A new learner of the workshop's district, put in its room, and when: the one way into a
    room by name, whether the person joins by code or the facilitator lists them ahead. Always
    a new learner: a name and a school are no proof of being someone HR already knows, so no
    one can take over another's record by typing their name."""
    profile = LearnerProfile(
        external_id=f"workshop-{uuid.uuid4().hex}",
        name=person.name.strip(),
        school=person.school.strip(),
        role=person.role.strip(),
        employee_id=person.employee_id.strip(),
    )
    blank = [field for field in ("name", "school") if not getattr(profile, field)]
    if blank:
        raise InvalidInput(
            f"Give a {' and a '.join(blank)}: spaces alone name no one.",
            errors=[FieldError(field=f"$.{field}", message="blank") for field in blank],
        )
    learner = await LearnerService(sessions, row.district_id).upsert(profile)
    now = utcnow()
    async with sessions.begin() as session:
        session.add(WorkshopParticipant(workshop_id=row.id, learner_id=learner.id, joined_at=now))
    return learner, now


async def read_feed(
    sessions: Sessions, workshop_id: uuid.UUID, after: Position, states_only: bool = False
) -> list[FeedRow]:
    """The workshop's feed rows after `after`, in order, only those no later commit can
    slip behind (as the completions changes feed serves: `api/completions/changes.py`);
    `states_only`: the room's moves alone (what its participants may see)."""
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
    if states_only:
        query = query.where(WorkshopFeed.kind == "state")
    async with sessions() as session:
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


class ParticipantService:
    """A learner's own rooms: the open workshops they are in, and where each is."""

    def __init__(
        self, sessions: Sessions, catalog: Catalog, district_id: uuid.UUID, learner_id: uuid.UUID
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.learner_id = learner_id

    async def rooms(self) -> list[RoomState]:
        """The open rooms (code not expired) the learner joined, newest first."""
        async with self.sessions() as session:
            rows = list(
                (
                    await session.execute(
                        select(Workshop)
                        .join(WorkshopParticipant, WorkshopParticipant.workshop_id == Workshop.id)
                        .where(
                            WorkshopParticipant.learner_id == self.learner_id,
                            Workshop.district_id == self.district_id,
                            Workshop.status == "open",
                            Workshop.expires_at > utcnow(),
                        )
                        .order_by(Workshop.created_at.desc())
                    )
                ).scalars()
            )
        return [room_state(row, await published(self.catalog, row.modules)) for row in rows]

    async def moves(self, workshop_id: uuid.UUID, after: Position) -> list[FeedRow]:
        """The room's moves after `after` (never an entry: the query leaves them out), for the
        learner's player; `member` has checked the room is theirs."""
        return await read_feed(self.sessions, workshop_id, after, states_only=True)

    async def member(self, workshop_id: uuid.UUID) -> None:
        """NotFound unless the learner is in this room of their district."""
        async with self.sessions() as session:
            row = await session.get(Workshop, workshop_id)
            joined = await session.get(WorkshopParticipant, (workshop_id, self.learner_id))
        if row is None or row.district_id != self.district_id or joined is None:
            raise NotFound("No such workshop of yours; join it with its code first.")


class Room(msgspec.Struct, frozen=True):
    """What a launch needs to know of a room to join it."""

    id: uuid.UUID
    cohort: str
    modules: list[str]
    status: str
    expires_at: datetime


ROOMS_TTL = 1.0
"""Seconds a process trusts its list of a district's open rooms (see OpenRooms)."""
OPEN_ROOMS_MAX = 1000
_ROOM_COLUMNS = (Workshop.id, Workshop.cohort, Workshop.modules, Workshop.status, Workshop.expires_at)
# Built once, with bound parameters: SQLAlchemy compiles each once (launches are frequent).
_OPEN_ROOMS = (
    select(*_ROOM_COLUMNS)
    .where(
        Workshop.district_id == bindparam("district_id"),
        Workshop.status == "open",
        Workshop.expires_at > bindparam("now"),
    )
    .order_by(Workshop.created_at.desc())
    .limit(OPEN_ROOMS_MAX)
)
_ROOM_BY_CODE = select(*_ROOM_COLUMNS).where(
    Workshop.district_id == bindparam("district_id"), Workshop.code == bindparam("code")
)


class OpenRooms:
    """The open room an LTI launch joins, found in what this process remembers of each district's
    open rooms (and of each code a link names) for ROOMS_TTL seconds: every learner launch from
    an LMS course looks, and rooms are few and open rarely. A room opened less than ROOMS_TTL
    seconds ago may be missed (the launch still opens its module); a room closed since is not
    joined (`add_participant` checks)."""

    def __init__(self, sessions: Sessions, ttl: float = ROOMS_TTL) -> None:
        self.sessions = sessions
        self._open: Memo[uuid.UUID, list[Room]] = Memo(ttl)
        self._coded: Memo[tuple[uuid.UUID, str], list[Room]] = Memo(ttl)

    async def _rows(self, statement: Any, values: dict[str, Any]) -> list[Room]:
        async with self.sessions() as session:
            rows = (await session.execute(statement, values)).all()
        return [Room(*row) for row in rows]

    async def find(self, district_id: uuid.UUID, module_id: str, code: str, cohort: str) -> uuid.UUID | None:
        """The open room a launch of `module_id` joins: the one its link's custom parameter
        `workshop=<code>` names, else the newest open room of the district for the launch's
        cohort (its LMS context) that runs the module; None for none. A code naming no workshop
        of the district is a 422 (the link is wrong); a closed or expired one joins nothing (the
        module is still there to work through alone)."""
        now = utcnow()
        if code:
            key = (district_id, clean_code(code))
            values = {"district_id": district_id, "code": key[1]}
            rooms = await self._coded.get(key, lambda: self._rows(_ROOM_BY_CODE, values))
            if not rooms:
                raise InvalidInput(
                    f"The LTI link's custom parameter workshop={code!r} names no workshop of this "
                    "district; give it the code the facilitator projects, or leave it out.",
                    errors=[FieldError(field="$.custom.workshop", message="no such workshop")],
                )
        elif cohort:
            values = {"district_id": district_id, "now": now}
            rooms = await self._open.get(district_id, lambda: self._rows(_OPEN_ROOMS, values))
            rooms = [r for r in rooms if r.cohort == cohort and module_id in r.modules]
        else:
            return None  # nothing to look for
        return next((r.id for r in rooms if r.status == "open" and r.expires_at > now), None)


async def add_participant(connection: AsyncConnection, workshop_id: uuid.UUID, learner_id: uuid.UUID) -> None:
    """Put the learner in the room if it is still open, in the caller's transaction (again:
    nothing changes). A room closed since `OpenRooms` last looked takes no one."""
    participants = WorkshopParticipant.__table__
    now = utcnow()
    still_open = select(
        Workshop.id,
        bindparam("learner_id", learner_id, type_=participants.c.learner_id.type),
        bindparam("joined_at", now, type_=participants.c.joined_at.type),
    ).where(Workshop.id == workshop_id, Workshop.status == "open", Workshop.expires_at > now)
    make: Any = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    await connection.execute(
        make(participants)
        .from_select(["workshop_id", "learner_id", "joined_at"], still_open)
        .on_conflict_do_nothing(index_elements=["workshop_id", "learner_id"])
    )
