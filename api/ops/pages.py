"""The pages a person opens: the landing page at `/`, and Swagger UI at `/docs` with its
scripts, styles and icon served from here (the swagger-ui-py package ships them), so the docs
work on a machine or network that reaches no other site."""

import importlib.util
from pathlib import Path
from typing import Any

from litestar import MediaType, Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from api.content.catalog import negotiate

DOCS = "/docs"
OPENAPI_JSON = f"{DOCS}/openapi.json"
DOCS_ASSETS = f"{DOCS}/assets"


def _swagger_ui_files() -> Path:
    """swagger-ui's dist folder inside the installed package, found without importing it (its
    own code is for other frameworks)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("The swagger-ui-py package is missing; install the project's dependencies.")
    return Path(spec.origin).parent / "static"


class LocalSwaggerUI(SwaggerRenderPlugin):
    """Swagger UI at `/docs`, loading only what `docs_assets()` serves."""

    def __init__(self) -> None:
        super().__init__(
            path="/",
            js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
            favicon=f'<link rel="icon" type="image/png" href="{DOCS_ASSETS}/favicon-32x32.png">',
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        # Litestar's page names no language; screen readers need one.
        return super().render(request, openapi_schema).replace(b"<html>", b'<html lang="en">', 1)


def docs_assets() -> Router:
    """swagger-ui's files under `/docs/assets/`: public, and cacheable for a day (they change only
    with the package)."""
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[_swagger_ui_files()],
        name="docs-assets",
        opt={"exclude_from_auth": True},
        cache_control=CacheControlHeader(max_age=86400, public=True),
        include_in_schema=False,
    )


_LANDING_TEXT = {
    "en": {
        "intro": "Training content, learner progress and completions for school districts.",
        "developers": "For developers",
        "docs": "API documentation",
        "document": "OpenAPI document",
        "operators": "For operators",
        "live": "Liveness",
        "ready": "Readiness",
        "ready_note": "database reachable and migrated",
        "learners": "For learners",
        "player": "Course player",
    },
    "es": {
        "intro": "Contenido de capacitación, progreso del personal y cursos completados para "
        "distritos escolares.",
        "developers": "Para desarrolladores",
        "docs": "Documentación de la API",
        "document": "Documento OpenAPI",
        "operators": "Para operadores",
        "live": "Funcionamiento",
        "ready": "Disponibilidad",
        "ready_note": "base de datos accesible y al día",
        "learners": "Para el personal",
        "player": "Reproductor del curso",
    },
}


def _landing(language: str) -> str:
    t = _LANDING_TEXT[language]
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Front Office</title>
</head>
<body>
<main>
<h1>Front Office</h1>
<p>{t["intro"]}</p>
<h2>{t["developers"]}</h2>
<ul>
<li><a href="{DOCS}">{t["docs"]}</a> (Swagger UI)</li>
<li><a href="{OPENAPI_JSON}">{t["document"]}</a> (JSON)</li>
</ul>
<h2>{t["operators"]}</h2>
<ul>
<li><a href="/healthz">{t["live"]}</a> (<code>/healthz</code>)</li>
<li><a href="/readyz">{t["ready"]}</a> (<code>/readyz</code>): {t["ready_note"]}</li>
</ul>
<h2>{t["learners"]}</h2>
<ul>
<li><a href="/player/">{t["player"]}</a></li>
</ul>
</main>
</body>
</html>
"""


LANDING = {language: _landing(language) for language in _LANDING_TEXT}
"""The page in each language, made once."""

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
}


@get("/", operation_id="landingPage", opt={"exclude_from_auth": True}, include_in_schema=False)
async def landing(request: Request[Any, Any, Any]) -> Response[str]:
    """Where a person who opens the service's address starts: links to the docs and the player,
    in the browser's language (English or Spanish)."""
    language = negotiate(None, request.headers.get("accept-language"), list(LANDING))
    headers = {**HEADERS, "Content-Language": language, "Vary": "Accept-Language"}
    return Response(LANDING[language], media_type=MediaType.HTML, headers=headers)
