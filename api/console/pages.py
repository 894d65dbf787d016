"""Serves the console's page at `/console/<district>/` and its script and styles at
`/console/assets/` (public: the files hold no data; every call the page makes carries the
console session's cookie). The headers allow only the service's own scripts, styles and API,
no framing (the console is never embedded), and no referrer."""

import functools
from pathlib import Path

from litestar import Response, Router, get
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"
HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _secure(response: Response[object]) -> Response[object]:
    response.headers.update(HEADERS)
    return response


@get(
    "/console/{district:str}/",
    opt={"exclude_from_auth": True},
    include_in_schema=False,
    media_type=MediaType.HTML,
    after_request=_secure,
)
async def console_page(district: FromPath[str]) -> str:
    """The console's one page; it reads the district from its own URL."""
    return _page()


@functools.cache
def _page() -> str:
    return (STATIC / "index.html").read_text()


def console_assets() -> Router:
    return create_static_files_router(
        path="/console/assets",
        directories=[STATIC],
        name="console",
        opt={"exclude_from_auth": True},
        after_request=_secure,
        include_in_schema=False,
    )
