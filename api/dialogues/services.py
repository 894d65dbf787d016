"""The concerns inbox's units of work: open a dialogue (from a family's answer, in the answer's
transaction, or from staff), read and page the inbox, change a dialogue, add a note, the
figures per school, and the past-due sweep.

Every query is narrowed by the caller's district, and a principal's by their school too (the
feedback school of their school's code); a dialogue out of reach is NotFound.
Ages and due times are in the district's business hours (api/dialogues/business.py).
"""

import statistics
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.admin.services import district_zone
from api.db import Sessions
from api.dialogues.business import DEFAULT_DUE_DAYS, business_hours, due_at
from api.errors import BadRequest, InvalidInput
from api.http import cursors
from api.models import Dialogue, DialogueNote, FeedbackSchool, table, utcnow
from api.outbox.emit import emit
from api.rows import newest_first_after, notify_marked, with_school
from schemas.dialogues import (
    DialogueChange,
    DialogueContact,
    DialogueCreate,
    DialogueNoteCreate,
    DialoguePage,
    DialogueSchool,
    DialogueSchoolFigures,
    DialogueSource,
    DialogueStatus,
    DialogueSummary,
    DialogueView,
)
from schemas.dialogues import DialogueNote as NoteView
from schemas.events import ContactConsented, DialogueClosed, DialogueOpened, DialoguePastDue, SchoolRef
from schemas.problem import FieldError

NOT_CLOSED = ("open", "waiting")
NO_DIALOGUE = "No dialogue has this id in your district; list them with GET /api/v1/dialogues."


class Filters(msgspec.Struct, frozen=True, kw_only=True):
    """What the inbox is narrowed to; `scope` binds a cursor to the filters it was made for."""

    school_id: uuid.UUID | None = None
    status: DialogueStatus | None = None
    owner: str | None = None
    past_due: bool | None = None

    def scope(self) -> str:
        return msgspec.json.encode(self).decode()


def _contact(row: Dialogue) -> tuple[str, str, str] | None:
    if row.contact_name is None:
        return None
    return row.contact_name, row.contact_phone or "", row.contact_email or ""


def _school_ref(school: FeedbackSchool) -> SchoolRef:
    return SchoolRef(id=school.id, code=school.code, name=school.name)


async def _open(session: AsyncSession, row: Dialogue, school: FeedbackSchool) -> None:
    """Add a new dialogue and its `dialogue.opened` event to the caller's transaction."""
    session.add(row)
    contact = _contact(row)
    consented = ContactConsented(name=contact[0], phone=contact[1], email=contact[2]) if contact else None
    await emit(
        session,
        row.district_id,
        DialogueOpened(
            dialogue_id=row.id,
            school=_school_ref(school),
            source=row.source,
            answer_id=row.answer_id,
            reason=row.reason,
            summary=row.summary,
            contact=consented,
            owner=row.owner,
            team=row.team,
            opened_at=row.opened_at,
            due_at=row.due_at,
        ),
        at=row.opened_at,
    )


async def open_from_answer(
    session: AsyncSession,
    school: FeedbackSchool,
    answer_id: uuid.UUID,
    reason: str,
    comment: str,
    contact: ContactConsented,
    opened_at: datetime,
) -> None:
    """Open a dialogue for a family's feedback answer that asked to be contacted, in the
    answer's transaction (`session`), so the answer and its dialogue are stored together or not
    at all. It is routed to the school's team, unowned, due in the default business days."""
    zone = await district_zone(session, school.district_id)
    # The dialogue's id is known before the flush: the event names it.
    row = Dialogue(
        id=uuid.uuid4(),
        district_id=school.district_id,
        school_id=school.id,
        source="feedback",
        answer_id=answer_id,
        reason=reason,
        contact_name=contact.name,
        contact_phone=contact.phone,
        contact_email=contact.email,
        summary=comment,
        status="open",
        first_contact_resolved=False,
        owner="",
        team=school.name,
        opened_at=opened_at,
        due_at=due_at(opened_at, DEFAULT_DUE_DAYS, zone),
    )
    await _open(session, row, school)


class Dialogues:
    """A district's inbox, or one school's of it: a principal's (`school`, a school code)."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID, secret: str, school: str = "") -> None:
        self.sessions = sessions
        self.district_id = district_id
        self.secret = secret
        self.school = school

    def _in_reach(self, school: FeedbackSchool | None) -> bool:
        return (
            school is not None
            and school.district_id == self.district_id
            and (not self.school or school.code == self.school)
        )

    async def create(self, body: DialogueCreate, reasons: Sequence[str]) -> DialogueView:
        """A concern entered by staff; InvalidInput (nothing written) for an unknown reason, a
        school not in the district, or contact details without consent or a way to reach them."""
        errors: list[FieldError] = []
        if body.reason not in reasons:
            errors.append(FieldError(field="$.reason", message=f"must be one of {', '.join(reasons)}"))
        contact = body.contact
        if contact is not None:
            if not contact.consent:
                errors.append(
                    FieldError(
                        field="$.contact.consent",
                        message="must be true: keep contact details only with the family's consent "
                        "(or send no contact)",
                    )
                )
            if not contact.phone.strip() and not contact.email.strip():
                errors.append(FieldError(field="$.contact", message="needs a phone or an email"))
        now = utcnow()
        async with self.sessions.begin() as session:
            found = await session.get(FeedbackSchool, body.school_id)
            school = found if self._in_reach(found) else None
            if school is None:
                errors.append(
                    FieldError(
                        field="$.school_id",
                        message=f"no school with a feedback link has this id in your school ({self.school})"
                        if self.school
                        else "no school with a feedback link has this id in your district "
                        "(see GET /api/v1/feedback/schools)",
                    )
                )
            if errors or school is None:
                raise InvalidInput(
                    "The concern was not entered: " + "; ".join(f"{e.field} {e.message}" for e in errors),
                    errors=errors,
                )
            zone = await district_zone(session, self.district_id)
            row = Dialogue(
                id=uuid.uuid4(),
                district_id=self.district_id,
                school_id=school.id,
                source="staff",
                answer_id=None,
                reason=body.reason,
                contact_name=contact.name if contact else None,
                contact_phone=contact.phone if contact else None,
                contact_email=contact.email if contact else None,
                summary=body.summary,
                status="open",
                first_contact_resolved=body.first_contact_resolved,
                owner=body.owner,
                team=body.team or school.name,
                opened_at=now,
                due_at=due_at(now, body.due_in_business_days, zone),
            )
            await _open(session, row, school)
            return _view(row, school, [], zone, now)

    async def page(self, filters: Filters, cursor: str | None, limit: int) -> DialoguePage:
        """One page of the inbox, newest first; new dialogues never shift a cursor."""
        now = utcnow()
        query = (
            select(Dialogue, FeedbackSchool)
            .join(FeedbackSchool, FeedbackSchool.id == Dialogue.school_id)
            .where(Dialogue.district_id == self.district_id)
        )
        if self.school:
            query = query.where(FeedbackSchool.code == self.school)
        if filters.school_id is not None:
            query = query.where(Dialogue.school_id == filters.school_id)
        if filters.status is not None:
            query = query.where(Dialogue.status == filters.status)
        if filters.owner is not None:
            query = query.where(Dialogue.owner == filters.owner)
        if filters.past_due is not None:
            late = and_(Dialogue.status.in_(NOT_CLOSED), Dialogue.due_at <= now)
            query = query.where(late if filters.past_due else ~late)
        if cursor:
            position = cursors.decode(self.secret, "dialogues", self.district_id, filters.scope(), cursor)
            try:
                when, last = datetime.fromisoformat(position[0]), uuid.UUID(position[1])
            except (IndexError, TypeError, ValueError):
                raise BadRequest("The cursor is not valid; start again without one.") from None
            query = query.where(newest_first_after(Dialogue.opened_at, Dialogue.id, when, last))
        query = query.order_by(Dialogue.opened_at.desc(), Dialogue.id.desc()).limit(limit + 1)
        async with self.sessions() as session:
            zone = await district_zone(session, self.district_id)
            rows = (await session.execute(query)).all()
            notes = await _notes(session, [row.id for row, _ in rows[:limit]])
        items = [_view(row, school, notes.get(row.id, []), zone, now) for row, school in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_row = rows[limit - 1][0]
            next_cursor = cursors.encode(
                self.secret,
                "dialogues",
                self.district_id,
                filters.scope(),
                [last_row.opened_at.isoformat(), str(last_row.id)],
            )
        return DialoguePage(items=items, next_cursor=next_cursor)

    async def get(self, dialogue_id: uuid.UUID) -> DialogueView:
        async with self.sessions() as session:
            row, school = await self._row(session, dialogue_id)
            return await self._read(session, row, school)

    async def change(self, dialogue_id: uuid.UUID, body: DialogueChange) -> DialogueView:
        """Change status, owner, team or the first-contact flag; closing sends `dialogue.closed`
        (once: the row is locked, so two closes at once can't both send it), reopening clears
        `closed_at`."""
        now = utcnow()
        async with self.sessions.begin() as session:
            row, school = await self._row(session, dialogue_id, lock=True)
            zone = await district_zone(session, self.district_id)
            if body.owner is not None:
                row.owner = body.owner
            if body.team is not None:
                row.team = body.team
            if body.first_contact_resolved is not None:
                row.first_contact_resolved = body.first_contact_resolved
            if body.status is not None and body.status != row.status:
                closing = body.status == "closed"
                row.status = body.status
                row.closed_at = now if closing else None
                if closing:
                    await emit(
                        session,
                        self.district_id,
                        DialogueClosed(
                            dialogue_id=row.id,
                            school=_school_ref(school),
                            reason=row.reason,
                            first_contact_resolved=row.first_contact_resolved,
                            owner=row.owner,
                            team=row.team,
                            opened_at=row.opened_at,
                            closed_at=now,
                            age_business_hours=business_hours(row.opened_at, now, zone),
                        ),
                        at=now,
                    )
            await session.flush()
            return await self._read(session, row, school, zone, now)

    async def add_note(self, dialogue_id: uuid.UUID, body: DialogueNoteCreate) -> DialogueView:
        async with self.sessions.begin() as session:
            row, school = await self._row(session, dialogue_id)
            session.add(DialogueNote(dialogue_id=row.id, author=body.author, text=body.text, at=utcnow()))
            await session.flush()
            return await self._read(session, row, school)

    async def summary(self) -> DialogueSummary:
        """Per school of the district: open (and waiting) and past-due counts, the open ones'
        median age in business hours, and the share of closed ones resolved on first contact."""
        now = utcnow()
        closed = (
            select(Dialogue.school_id, Dialogue.first_contact_resolved, func.count())
            .where(Dialogue.district_id == self.district_id, Dialogue.status == "closed")
            .group_by(Dialogue.school_id, Dialogue.first_contact_resolved)
        )
        # Ages need each open dialogue's opening (business hours can't be summed in SQL); the
        # closed ones, most of the table in time, are only counted.
        still_open = select(Dialogue.school_id, Dialogue.opened_at, Dialogue.due_at).where(
            Dialogue.district_id == self.district_id, Dialogue.status.in_(NOT_CLOSED)
        )
        async with self.sessions() as session:
            zone = await district_zone(session, self.district_id)
            mine = select(FeedbackSchool).where(FeedbackSchool.district_id == self.district_id)
            if self.school:
                mine = mine.where(FeedbackSchool.code == self.school)
            schools = list(await session.scalars(mine.order_by(FeedbackSchool.code)))
            groups = (await session.execute(closed)).all()
            openings = (await session.execute(still_open)).all()
        # school -> [past due, closed, closed and resolved on first contact]
        tally: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
        for school_id, resolved, count in groups:
            tally[school_id][1] += count
            tally[school_id][2] += count if resolved else 0
        ages: dict[uuid.UUID, list[float]] = defaultdict(list)
        for school_id, opened_at, due in openings:
            ages[school_id].append(business_hours(opened_at, now, zone))
            tally[school_id][0] += due <= now
        return DialogueSummary(
            as_of=now,
            schools=[
                DialogueSchoolFigures(
                    school_id=school.id,
                    code=school.code,
                    name=school.name,
                    open_count=len(ages[school.id]),
                    past_due_count=tally[school.id][0],
                    closed_count=tally[school.id][1],
                    median_age_business_hours=round(statistics.median(ages[school.id]), 2)
                    if ages[school.id]
                    else None,
                    first_contact_resolution_rate=round(tally[school.id][2] / tally[school.id][1], 4)
                    if tally[school.id][1]
                    else None,
                )
                for school in schools
            ],
        )

    async def _row(
        self, session: AsyncSession, dialogue_id: uuid.UUID, lock: bool = False
    ) -> tuple[Dialogue, FeedbackSchool]:
        return await with_school(
            session, Dialogue, dialogue_id, self.district_id, NO_DIALOGUE, lock=lock, school_code=self.school
        )

    async def _read(
        self,
        session: AsyncSession,
        row: Dialogue,
        school: FeedbackSchool,
        zone: ZoneInfo | None = None,
        now: datetime | None = None,
    ) -> DialogueView:
        notes = await _notes(session, [row.id])
        return _view(
            row,
            school,
            notes.get(row.id, []),
            zone or await district_zone(session, self.district_id),
            now or utcnow(),
        )


async def _notes(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoteView]]:
    """The notes of these dialogues, oldest first, in one query."""
    found: dict[uuid.UUID, list[NoteView]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.scalars(
        select(DialogueNote)
        .where(DialogueNote.dialogue_id.in_(ids))
        .order_by(DialogueNote.at, DialogueNote.id)
    )
    for note in rows:
        found[note.dialogue_id].append(NoteView(author=note.author, text=note.text, at=note.at))
    return found


def _view(
    row: Dialogue, school: FeedbackSchool, notes: list[NoteView], zone: ZoneInfo, now: datetime
) -> DialogueView:
    contact = _contact(row)
    return DialogueView(
        id=row.id,
        school=DialogueSchool(id=school.id, code=school.code, name=school.name),
        source=cast(DialogueSource, row.source),
        answer_id=row.answer_id,
        reason=row.reason,
        contact=DialogueContact(name=contact[0], phone=contact[1], email=contact[2]) if contact else None,
        summary=row.summary,
        status=cast(DialogueStatus, row.status),
        first_contact_resolved=row.first_contact_resolved,
        owner=row.owner,
        team=row.team,
        opened_at=row.opened_at,
        due_at=row.due_at,
        closed_at=row.closed_at,
        past_due=row.status != "closed" and row.due_at <= now,
        past_due_notice_at=row.past_due_notice_at,
        age_business_hours=business_hours(row.opened_at, row.closed_at or now, zone),
        notes=notes,
    )


async def sweep_past_due(sessions: Sessions, now: datetime) -> int:
    """Mark every open or waiting dialogue (of every district) whose due time has passed by
    `now` and has no notice yet, and send `dialogue.past_due` for each (see `notify_marked`)."""
    dialogues = table(Dialogue)
    marked = (
        update(dialogues)
        .where(
            dialogues.c.status.in_(NOT_CLOSED),
            dialogues.c.due_at <= now,
            dialogues.c.past_due_notice_at.is_(None),
        )
        .values(past_due_notice_at=now)
        .returning(
            dialogues.c.id,
            dialogues.c.district_id,
            dialogues.c.school_id,
            dialogues.c.reason,
            dialogues.c.status,
            dialogues.c.owner,
            dialogues.c.team,
            dialogues.c.opened_at,
            dialogues.c.due_at,
        )
    )
    return await notify_marked(
        sessions,
        marked,
        now,
        order=lambda row: (row.due_at, row.id),
        event=lambda row, school: DialoguePastDue(
            dialogue_id=row.id,
            school=school,
            reason=row.reason,
            status=row.status,
            owner=row.owner,
            team=row.team,
            opened_at=row.opened_at,
            due_at=row.due_at,
        ),
    )
