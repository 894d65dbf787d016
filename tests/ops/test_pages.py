"""The pages a person opens: the landing page, and the docs with every asset served from here."""

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings

ASSET_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


class Page(HTMLParser):
    """What a browser would read from a page: its language, title, headings, links and assets."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.headings: list[str] = []
        self.links: list[str] = []
        self.assets: list[str] = []
        self.list_items = 0
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if tag in ("title", "h1", "h2"):
            self._in = tag
        if tag == "li":
            self.list_items += 1
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")
        if tag in ("script", "img") and found.get("src"):
            self.assets.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.assets.append(found["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in in ("h1", "h2"):
            self.headings.append(f"{self._in}:{data.strip()}")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Litestar]]:
    path: Path = tmp_path_factory.mktemp("pages") / "pages.db"
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{path}", publish_on_start=False, log_level="WARNING"
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_docs_load_only_same_origin_assets(client: TestClient[Litestar]) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = Page(response.text)
    assert page.lang == "en" and page.title == "Front Office"
    assert {Path(asset).suffix for asset in page.assets} == set(ASSET_TYPES)
    for asset in page.assets:
        # A path on this origin: no scheme, no host (`//cdn…` would be another origin).
        assert asset.startswith("/") and not asset.startswith("//"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["content-type"].startswith(ASSET_TYPES[Path(asset).suffix]), asset
        assert len(served.content) > 500


def test_docs_assets_are_public_and_cacheable(client: TestClient[Litestar]) -> None:
    assert client.get("/docs/assets/swagger-ui.css").headers["cache-control"] == "max-age=86400, public"
    assert client.get("/docs/assets/no-such-file.js").status_code == 404


def test_landing_page_links_the_docs_health_and_player(client: TestClient[Litestar]) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = Page(response.text)
    assert page.lang == "en" and page.title == "Front Office"
    assert page.headings[0] == "h1:Front Office" and len(page.headings) > 1
    assert page.links == ["/docs", "/docs/openapi.json", "/healthz", "/readyz", "/player/"]
    assert page.list_items == len(page.links)
    for link in page.links:
        assert client.get(link).status_code == 200, link
    assert client.get("/docs/openapi.json").json()["info"]["title"] == "Front Office"


def test_landing_page_speaks_the_browsers_language(client: TestClient[Litestar]) -> None:
    english = client.get("/", headers={"Accept-Language": "fr, en;q=0.5"})
    spanish = client.get("/", headers={"Accept-Language": "es-MX, en;q=0.8"})
    assert english.headers["content-language"] == "en" and Page(english.text).lang == "en"
    assert spanish.headers["content-language"] == "es" and Page(spanish.text).lang == "es"
    assert "Documentación de la API" in spanish.text and "Vary" in spanish.headers
    assert Page(spanish.text).links == Page(english.text).links
