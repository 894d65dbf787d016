"""Printing a workshop's packet: the plan of a module (its current published version) or of an
authored agenda (`content/agendas/`), in one language, laid out as a PDF with the district's
name and logo.

Modules come from the catalog, as the facilitator view serves them; agendas and the job aid
come from the course files, read once per process (`content check` and `serve` have checked
them). A PDF takes a second or more of CPU, so it is laid out in a worker thread, never on the
event loop, and the last few are kept: the bytes depend only on the key below (module versions
are immutable), so a room's worth of downloads, even at once, lays it out once."""

import asyncio
import functools
import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import msgspec

from api.admin.services import DistrictService
from api.content.catalog import Catalog
from api.content.loader import CourseBundle, load_course
from api.db import Sessions
from api.errors import NotFound
from api.packets import layout
from api.packets.layout import Paper, Person
from api.packets.plan import Plan, agenda_plan, module_plan, modules_plan
from schemas.content import Module
from schemas.feedback import Language

Kind = Literal["participant", "facilitator", "job-aid"]
Target = Literal["module", "agenda"]

_KEPT = 24  # PDFs of 0.1–0.5 MB each


class Printed(msgspec.Struct, frozen=True, kw_only=True):
    """A laid-out PDF and the name to save it under."""

    body: bytes
    filename: str


@functools.cache
def course_files(content_dir: Path) -> CourseBundle:
    """The course files (agendas, job aid) under `content_dir`, read once per process: they
    change only with a release."""
    return load_course(content_dir)


class _Recent:
    """The last PDFs laid out in this process, by everything their bytes depend on; a PDF asked
    for again while it is being laid out is awaited, not laid out twice."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[object, ...], bytes] = OrderedDict()
        self.pending: dict[tuple[object, ...], asyncio.Task[bytes]] = {}

    async def get(self, key: tuple[object, ...], make: Callable[[], bytes]) -> bytes:
        body = self.items.get(key)
        if body is not None:
            self.items.move_to_end(key)
            return body
        task = self.pending.get(key)
        if task is None:
            task = self.pending[key] = asyncio.ensure_future(asyncio.to_thread(make))
            task.add_done_callback(lambda done: self._done(key, done))
        # Shielded: a caller who hangs up does not stop the layout others are waiting for.
        return await asyncio.shield(task)

    def _done(self, key: tuple[object, ...], task: "asyncio.Task[bytes]") -> None:
        self.pending.pop(key, None)
        if not task.cancelled() and task.exception() is None:
            self.items[key] = task.result()
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_RECENT = _Recent(_KEPT)


class PacketService:
    """The printed packet for one district (its name and logo on every document)."""

    def __init__(
        self, sessions: Sessions, catalog: Catalog, district_id: uuid.UUID, content_dir: Path
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.district_id = district_id
        self.content_dir = content_dir

    async def _module(self, module_id: str, language: Language) -> tuple[Module, str]:
        entry = await self.catalog.entry(module_id)
        return self.catalog.localized(entry, language), entry.version

    async def _plan(self, target: Target, target_id: str, language: Language) -> tuple[Plan, list[str]]:
        """The workshop's plan and the versions of the modules it prints."""
        if target == "module":
            module, version = await self._module(target_id, language)
            return module_plan(module), [version]
        try:
            agenda = course_files(self.content_dir).agenda(target_id)
        except KeyError:
            names = ", ".join(a.id for a in course_files(self.content_dir).agendas) or "none"
            raise NotFound(
                f"There is no agenda {target_id!r} (the course has: {names}); a module's own "
                "packet is under /api/v1/packets/modules/{module_id}."
            ) from None
        modules: dict[str, Module] = {}
        versions: list[str] = []
        for block in agenda.blocks:
            if block.module is not None and block.module not in modules:
                modules[block.module], version = await self._module(block.module, language)
                versions.append(version)
        return agenda_plan(agenda, modules, language), versions

    async def _letterhead(self, language: Language) -> tuple[str, bytes | None, str]:
        """The district's name and logo, and the course's title in `language`."""
        district, logo = await DistrictService(self.sessions).for_print(self.district_id)
        course = await self.catalog.course()
        return district.name, logo, course.translations.get(language, {}).get("title", course.title)

    async def personal(
        self,
        title: str,
        module_ids: Sequence[str],
        people: Sequence[Person],
        language: Language,
        paper: Paper,
    ) -> Printed:
        """A live workshop's participant packet (its modules one after another), one for each
        of `people` with their name, school and own QR code on its cover. Never kept: each
        holds its people's links."""
        modules = [(await self._module(module_id, language))[0] for module_id in module_ids]
        plan = modules_plan(title or modules[0].title, "", modules)
        district, logo, course_title = await self._letterhead(language)
        make = functools.partial(
            layout.participant_packet, plan, district, course_title, language, paper, logo, people
        )
        body = await asyncio.to_thread(make)
        return Printed(body=body, filename=f"workshop-packets-{language}-{paper}.pdf")

    async def print(
        self, kind: Kind, target: Target, target_id: str, language: Language, paper: Paper
    ) -> Printed:
        """The `kind` document of a module or an agenda, in `language` on `paper`."""
        plan, versions = await self._plan(target, target_id, language)
        district_name, logo, course_title = await self._letterhead(language)
        filename = f"{target_id}-{kind}-{language}-{paper}.pdf"
        logo_hash = hashlib.sha256(logo).hexdigest() if logo else ""
        key = (
            kind,
            target,
            target_id,
            tuple(versions),
            language,
            paper,
            district_name,
            course_title,
            logo_hash,
        )
        make: Callable[[], bytes]
        if kind == "participant":
            make = functools.partial(
                layout.participant_packet, plan, district_name, course_title, language, paper, logo
            )
        elif kind == "facilitator":
            make = functools.partial(
                layout.facilitator_guide, plan, district_name, course_title, language, paper, logo
            )
        else:
            aid = course_files(self.content_dir).job_aid
            if aid is None:
                raise NotFound("This course has no job aid: write content/job-aid.yaml.")
            make = functools.partial(layout.job_aid, aid, district_name, course_title, language, paper)
        body = await _RECENT.get(key, make)
        return Printed(body=body, filename=filename)
