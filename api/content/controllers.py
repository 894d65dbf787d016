"""Content routes: the course, its modules (learner and facilitator views), versions, forms.

Bodies come from the catalog already encoded; each carries a strong ETag, and a matching
`If-None-Match` gets `304`. Language comes from `?lang=` or `Accept-Language` (English when
the module has no such translation) and is named in `Content-Language`.
"""

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from api.content.catalog import Catalog, Entry, Format, Rendered, View, negotiate
from api.errors import problems
from api.identity.auth import SCHOOL_SCOPED, Scope, requires
from schemas.content_api import ModuleVersionInfo
from schemas.content_views import CourseView, FacilitatorModule, LearnerForm, LearnerModule, ModuleSummary

Lang = Annotated[
    str | None,
    QueryParameter(
        name="lang", description="Language code (e.g. `es`); default: Accept-Language, then English."
    ),
]
TextFormat = Annotated[
    Format,
    QueryParameter(description="`markdown` (default) or `html`: prose rendered and sanitized."),
]
CURRENT = "private, no-cache"  # revalidate each time (cheap: ETag), so a new version shows at once
PINNED = "private, max-age=31536000, immutable"  # a published version never changes


def _respond(request: Request[Any, Any, Any], rendered: Rendered, cache_control: str) -> Response[Any]:
    headers = {
        "ETag": rendered.etag,
        "Cache-Control": cache_control,
        "Content-Language": rendered.language,
        "Vary": "Accept-Language, Authorization",
    }
    if rendered.etag in request.headers.get("if-none-match", ""):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=rendered.body, media_type="application/json", headers=headers)


def _language(request: Request[Any, Any, Any], lang: str | None, entry: Entry) -> str:
    return negotiate(lang, request.headers.get("accept-language"), entry.locales)


async def _module(
    request: Request[Any, Any, Any],
    catalog: Catalog,
    module_id: str,
    version: str | None,
    view: View,
    lang: str | None,
    text_format: Format,
) -> Response[Any]:
    """A module (current, or pinned to `version`) as `view` sees it; pinned ones never change."""
    entry = await catalog.entry(module_id, version)
    rendered = catalog.module(entry, _language(request, lang, entry), view, text_format)
    return _respond(request, rendered, CURRENT if version is None else PINNED)


class ContentController(Controller):
    path = "/api/v1"
    tags = ["content"]
    # The course is the same for every district and holds no learner's data, so a principal,
    # whose console reads only their own school's, may read it (module titles, for one).
    opt = {SCHOOL_SCOPED: True}

    @get(
        "/course",
        operation_id="getCourse",
        summary="The course and its modules (summaries)",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def course(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[CourseView]:
        accept = request.headers.get("accept-language")
        listing = await catalog.listing(lang, accept, format, with_course=True)
        return _respond(request, listing, CURRENT)

    @get(
        "/modules",
        operation_id="listModules",
        summary="Module summaries in course order",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def modules(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[list[ModuleSummary]]:
        accept = request.headers.get("accept-language")
        listing = await catalog.listing(lang, accept, format, with_course=False)
        return _respond(request, listing, CURRENT)

    @get(
        "/modules/{module_id:str}",
        operation_id="getModule",
        summary="A module as learners see it (current version; no answer keys)",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def module(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        module_id: FromPath[str],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[LearnerModule]:
        return await _module(request, catalog, module_id, None, "learner", lang, format)

    @get(
        "/modules/{module_id:str}/facilitator",
        operation_id="getModuleFacilitatorView",
        summary="A module with its facilitator script, answer keys and feedback",
        opt={**requires(Scope.CONTENT_FACILITATE), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def facilitator(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        module_id: FromPath[str],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[FacilitatorModule]:
        return await _module(request, catalog, module_id, None, "facilitator", lang, format)

    @get(
        "/modules/{module_id:str}/versions",
        operation_id="listModuleVersions",
        summary="Every published version of a module, newest first",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def versions(
        self, catalog: NamedDependency[Catalog], module_id: FromPath[str]
    ) -> list[ModuleVersionInfo]:
        current = (await catalog.entry(module_id)).version
        return [
            ModuleVersionInfo(version=v, published_at=at, current=v == current)  # type: ignore[arg-type]
            for v, at in await catalog.versions(module_id)
        ]

    @get(
        "/modules/{module_id:str}/versions/{version:str}",
        operation_id="getModuleVersion",
        summary="A pinned version of a module, learner view",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def pinned(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        module_id: FromPath[str],
        version: FromPath[str],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[LearnerModule]:
        return await _module(request, catalog, module_id, version, "learner", lang, format)

    @get(
        "/modules/{module_id:str}/versions/{version:str}/facilitator",
        operation_id="getModuleVersionFacilitatorView",
        summary="A pinned version of a module, facilitator view",
        opt={**requires(Scope.CONTENT_FACILITATE), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def pinned_facilitator(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        module_id: FromPath[str],
        version: FromPath[str],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[FacilitatorModule]:
        return await _module(request, catalog, module_id, version, "facilitator", lang, format)

    @get(
        "/modules/{module_id:str}/forms/{form_id:str}",
        operation_id="getForm",
        summary="One form of a module (current version), learner view",
        opt={**requires(Scope.CONTENT_READ), "response_cache": True},
        responses=problems(400, 401, 403, 404),
    )
    async def form(
        self,
        request: Request[Any, Any, Any],
        catalog: NamedDependency[Catalog],
        module_id: FromPath[str],
        form_id: FromPath[str],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[LearnerForm]:
        entry = await catalog.entry(module_id)
        rendered = catalog.form(entry, form_id, _language(request, lang, entry), format)
        return _respond(request, rendered, CURRENT)
