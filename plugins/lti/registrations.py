"""A district's platform registrations: the admin API, the CLI and the import file."""

import ipaddress
import re
import tomllib
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from plugins.contract import Conflict, InvalidInput, NotFound, Sessions, utcnow
from plugins.lti.models import LtiRegistration
from schemas.lti import ImportFile, RegistrationView, RegistrationWrite
from schemas.problem import FieldError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts a platform URL may name over plain http (a platform on this machine: tests, demos)."""
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
URL_FIELDS = ("auth_login_url", "auth_token_url", "key_set_url")


def url_problem(url: str) -> str | None:
    """What is wrong with a platform URL, or None: https with a host (http only for loopback),
    no user name or password, a valid port, no spaces or control characters."""
    if any(c.isspace() or ord(c) < 32 or 127 <= ord(c) < 160 for c in url):
        return "holds a space or a control character"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL (its host or port is malformed)"
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http"):
        return "must start with https://"
    if not host:
        return "has no host"
    if "@" in parts.netloc:
        return "must not carry a user name or password"
    if port == 0:
        return "names port 0"
    if parts.scheme == "http" and host not in LOOPBACK:
        return "must use https (plain http only for a platform on this machine: 127.0.0.1, localhost)"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not all(_LABEL.fullmatch(label) for label in host.removesuffix(".").split(".")):
            return f"has a host name {host!r} that is not valid (international names in punycode: xn--…)"
    return None


def check_urls(data: RegistrationWrite) -> None:
    """InvalidInput (422) naming every platform URL of the registration that is not usable."""
    errors = [
        FieldError(field=f"$.{name}", message=f"The URL {problem}.")
        for name in URL_FIELDS
        if (problem := url_problem(getattr(data, name)))
    ]
    if errors:
        raise InvalidInput(
            "The platform's URLs are not usable: "
            + "; ".join(f"{e.field}: {e.message}" for e in errors)
            + " Copy them again from the LMS's tool registration page.",
            errors=errors,
        )


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
        check_urls(data)
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
                    # Said without naming the other district, nor confirming more than the
                    # (issuer, client id) the caller already holds.
                    raise Conflict(
                        "This issuer and client id cannot be registered here: a platform's "
                        "(issuer, client id) belongs to one district only. Ask the LMS for a "
                        "client id of this district's own (a new developer key or tool "
                        "registration), or ask Front Office's operator if it should be yours."
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
