"""Serves the player's static files at `/player/` (public: the files hold no data; every call the
player makes carries the learner token it was launched with).

The headers keep the page safe inside any LMS iframe without cookies: a Content-Security-Policy
allowing only the service's own scripts, styles and API (and form posts back to an LMS, which
is how deep linking returns), no referrer (the launch fragment never leaves the page anyway),
and `no-cache` so a new release shows at once (the files are small and revalidated by ETag).
"""

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from litestar import MediaType, Response, Router, get
from litestar.params import QueryParameter
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "form-action 'self' https: http:",
        "base-uri 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def _secure(response: Response[object]) -> Response[object]:
    response.headers.update(HEADERS)
    return response


def player_router() -> Router:
    """`/player/` and its files; `index.html` for the directory itself."""
    return create_static_files_router(
        path="/player",
        directories=[STATIC],
        html_mode=True,
        name="player",
        opt={"exclude_from_auth": True},
        after_request=_secure,
        include_in_schema=False,
    )


def _origin(url: str) -> str | None:
    """The origin of an http(s) URL from a cmi5 launch, or None for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    return origin if all(c not in origin for c in " ;,'\"\\") else None


@get("/player/cmi5", exclude_from_auth=True, include_in_schema=False, media_type=MediaType.HTML)
async def cmi5_launch(
    endpoint: Annotated[str, QueryParameter()] = "", fetch: Annotated[str, QueryParameter()] = ""
) -> Response[bytes]:
    """The player for a cmi5 launch (an AU's URL): the same page, allowed to reach the LMS's
    fetch URL and LRS (the origins of the launch's `fetch` and `endpoint`) and nothing else.
    Without them it is the plain player, which says there is no launch."""
    origins = sorted({o for o in (_origin(endpoint), _origin(fetch)) if o})
    csp = CSP.replace("connect-src 'self'", " ".join(["connect-src 'self'", *origins]))
    response = Response((STATIC / "index.html").read_bytes(), media_type=MediaType.HTML)
    response.headers.update(HEADERS | {"Content-Security-Policy": csp})
    return response
