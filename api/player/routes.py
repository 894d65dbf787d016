"""Serves the player's static files at `/player/` (public: the files hold no data; every call the
player makes carries the learner token it was launched with).

The headers keep the page safe inside any LMS iframe without cookies: a Content-Security-Policy
allowing only the service's own scripts, styles and API (and form posts back to an LMS, which
is how deep linking returns), no referrer (the launch fragment never leaves the page anyway),
and `no-cache` so a new release shows at once (the files are small and revalidated by ETag).
"""

from pathlib import Path

from litestar import Response, Router
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
