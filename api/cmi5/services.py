"""cmi5 package keys, the package they sign, and the exchange of a launch's actor for a
learner token.

A package's AU URLs carry a token signed with the learner tokens' key naming the district
and the package key's row (never an API key): anyone holding a package can launch its
modules as any actor of the LMS, which is what an LMS import means, and nothing else. Revoking
the row stops every package made with it; a new key makes a new package.
"""

import hashlib
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import jwt
import msgspec
from sqlalchemy import select

from api.cmi5.package import Au, course_structure, rule_of, zipped
from api.content.catalog import DEFAULT_LOCALE, Catalog
from api.db import Sessions
from api.errors import NotFound, Unauthorized
from api.identity.learners import LearnerService
from api.models import Cmi5PackageKey, utcnow
from schemas.cmi5 import Cmi5TokenRequest, PackageKeyView
from schemas.progress import LearnerProfile, LearnerToken

AUDIENCE = "frontoffice:cmi5-package"
TOKEN_TTL = timedelta(hours=4)
"""How long the learner token of a cmi5 launch lasts (a session of the AU)."""
EXTERNAL_ID_MAX = 200


def _view(row: Cmi5PackageKey) -> PackageKeyView:
    return msgspec.convert(row, PackageKeyView, from_attributes=True)


def learner_external_id(home_page: str, name: str) -> str:
    """The learner of an LMS account: `cmi5:<homePage hash>:<name>` while that fits, else the
    name hashed too (its own prefix keeps the two apart), as LTI keys by issuer and sub."""
    page = hashlib.sha256(home_page.encode()).hexdigest()[:16]
    readable = f"cmi5:{page}:{name}"
    if len(readable) <= EXTERNAL_ID_MAX:
        return readable
    return f"cmi5h:{page}:{hashlib.sha256(name.encode()).hexdigest()}"


class PackageKeys:
    """A district's package keys and the packages they sign."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def create(self, name: str) -> PackageKeyView:
        async with self.sessions.begin() as session:
            row = Cmi5PackageKey(district_id=self.district_id, name=name, created_at=utcnow())
            session.add(row)
            await session.flush()
            return _view(row)

    async def all(self) -> list[PackageKeyView]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(Cmi5PackageKey)
                .where(Cmi5PackageKey.district_id == self.district_id)
                .order_by(Cmi5PackageKey.created_at, Cmi5PackageKey.id)
            )
            return [_view(row) for row in rows.scalars()]

    async def _live(self, key_id: uuid.UUID) -> Cmi5PackageKey:
        async with self.sessions() as session:
            row = await session.get(Cmi5PackageKey, key_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No such package key in this district; GET /api/v1/cmi5/package-keys lists them.")
        return row

    async def revoke(self, key_id: uuid.UUID) -> None:
        """Its packages stop launching at once; revoking again changes nothing."""
        async with self.sessions.begin() as session:
            row = await session.get(Cmi5PackageKey, key_id)
            if row is None or row.district_id != self.district_id:
                raise NotFound(
                    "No such package key in this district; GET /api/v1/cmi5/package-keys lists them."
                )
            row.revoked_at = row.revoked_at or utcnow()

    async def package(self, key_id: uuid.UUID, catalog: Catalog, signing_key: str, base_url: str) -> bytes:
        """The zip an LMS imports: `cmi5.xml`, every module an AU launching the player."""
        row = await self._live(key_id)
        if row.revoked_at is not None:
            raise NotFound("That package key is revoked; create a new one for a new package.")
        course = await catalog.course()
        token = jwt.encode({"aud": AUDIENCE, "dst": str(self.district_id), "kid": str(row.id)}, signing_key)
        aus = []
        for module_id in course.modules:
            try:
                entry = await catalog.entry(module_id)
            except NotFound:
                continue  # listed in the course but never published: nothing to launch
            modules = {language: catalog.localized(entry, language) for language in entry.locales}
            aus.append(
                Au(
                    id=f"{base_url}/cmi5/{self.district_id}/au/{module_id}",
                    titles={language: m.title for language, m in modules.items()},
                    descriptions={language: m.summary.strip() for language, m in modules.items()},
                    url=f"{base_url}/player/cmi5?{urlencode({'pk': token, 'module': module_id})}",
                    rule=rule_of(entry.module.completion),
                )
            )
        titles = {DEFAULT_LOCALE: course.title} | {
            language: strings["title"]
            for language, strings in course.translations.items()
            if "title" in strings
        }
        descriptions = {DEFAULT_LOCALE: course.description.strip()} | {
            language: strings["description"].strip()
            for language, strings in course.translations.items()
            if "description" in strings
        }
        xml = course_structure(
            f"{base_url}/cmi5/{self.district_id}/course/{course.id}", titles, descriptions, aus
        )
        return zipped({"cmi5.xml": xml})


async def exchange(sessions: Sessions, signing_key: str, data: Cmi5TokenRequest) -> LearnerToken:
    """A learner token for the launch's actor, in the district whose live package key signed
    the AU's URL. The learner is keyed by (district, account homePage and name)."""
    try:
        claims = jwt.decode(data.package_key, signing_key, algorithms=["HS256"], audience=AUDIENCE)
        district_id, key_id = uuid.UUID(claims["dst"]), uuid.UUID(claims["kid"])
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        raise Unauthorized(
            "The package key in the course's URL is not one of this service's; import the "
            "district's current cmi5 package into the LMS again."
        ) from None
    async with sessions() as session:
        row = await session.get(Cmi5PackageKey, key_id)
    if row is None or row.district_id != district_id or row.revoked_at is not None:
        raise Unauthorized(
            "This course package's key has been revoked; ask the district's administrator for a "
            "new cmi5 package and import it into the LMS."
        )
    account = data.actor.account
    profile = LearnerProfile(
        external_id=learner_external_id(account.home_page, account.name), name=data.actor.name
    )
    service = LearnerService(sessions, district_id)
    return await service.token(profile, "", int(TOKEN_TTL.total_seconds() // 60), signing_key)
