"""The player's files: light enough to need no build step, served publicly with safe headers."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.player.routes import STATIC

pytestmark = pytest.mark.anyio

LIMIT = 150 * 1024


def test_script_and_styles_are_under_150_kb() -> None:
    sizes = {path.name: path.stat().st_size for path in STATIC.iterdir() if path.suffix in (".js", ".css")}
    # cmi5.js is loaded only on a cmi5 launch, stream.js only in a live room (the presenter loads
    # it too); they count toward the budget all the same.
    assert set(sizes) == {"player.js", "player.css", "cmi5.js", "stream.js"}
    assert sum(sizes.values()) < LIMIT, sizes


async def test_served_without_credentials_with_safe_headers(client: AsyncTestClient[Litestar]) -> None:
    page = await client.get("/player/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="player.js">' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "frame-ancestors" not in csp  # an LMS of any origin may frame it
    assert "x-frame-options" not in page.headers
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in page.headers
    script = await client.get("/player/player.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    missing = await client.get("/player/nothing-here.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
