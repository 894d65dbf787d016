"""A district's platform registrations: the admin API, the CLI and the import file."""

import tomllib
import uuid
from pathlib import Path

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.contract import Conflict, InvalidInput, NotFound, Sessions, utcnow
from plugins.lti.models import LtiRegistration
from schemas.lti import ImportFile, RegistrationView, RegistrationWrite


def registration_view(row: LtiRegistration) -> RegistrationView:
    return RegistrationView(
        id=row.id,
        issuer=row.issuer,
        client_id=row.client_id,
        deployment_ids=list(row.deployment_ids),
        auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url,
        key_set_url=row.key_set_url,
        auth_audience=row.auth_audience,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def read_import_file(path: Path) -> ImportFile:
    """The registrations of a JSON or TOML file (by its suffix), decoded strictly."""
    raw = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            return msgspec.convert(tomllib.loads(raw.decode()), ImportFile)
        return msgspec.json.decode(raw, type=ImportFile)
    except (msgspec.ValidationError, msgspec.DecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InvalidInput(f"{path} is not a valid registrations file: {e}") from None


class Registrations:
    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def all(self) -> list[RegistrationView]:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(LtiRegistration)
                    .where(LtiRegistration.district_id == self.district_id)
                    .order_by(LtiRegistration.issuer, LtiRegistration.client_id)
                )
            ).scalars()
            return [registration_view(r) for r in rows]

    async def get(self, registration_id: uuid.UUID) -> RegistrationView:
        async with self.sessions() as session:
            row = await session.get(LtiRegistration, registration_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No such LTI registration in this district.")
        return registration_view(row)

    async def put(self, data: RegistrationWrite) -> tuple[RegistrationView, bool]:
        """Create the registration of (issuer, client_id), or update it; True if created."""
        try:
            async with self.sessions.begin() as session:
                row = (
                    await session.execute(
                        select(LtiRegistration).where(
                            LtiRegistration.issuer == data.issuer, LtiRegistration.client_id == data.client_id
                        )
                    )
                ).scalar_one_or_none()
                created = row is None
                if row is None:
                    row = LtiRegistration(district_id=self.district_id)
                    session.add(row)
                elif row.district_id != self.district_id:
                    raise Conflict(
                        f"Issuer {data.issuer!r} with client id {data.client_id!r} is registered by "
                        "another district; a platform registration belongs to one district."
                    )
                for field in msgspec.structs.fields(RegistrationWrite):
                    setattr(row, field.name, getattr(data, field.name))
                row.deployment_ids = list(dict.fromkeys(data.deployment_ids))
                row.updated_at = utcnow()
                await session.flush()
                return registration_view(row), created
        except IntegrityError:
            raise Conflict("The registration was being created by another request; try again.") from None

    async def import_file(self, data: ImportFile) -> tuple[int, int]:
        """Create or update every registration of the file: (created, updated)."""
        created = updated = 0
        for item in data.registrations:
            _, new = await self.put(item)
            created, updated = created + new, updated + (not new)
        return created, updated

    async def delete(self, registration_id: uuid.UUID) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(LtiRegistration, registration_id)
            if row is None or row.district_id != self.district_id:
                raise NotFound("No such LTI registration in this district.")
            await session.delete(row)
