"""Packet routes: the printable PDFs of a workshop, for a module or an agenda. Whoever may read
the facilitator view (`content:facilitate`: a district's API key or a facilitator token) may
print them; each carries the caller's district's name."""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter

from api.content.catalog import Catalog, negotiate
from api.db import Sessions
from api.errors import problems
from api.identity.auth import Scope, principal_of, requires
from api.openapi import DownloadSpec
from api.packets.layout import Paper
from api.packets.services import Kind, PacketService, Target
from api.settings import Settings
from schemas.feedback import LANGUAGES, Language

PDF = "application/pdf"

_COMMON = (
    "in English or Spanish (`lang`, else Accept-Language; `Content-Language` says which), on US "
    "Letter or A4 (`paper`), with the district's name (and logo, when set) on the cover and at "
    "the foot of every page, pages numbered `Page N of M`"
)
PARTICIPANT = DownloadSpec(
    media_type=PDF,
    label="PDF participant packet",
    description=f"The participant packet, {_COMMON}: a cover with room for a name and school and "
    "the agenda, then module by module the goals, each activity's handout and form in the "
    "workshop's order: worksheets with ruled room to write, tables and rating grids to fill in, "
    "and the knowledge check's questions and options (never its answers). An agenda's packet "
    "lists what each module leaves for afterwards.",
)
FACILITATOR = DownloadSpec(
    media_type=PDF,
    label="PDF facilitator guide",
    description=f"The facilitator guide, {_COMMON}: the agenda on one clock (each module's "
    "activities with their start and minutes), then each block: a module's goals, materials and "
    "timed script step by step, and the answer key of its forms (right options with their "
    "feedback, placements, orders, accepted answers, scenarios' full-credit paths and endings, "
    "worksheets' reference lists).",
)
JOB_AID = DownloadSpec(
    media_type=PDF,
    label="PDF job aid",
    description=f"The one-page job aid, {_COMMON}: the service standard in its order (safety, "
    "courtesy, accuracy, speed) and who to call for what, with a column to write each number in. "
    "The same page for every module and agenda.",
)

Lang = Annotated[
    str | None,
    QueryParameter(
        description="The PDF's language, `en` or `es`; without it, the best of Accept-Language "
        "(English when neither is asked for or another is).",
        max_length=10,
    ),
]
PaperSize = Annotated[Paper, QueryParameter(description="`letter` (US Letter, the default) or `a4`.")]


async def provide_packets(
    request: Request[Any, Any, Any],
    sessions: NamedDependency[Sessions],
    catalog: NamedDependency[Catalog],
    settings: NamedDependency[Settings],
) -> PacketService:
    return PacketService(sessions, catalog, principal_of(request).district_id, settings.content_path)


async def _pdf(
    request: Request[Any, Any, Any],
    packets: PacketService,
    kind: Kind,
    target: Target,
    target_id: str,
    lang: str | None,
    paper: Paper,
) -> Response[bytes]:
    language: Language = (
        "es" if negotiate(lang, request.headers.get("accept-language"), list(LANGUAGES)) == "es" else "en"
    )
    printed = await packets.print(kind, target, target_id, language, paper)
    headers = {
        "Content-Disposition": f'inline; filename="{printed.filename}"',
        "Content-Language": language,
        "Vary": "Accept-Language",
    }
    return Response(printed.body, media_type=PDF, headers=headers)


class PacketsController(Controller):
    """The printed packet of a module or an agenda (scope `content:facilitate`)."""

    path = "/api/v1/packets"
    tags = ["packets"]
    opt = requires(Scope.CONTENT_FACILITATE)
    dependencies = {"packets": Provide(provide_packets)}

    @get(
        "/modules/{module_id:str}/participant.pdf",
        operation_id="getModuleParticipantPacket",
        summary="A module's participant packet (PDF)",
        media_type=PDF,
        opt={"downloads": (PARTICIPANT,)},
        responses=problems(400, 401, 403, 404),
    )
    async def module_participant(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        module_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "participant", "module", module_id, lang, paper)

    @get(
        "/modules/{module_id:str}/facilitator.pdf",
        operation_id="getModuleFacilitatorGuide",
        summary="A module's facilitator guide (PDF)",
        media_type=PDF,
        opt={"downloads": (FACILITATOR,)},
        responses=problems(400, 401, 403, 404),
    )
    async def module_facilitator(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        module_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "facilitator", "module", module_id, lang, paper)

    @get(
        "/modules/{module_id:str}/job-aid.pdf",
        operation_id="getModuleJobAid",
        summary="The job aid, with a module's packet (PDF)",
        media_type=PDF,
        opt={"downloads": (JOB_AID,)},
        responses=problems(400, 401, 403, 404),
    )
    async def module_job_aid(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        module_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "job-aid", "module", module_id, lang, paper)

    @get(
        "/agendas/{agenda_id:str}/participant.pdf",
        operation_id="getAgendaParticipantPacket",
        summary="An agenda's participant packet (PDF)",
        media_type=PDF,
        opt={"downloads": (PARTICIPANT,)},
        responses=problems(400, 401, 403, 404),
    )
    async def agenda_participant(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        agenda_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "participant", "agenda", agenda_id, lang, paper)

    @get(
        "/agendas/{agenda_id:str}/facilitator.pdf",
        operation_id="getAgendaFacilitatorGuide",
        summary="An agenda's facilitator guide (PDF)",
        media_type=PDF,
        opt={"downloads": (FACILITATOR,)},
        responses=problems(400, 401, 403, 404),
    )
    async def agenda_facilitator(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        agenda_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "facilitator", "agenda", agenda_id, lang, paper)

    @get(
        "/agendas/{agenda_id:str}/job-aid.pdf",
        operation_id="getAgendaJobAid",
        summary="The job aid, with an agenda's packet (PDF)",
        media_type=PDF,
        opt={"downloads": (JOB_AID,)},
        responses=problems(400, 401, 403, 404),
    )
    async def agenda_job_aid(
        self,
        request: Request[Any, Any, Any],
        packets: NamedDependency[PacketService],
        agenda_id: FromPath[str],
        lang: Lang = None,
        paper: PaperSize = "letter",
    ) -> Response[bytes]:
        return await _pdf(request, packets, "job-aid", "agenda", agenda_id, lang, paper)
