"""The in-process content catalog: published modules, rendered once per (version, locale,
view, format) and then served from memory, so a repeat GET does no database or encoding work.

The catalog is a cache of the database, never the source of truth: it rereads which versions
are current at most every `refresh_seconds`, so a publish by another process shows up within
that time. Versions are immutable, so their renderings never go stale.
"""

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Literal

import msgspec
from sqlalchemy import select

from api.content.publish import PublishedCourse
from api.content.render import render_html
from api.content.translation import TextEntryInLanguage, apply_translation
from api.content.views import course_view, facilitator_module, learner_form, learner_module, module_summary
from api.db import Sessions
from api.errors import NotFound
from api.models import CourseRecord, ModuleRecord, ModuleVersion
from schemas.content import Course, Form, Module, TextEntryItem

View = Literal["learner", "facilitator"]
Format = Literal["markdown", "html"]
DEFAULT_LOCALE = "en"


class Rendered(msgspec.Struct, frozen=True):
    """An encoded response body with its strong ETag and language."""

    body: bytes
    etag: str
    language: str


class Entry(msgspec.Struct, frozen=True):
    """One published version of a module."""

    module: Module
    version: str
    translations: dict[str, dict[str, str]]

    @property
    def locales(self) -> list[str]:
        return [DEFAULT_LOCALE, *sorted(self.translations)]


def _rendered(value: object, language: str, fmt: Format) -> Rendered:
    if fmt == "html":
        value = render_html(value)  # type: ignore[type-var]
    body = msgspec.json.encode(value)
    return Rendered(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"', language=language)


def negotiate(requested: str | None, accept_language: str | None, available: list[str]) -> str:
    """The language to serve: `?lang=` if available, else the best of Accept-Language, else en."""
    if requested:
        primary = requested.lower().split("-")[0]
        return primary if primary in available else DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in available and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


class Catalog:
    """Published content, cached per process."""

    def __init__(self, sessions: Sessions, refresh_seconds: float = 5.0) -> None:
        self.sessions = sessions
        self.refresh_seconds = refresh_seconds
        self._checked_at = float("-inf")
        self._course: PublishedCourse | None = None
        self._current: dict[str, str] = {}
        self._entries: dict[tuple[str, str], Entry] = {}
        self._rendered: dict[tuple[object, ...], Rendered] = {}
        self._refreshing: asyncio.Future[None] | None = None
        self._localized: dict[tuple[str, str, str], Module] = {}
        self._scoring: dict[tuple[str, str, str, str], Form] = {}

    async def refresh(self) -> None:
        """Reread the course and which version of each module is current."""
        async with self.sessions() as session:
            course_row = (await session.execute(select(CourseRecord))).scalars().first()
            rows = (await session.execute(select(ModuleRecord.id, ModuleRecord.current_version))).all()
        current = {module_id: version for module_id, version in rows}
        course = msgspec.convert(course_row.document, PublishedCourse) if course_row else None
        if current != self._current or course != self._course:
            # Listings depend on which versions are current; module renderings do not.
            self._rendered = {k: v for k, v in self._rendered.items() if k[0] == "module"}
        self._course, self._current = course, current
        self._checked_at = time.monotonic()

    async def _fresh(self) -> None:
        if time.monotonic() - self._checked_at > self.refresh_seconds:
            # One reread at a time: requests arriving meanwhile await the same one instead of
            # each rereading the database (and none sees a catalog that is not loaded yet).
            if self._refreshing is None or self._refreshing.done():
                self._refreshing = asyncio.ensure_future(self.refresh())
            await asyncio.shield(self._refreshing)

    async def course(self) -> PublishedCourse:
        await self._fresh()
        if self._course is None:
            raise NotFound("No course has been published yet; run `frontoffice content publish`.")
        return self._course

    async def entry(self, module_id: str, version: str | None = None) -> Entry:
        """A module at `version`, or at its current version."""
        await self._fresh()
        if version is None:
            if module_id not in self._current:
                raise NotFound(f"There is no module {module_id!r}; GET /api/v1/modules lists them.")
            version = self._current[module_id]
        key = (module_id, version)
        if key not in self._entries:
            async with self.sessions() as session:
                row = await session.get(ModuleVersion, key)
            if row is None:
                raise NotFound(f"Module {module_id!r} has no version {version!r}.")
            self._entries[key] = Entry(
                module=msgspec.convert(row.document, Module), version=version, translations=row.translations
            )
        return self._entries[key]

    def cached(self, module_id: str, version: str) -> Entry | None:
        """A module version already in memory, else None. Never reads the database, so a caller
        may ask while holding a session (and fill the cache with `entry` once it holds none)."""
        return self._entries.get((module_id, version))

    def localized(self, entry: Entry, locale: str) -> Module:
        """The module in `locale` (English where untranslated); built once per version."""
        strings = entry.translations.get(locale)
        if not strings:
            return entry.module
        key = (entry.module.id, entry.version, locale)
        module = self._localized.get(key)
        if module is None:
            module = self._localized[key] = apply_translation(entry.module, strings)
        return module

    def scoring_form(self, entry: Entry, form: Form, locale: str = DEFAULT_LOCALE) -> Form:
        """The form to mark a learner working in `locale` against: a text entry's answers in that
        language count with the item's typo allowance, another language's only exactly (accents
        and case aside), so a learner typing `información` in the English player is right, and one
        typing a near miss of a Spanish answer in it is not. Built once per version and language."""
        if not entry.translations or not any(isinstance(i, TextEntryItem) for i in form.items):
            return form
        key = (entry.module.id, entry.version, form.id, locale)
        scoring = self._scoring.get(key)
        if scoring is None:
            by_locale: dict[str, dict[str, list[str]]] = {}
            for language in entry.locales:
                localized = next(f for f in self.localized(entry, language).forms if f.id == form.id)
                by_locale[language] = {
                    item.id: item.accepted for item in localized.items if isinstance(item, TextEntryItem)
                }
            own = by_locale[locale if locale in by_locale else DEFAULT_LOCALE]
            others = [answers for answers in by_locale.values() if answers is not own]
            items = [
                TextEntryInLanguage(
                    **msgspec.structs.asdict(item) | {"accepted": own[item.id]},
                    elsewhere=[a for answers in others for a in answers[item.id] if a not in own[item.id]],
                )
                if isinstance(item, TextEntryItem)
                else item
                for item in form.items
            ]
            scoring = self._scoring[key] = msgspec.structs.replace(form, items=items)
        return scoring

    def _cached(self, key: tuple[object, ...], make: Callable[[], Rendered]) -> Rendered:
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._rendered[key] = make()
        return rendered

    def module(self, entry: Entry, locale: str, view: View, fmt: Format) -> Rendered:
        """The module as `view` sees it, in `locale` and `fmt`, encoded once."""

        def make() -> Rendered:
            module = self.localized(entry, locale)
            value = (
                learner_module(module, entry.version)
                if view == "learner"
                else facilitator_module(module, entry.version)
            )
            return _rendered(value, locale, fmt)

        return self._cached(("module", entry.module.id, entry.version, locale, view, fmt), make)

    def form(self, entry: Entry, form_id: str, locale: str, fmt: Format) -> Rendered:
        """One form of the module, learner view."""
        forms = {form.id: form for form in self.localized(entry, locale).forms}
        if form_id not in forms:
            raise NotFound(f"Module {entry.module.id!r} has no form {form_id!r}.")
        return self._cached(
            ("module", entry.module.id, entry.version, locale, "form", form_id, fmt),
            lambda: _rendered(learner_form(forms[form_id]), locale, fmt),
        )

    async def listing(
        self, lang: str | None, accept_language: str | None, fmt: Format, *, with_course: bool
    ) -> Rendered:
        """The course with module summaries (`with_course`), or the summaries alone, in the
        best language any module has (each summary falls back to English on its own)."""
        course = await self.course()
        entries = [await self.entry(module_id) for module_id in course.modules if module_id in self._current]
        locales = {locale for entry in entries for locale in entry.locales} | set(course.translations)
        available = sorted(locales | {DEFAULT_LOCALE})
        locale = negotiate(lang, accept_language, available)

        def make() -> Rendered:
            summaries = [module_summary(self.localized(e, locale), e.version, e.locales) for e in entries]
            if not with_course:
                return _rendered(summaries, locale, fmt)
            english = Course(**{f: getattr(course, f) for f in Course.__struct_fields__})
            localized = apply_translation(english, course.translations.get(locale, {}))
            return _rendered(course_view(localized, summaries), locale, fmt)

        return self._cached(("listing", with_course, locale, fmt), make)

    async def versions(self, module_id: str) -> list[tuple[str, object]]:
        """(version, published_at) of every version of a module, newest first."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(ModuleVersion.version, ModuleVersion.published_at)
                    .where(ModuleVersion.module_id == module_id)
                    .order_by(ModuleVersion.published_at.desc())
                )
            ).all()
        if not rows:
            raise NotFound(f"There is no module {module_id!r}; GET /api/v1/modules lists them.")
        return [(version, published_at) for version, published_at in rows]
