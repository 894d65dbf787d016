"""Publishing the checked course: each changed module becomes a new immutable version.

A version is named by a hash of the module's document and its translations, so publishing
the same files twice changes nothing and any edit, even to one Spanish string, is new.
"""

import hashlib

import msgspec
from sqlalchemy import text

from api.content.loader import CourseBundle
from api.db import Sessions
from api.models import CourseRecord, ModuleRecord, ModuleVersion, utcnow
from schemas.content import Course, Module


class Published(msgspec.Struct, frozen=True):
    """What a publish did: the versions it stored, and the modules it left as they were."""

    new_versions: list[tuple[str, str]]
    unchanged: list[str]


class PublishedCourse(Course, kw_only=True):
    """The course as stored: course.yaml and its translations. A course stored before the
    course had translations decodes with none."""

    translations: dict[str, dict[str, str]] = {}
    """The course's translated strings (`title`, `description`, `audience[0]`) by locale."""


def content_hash(value: object) -> str:
    """A short, stable hash of any content value (sorted keys, so field order is irrelevant)."""
    return hashlib.sha256(msgspec.json.encode(value, order="sorted")).hexdigest()[:16]


def translations_of(bundle: CourseBundle, module: Module) -> dict[str, dict[str, str]]:
    return {
        locale: translation.strings
        for (module_id, locale), translation in sorted(bundle.translations.items())
        if module_id == module.id
    }


async def publish(sessions: Sessions, bundle: CourseBundle) -> Published:
    """Store the course and every changed module version in one transaction."""
    new_versions: list[tuple[str, str]] = []
    unchanged: list[str] = []
    async with sessions.begin() as session:
        if session.get_bind().dialect.name == "postgresql":
            # Several processes may start at once: one publishes, the others find it done.
            await session.execute(text("SELECT pg_advisory_xact_lock(727275)"))
        course_fields = msgspec.structs.asdict(bundle.course)
        stored = PublishedCourse(**course_fields, translations=bundle.course_translations)
        document = msgspec.to_builtins(stored)
        course = await session.get(CourseRecord, bundle.course.id)
        if course is None:
            session.add(CourseRecord(id=bundle.course.id, version=content_hash(document), document=document))
        elif course.version != content_hash(document):
            course.version, course.document, course.published_at = content_hash(document), document, utcnow()
        for position, module in enumerate(bundle.modules):
            translations = translations_of(bundle, module)
            module_document = msgspec.to_builtins(module)
            version = content_hash({"module": module_document, "translations": translations})
            record = await session.get(ModuleRecord, module.id)
            if record is None:
                record = ModuleRecord(id=module.id, position=position, current_version=version)
                session.add(record)
                await session.flush()
            if await session.get(ModuleVersion, (module.id, version)) is None:
                session.add(
                    ModuleVersion(
                        module_id=module.id,
                        version=version,
                        document=module_document,
                        translations=translations,
                    )
                )
                new_versions.append((module.id, version))
            else:
                unchanged.append(module.id)
            if (record.current_version, record.position) != (version, position):
                record.current_version, record.position, record.updated_at = version, position, utcnow()
    return Published(new_versions=new_versions, unchanged=unchanged)
