"""HR's reads of completion records: pages, the changes feed, transcripts, certificates and
their public verification, and the audit log of every pull."""

import uuid
from datetime import datetime

from sqlalchemy import select

from api.admin.audit import audit
from api.admin.services import DistrictService
from api.completions.changes import changes_query
from api.completions.records import (
    Filters,
    ModuleInfo,
    after,
    module_infos,
    record_query,
    to_record,
)
from api.completions.views import completion_view
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import BadRequest, NotFound
from api.http import cursors
from api.identity.learners import learner_view
from api.models import Completion, District, Learner, RosterEmployee
from schemas.admin import DistrictView
from schemas.hr import (
    ChangesPage,
    CompletionChangeItem,
    CompletionPage,
    CompletionRecord,
    HrTranscript,
    Verification,
)
from schemas.progress import Transcript


class CompletionService:
    """One district's completion records as HR reads them."""

    def __init__(
        self,
        sessions: Sessions,
        catalog: Catalog,
        district_id: uuid.UUID,
        key_id: uuid.UUID | None,
        secret: str,
        postgres: bool,
        actor: str = "",
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.key_id = key_id
        self.secret = secret
        self.postgres = postgres
        self.actor = actor
        """The person behind a console session, named in the audit log with every read."""

    async def _modules(self) -> dict[tuple[str, str], ModuleInfo]:
        return await module_infos(self.sessions, self.catalog)

    async def page(self, filters: Filters, cursor: str | None, limit: int) -> CompletionPage:
        """One page of records in (completed_at, id) order; new records never shift a cursor."""
        query = record_query(self.district_id, filters)
        if cursor:
            position = cursors.decode(self.secret, "records", self.district_id, filters.scope(), cursor)
            try:
                when, last = datetime.fromisoformat(position[0]), uuid.UUID(position[1])
            except (IndexError, TypeError, ValueError):
                raise BadRequest("The cursor is not valid; start again without one.") from None
            query = query.where(after(when, last))
        query = query.order_by(Completion.completed_at, Completion.id).limit(limit + 1)
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        items = [to_record(row, modules) for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last_row = rows[limit - 1]
            next_cursor = cursors.encode(
                self.secret,
                "records",
                self.district_id,
                filters.scope(),
                [last_row.completed_at.isoformat(), str(last_row.id)],
            )
        await audit(
            self.sessions,
            self.district_id,
            self.key_id,
            "list",
            filters.as_dict(),
            len(items),
            actor=self.actor,
        )
        return CompletionPage(items=items, next_cursor=next_cursor)

    async def changes(self, cursor: str | None, limit: int) -> ChangesPage:
        """Changes after the cursor, oldest first; see api/completions/changes.py for why none is missed."""
        position = (0, 0)
        if cursor:
            raw = cursors.decode(self.secret, "changes", self.district_id, "", cursor)
            if len(raw) != 2 or not all(isinstance(v, int) for v in raw):
                raise BadRequest("The cursor is not valid; start again without one.")
            position = (raw[0], raw[1])
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (
                await session.execute(changes_query(self.district_id, position, limit, self.postgres))
            ).all()
        items = [
            CompletionChangeItem(change_id=row.change_id, record=to_record(row, modules)) for row in rows
        ]
        if rows:
            position = (rows[-1].txid, rows[-1].change_id)
        next_cursor = cursors.encode(self.secret, "changes", self.district_id, "", list(position))
        await audit(
            self.sessions,
            self.district_id,
            self.key_id,
            "changes",
            {"cursor": cursor or ""},
            len(items),
            actor=self.actor,
        )
        return ChangesPage(items=items, next_cursor=next_cursor, has_more=len(rows) == limit)

    async def record(self, completion_id: uuid.UUID, learner_id: uuid.UUID | None = None) -> CompletionRecord:
        query = record_query(self.district_id, Filters()).where(Completion.id == completion_id)
        if learner_id is not None:
            query = query.where(Completion.learner_id == learner_id)
        modules = await self._modules()
        async with self.sessions() as session:
            row = (await session.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No completion record {completion_id} here.")
        return to_record(row, modules)

    async def district(self) -> tuple[DistrictView, bytes | None]:
        """The district as its PDFs show it (name, time zone, signer) and its logo, if any."""
        return await DistrictService(self.sessions).for_print(self.district_id)

    async def module_titles(self, records: list[CompletionRecord], language: str) -> dict[str, str]:
        """Each record's module title in `language` (English if untranslated), by module id."""
        titles = {}
        for record in records:
            entry = await self.catalog.entry(record.module.id, record.module.version)
            titles[record.module.id] = self.catalog.localized(entry, language).title
        return titles

    async def titles(self, record: CompletionRecord, language: str) -> tuple[str, str]:
        """The course's title and the record's module's, in `language` (English if untranslated)."""
        course = await self.catalog.course()
        entry = await self.catalog.entry(record.module.id, record.module.version)
        course_title = course.translations.get(language, {}).get("title", course.title)
        return course_title, self.catalog.localized(entry, language).title

    async def transcript(self, employee_id: str) -> HrTranscript:
        filters = Filters(employee=employee_id)
        query = record_query(self.district_id, filters).order_by(Completion.completed_at, Completion.id)
        modules = await self._modules()
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
            roster = (
                await session.execute(
                    select(RosterEmployee).where(
                        RosterEmployee.district_id == self.district_id,
                        RosterEmployee.employee_id == employee_id,
                    )
                )
            ).scalar_one_or_none()
        records = [to_record(row, modules) for row in rows]
        if roster is None and not records:
            raise NotFound(f"No employee {employee_id!r} on this district's roster or among its learners.")
        name = roster.name if roster else records[0].employee.name
        email = roster.email if roster else records[0].employee.email
        await audit(
            self.sessions,
            self.district_id,
            self.key_id,
            "transcript",
            filters.as_dict(),
            len(records),
            actor=self.actor,
        )
        return HrTranscript(
            employee_id=employee_id,
            name=name,
            email=email,
            records=records,
            total_credit_minutes=sum(r.credit_minutes for r in records if r.outcome.status == "completed"),
        )


async def verify(sessions: Sessions, catalog: Catalog, code: str, locale: str = "en") -> Verification:
    """What a certificate code confirms: valid (or voided, and when), for whom, which module (its
    title in `locale`), when. Nothing more: a void's reason is not published."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(Completion, District.name, Learner)
                .join(District, District.id == Completion.district_id)
                .join(Learner, Learner.id == Completion.learner_id)
                .where(Completion.certificate_code == code.strip().upper())
            )
        ).one_or_none()
        if row is None:
            raise NotFound("No certificate has this verification code; check it against the certificate.")
        completion, district, learner = row
        roster = None
        for condition in (
            RosterEmployee.id == learner.roster_employee_id if learner.roster_employee_id else None,
            RosterEmployee.employee_id == learner.employee_id if learner.employee_id else None,
            RosterEmployee.email_key == learner.email.lower() if learner.email else None,
        ):
            if roster is None and condition is not None:
                roster = (
                    await session.execute(
                        select(RosterEmployee.name).where(
                            RosterEmployee.district_id == completion.district_id, condition
                        )
                    )
                ).first()
    entry = await catalog.entry(completion.module_id, completion.module_version)
    return Verification(
        valid=completion.voided_at is None,
        name=roster[0] if roster else learner.name,
        module=catalog.localized(entry, locale).title,
        completed_on=completion.completed_at.date().isoformat(),
        district=district,
        voided_on=None if completion.voided_at is None else completion.voided_at.date().isoformat(),
    )


async def learner_transcript(sessions: Sessions, learner_id: uuid.UUID) -> Transcript:
    """A learner's own completions, voided ones too, and the credit the live ones give."""
    async with sessions() as session:
        learner = await session.get(Learner, learner_id)
        if learner is None:
            raise NotFound("No such learner.")
        rows = list(
            (
                await session.execute(
                    select(Completion)
                    .where(Completion.learner_id == learner_id)
                    .order_by(Completion.completed_at)
                )
            ).scalars()
        )
    completions = [completion_view(r) for r in rows]
    total = sum(r.credit_minutes for r in rows if r.voided_at is None)
    return Transcript(learner=learner_view(learner), completions=completions, total_credit_minutes=total)
