"""Districts and API keys: the unit of work for each admin action, scoped by district."""

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import new_key
from api.db import Sessions
from api.errors import Conflict, NotFound
from api.models import ApiKey, District, utcnow
from schemas.admin import ApiKeyCreated, ApiKeyView, DistrictView


def _district_view(row: District) -> DistrictView:
    return DistrictView(id=row.id, slug=row.slug, name=row.name, created_at=row.created_at)


def _key_view(row: ApiKey) -> ApiKeyView:
    return ApiKeyView(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=list(row.scopes),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class DistrictService:
    """Creating and reading districts. Creation is an operator's act (CLI), not a district's."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    async def create(self, slug: str, name: str) -> DistrictView:
        async with self.sessions.begin() as session:
            row = District(slug=slug, name=name)
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                raise Conflict(f"A district with slug {slug!r} exists already.") from None
            return _district_view(row)

    async def get(self, district_id: uuid.UUID) -> DistrictView:
        async with self.sessions.begin() as session:
            row = await session.get(District, district_id)
            if row is None:
                raise NotFound("No such district.")
            return _district_view(row)

    async def by_slug(self, slug: str) -> DistrictView:
        async with self.sessions.begin() as session:
            row = (await session.execute(select(District).where(District.slug == slug))).scalar_one_or_none()
            if row is None:
                raise NotFound(f"No district has the slug {slug!r}.")
            return _district_view(row)

    async def list(self) -> list[DistrictView]:
        async with self.sessions.begin() as session:
            rows = (await session.execute(select(District).order_by(District.slug))).scalars()
            return [_district_view(r) for r in rows]


class KeyService:
    """A district's API keys: create (the secret is returned once), list, revoke."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def create(self, name: str, scopes: list[str]) -> ApiKeyCreated:
        key, prefix, secret_hash = new_key()
        async with self.sessions.begin() as session:
            if await session.get(District, self.district_id) is None:
                raise NotFound("No such district.")
            row = ApiKey(
                district_id=self.district_id,
                prefix=prefix,
                secret_hash=secret_hash,
                name=name,
                scopes=sorted(set(scopes)),
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return ApiKeyCreated(key=key, api_key=_key_view(row))

    async def list(self) -> list[ApiKeyView]:
        async with self.sessions.begin() as session:
            rows = (
                await session.execute(
                    select(ApiKey)
                    .where(ApiKey.district_id == self.district_id)
                    .order_by(ApiKey.created_at, ApiKey.id)
                )
            ).scalars()
            return [_key_view(r) for r in rows]

    async def get(self, key_id: uuid.UUID) -> ApiKeyView:
        async with self.sessions.begin() as session:
            return _key_view(await self._row(session, key_id))

    async def revoke(self, key_id: uuid.UUID) -> ApiKeyView:
        """Revoke a key; revoking a revoked key changes nothing and is not an error."""
        async with self.sessions.begin() as session:
            row = await self._row(session, key_id)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            await session.flush()
            return _key_view(row)

    async def _row(self, session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
        # Scoped by district: another district's key id is simply not found.
        row = (
            await session.execute(
                select(ApiKey).where(ApiKey.id == key_id, ApiKey.district_id == self.district_id)
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"No API key {key_id} in this district.")
        return row
