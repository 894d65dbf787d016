"""Districts and API keys: the unit of work for each admin action, scoped by district."""

import io
import uuid
import zoneinfo

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from api.db import Sessions
from api.errors import Conflict, Forbidden, InvalidInput, NotFound
from api.identity.auth import new_key
from api.models import ApiKey, District, utcnow
from schemas.admin import ApiKeyCreated, ApiKeyView, DistrictSettings, DistrictView
from schemas.problem import FieldError


def _district_view(row: District) -> DistrictView:
    return DistrictView(
        id=row.id,
        slug=row.slug,
        name=row.name,
        created_at=row.created_at,
        time_zone=row.time_zone,
        signer_name=row.signer_name,
        signer_title=row.signer_title,
        has_logo=row.logo_type != "",
    )


async def district_zone(session: AsyncSession, district_id: uuid.UUID) -> zoneinfo.ZoneInfo:
    """The time zone of the dates the district's people read and type (UTC if it has none), read
    in the caller's session (on SQLite a second session would wait for the first's lock)."""
    name = await session.scalar(select(District.time_zone).where(District.id == district_id))
    # A district's setting is always a known zone: it is checked when set.
    return zoneinfo.ZoneInfo(name or "UTC")


def _checked_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise InvalidInput(
            f"{name!r} is not an IANA time zone; use a name such as America/Chicago.",
            errors=[FieldError(field="$.time_zone", message="unknown time zone")],
        ) from None
    return name


LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _bad_logo(problem: str) -> InvalidInput:
    return InvalidInput(
        f"The logo is {problem}; send a PNG or JPEG file, base64-encoded.",
        errors=[FieldError(field="$.logo", message=problem)],
    )


def _checked_logo(data: bytes) -> str:
    """The media type of a logo certificates can print; a 422 for anything else."""
    kind = next((media for magic, media in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise _bad_logo("not a PNG or JPEG image")
    # Placed in a throwaway PDF as a certificate places it: what fpdf2 (Pillow) can't read is
    # refused now, not when a principal prints a certificate.
    trial = FPDF()
    trial.add_page()
    try:
        trial.image(io.BytesIO(data), h=10)
    except Exception:  # Pillow and fpdf2 raise many kinds for a broken image
        raise _bad_logo("an image that cannot be read (damaged or cut short)") from None
    return kind


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

    async def update(self, district_id: uuid.UUID, change: DistrictSettings) -> DistrictView:
        async with self.sessions.begin() as session:
            row = await session.get(District, district_id)
            if row is None:
                raise NotFound("No such district.")
            if change.time_zone is not None:
                row.time_zone = _checked_zone(change.time_zone)
            if change.signer_name is not None:
                row.signer_name = change.signer_name
            if change.signer_title is not None:
                row.signer_title = change.signer_title
            if change.logo is not None:
                row.logo_type = _checked_logo(change.logo) if change.logo else ""
                row.logo = change.logo or None
            await session.flush()
            return _district_view(row)

    async def for_print(self, district_id: uuid.UUID) -> tuple[DistrictView, bytes | None]:
        """The district as its PDFs show it, and its logo image if it has one, in one read."""
        async with self.sessions() as session:
            row = await session.get(District, district_id, options=[undefer(District.logo)])
            if row is None:
                raise NotFound("No such district.")
            return _district_view(row), row.logo

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

    async def create(
        self, name: str, scopes: list[str], granted_by: frozenset[str] | None = None
    ) -> ApiKeyCreated:
        """A new key with `scopes`. Through the API a key is made by another key
        (`granted_by`, its scopes), which can grant only scopes it holds itself: `admin` alone
        manages keys, it is not every scope. The operator's CLI passes None."""
        if granted_by is not None and not set(scopes) <= granted_by:
            beyond = ", ".join(sorted(set(scopes) - granted_by))
            raise Forbidden(
                f"This key can grant only scopes it holds ({', '.join(sorted(granted_by))}), "
                f"not {beyond}; use a key that holds them, or ask the operator."
            )
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

    async def revoke(self, key_id: uuid.UUID, *, keep_last_admin: bool = False) -> ApiKeyView:
        """Revoke a key; revoking a revoked key changes nothing and is not an error. Through the
        API (`keep_last_admin`) the district's last live `admin` key stays: without it nobody in
        the district could manage keys again (the operator's CLI may still revoke it)."""
        async with self.sessions.begin() as session:
            row = await self._row(session, key_id)
            if row.revoked_at is None and keep_last_admin and "admin" in row.scopes:
                # Locked (PostgreSQL; SQLite writes one at a time): two revokes at once can't
                # each leave the other as the last.
                live = (
                    await session.execute(
                        select(ApiKey.id, ApiKey.scopes)
                        .where(ApiKey.district_id == self.district_id, ApiKey.revoked_at.is_(None))
                        .with_for_update()
                    )
                ).all()
                if not any("admin" in scopes and other != row.id for other, scopes in live):
                    raise Conflict(
                        "This is the district's last admin key; create another admin key before revoking it."
                    )
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
