"""A district's OneRoster REST endpoint, read into its roster on a schedule: the stored source
(the OAuth 2 secret sealed like every other secret), and the dispatcher's sweep that runs each
source when it comes due and records how the run went.

Safe with many dispatchers: a run is claimed by one UPDATE … RETURNING that moves the source's
`next_run_at` past now (a lease of `LEASE`), so on PostgreSQL a second sweep meeting the row
waits for the first's commit, re-reads it and passes it by (SQLite's writers are serialized).
A worker that dies mid-run leaves the lease to expire, and the next sweep after it runs again.
The fetch happens outside any transaction; the import is all-or-nothing, as for a CSV bundle.
"""

import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import delete, select, update

from api.crypto import SecretBox
from api.db import Sessions
from api.errors import InvalidInput
from api.models import OneRosterSource, table, utcnow
from api.outbox.dispatcher import Sweep
from api.roster.onerosterrest import Source, SourceFailure, fetch
from api.roster.services import RosterService
from schemas.hr import OneRosterVersion

LEASE = timedelta(minutes=15)
"""How long a claimed run keeps other sweeps off the source; longer than a fetch can take."""


async def configure(
    sessions: Sessions,
    box: SecretBox,
    district_id: uuid.UUID,
    source: Source,
    every_hours: int,
) -> OneRosterSource:
    """Store (or replace) the district's source; its first run is due at once."""
    now = utcnow()
    async with sessions.begin() as session:
        row = await session.get(OneRosterSource, district_id)
        if row is None:
            row = OneRosterSource(district_id=district_id, created_at=now)
            session.add(row)
        row.base_url = source.base_url
        row.version = source.version
        row.token_url = source.token_url
        row.client_id = source.client_id
        row.client_secret_sealed = box.seal(source.client_secret)
        row.every_hours = every_hours
        row.next_run_at = now
        row.last_outcome = row.last_outcome or ""
        row.last_detail = row.last_detail or ""
        row.last_created = row.last_created or 0
        row.last_updated = row.last_updated or 0
    return row


async def source_of(sessions: Sessions, district_id: uuid.UUID) -> OneRosterSource | None:
    async with sessions.begin() as session:
        return await session.get(OneRosterSource, district_id)


async def run_soon(sessions: Sessions, district_id: uuid.UUID) -> bool:
    """Make the district's source due now (the next sweep, within a minute, runs it)."""
    async with sessions.begin() as session:
        due = await session.execute(
            update(OneRosterSource)
            .where(OneRosterSource.district_id == district_id)
            .values(next_run_at=utcnow())
        )
    return bool(getattr(due, "rowcount", 0))


async def remove(sessions: Sessions, district_id: uuid.UUID) -> bool:
    async with sessions.begin() as session:
        gone = await session.execute(
            delete(OneRosterSource).where(OneRosterSource.district_id == district_id)
        )
    return bool(getattr(gone, "rowcount", 0))


async def run(
    sessions: Sessions, http: httpx.AsyncClient, box: SecretBox, row: OneRosterSource, now: datetime
) -> None:
    """Fetch one source and import it; record the outcome either way, and the next run."""
    version: OneRosterVersion = "1.1" if row.version == "1.1" else "1.2"
    source = Source(
        base_url=row.base_url,
        version=version,
        token_url=row.token_url,
        client_id=row.client_id,
        client_secret=box.open(row.client_secret_sealed),
    )
    outcome, detail, created, updated = "failed", "", 0, 0
    try:
        bundle = await fetch(http, source)
        result = await RosterService(sessions, row.district_id).import_bundle(bundle, partial=False)
    except SourceFailure as exc:
        detail = f"Nothing was imported: {exc}."
    except InvalidInput as exc:
        detail = exc.detail
    else:
        outcome, created, updated = "imported", result.created, result.updated
        detail = f"{result.created} created, {result.updated} updated, {result.skipped} skipped (not staff)."
    async with sessions.begin() as session:
        await session.execute(
            update(OneRosterSource)
            .where(OneRosterSource.district_id == row.district_id)
            .values(
                last_run_at=now,
                last_outcome=outcome,
                last_detail=detail[:4000],
                last_created=created,
                last_updated=updated,
                next_run_at=now + timedelta(hours=row.every_hours),
            )
        )


def oneroster_sweep(http: httpx.AsyncClient, box: SecretBox) -> Sweep:
    """The sweep over every district's due source, for the dispatcher (it has the runtime's one
    outbound client and secret box, which a sweep's own signature does not carry)."""

    async def sweep_oneroster(sessions: Sessions, now: datetime) -> int:
        sources = table(OneRosterSource)
        claim = (
            update(sources)
            .where(sources.c.next_run_at <= now)
            .values(next_run_at=now + LEASE)
            .returning(sources.c.district_id)
        )
        async with sessions.begin() as session:
            claimed = list((await session.scalars(claim)).all())
        for district_id in claimed:
            async with sessions.begin() as session:
                row = (
                    await session.scalars(
                        select(OneRosterSource).where(OneRosterSource.district_id == district_id)
                    )
                ).one_or_none()
            if row is not None:
                await run(sessions, http, box, row, now)
        return len(claimed)

    return sweep_oneroster
