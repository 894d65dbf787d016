"""`/verify/{code}` by content negotiation: JSON for programs (the default, as documented), a page
in English or Spanish for a browser, saying valid, voided (and when, never the reason) or unknown."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db import Sessions
from tests.conftest import Tenant
from tests.hr.test_hr_exports import TRICKY, seeded

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


async def test_programs_get_json_and_browsers_a_page(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    ids = await seeded(client, sessions, district_a)
    record = (await client.get(f"/api/v1/completions/{ids['c3']}", headers=district_a.headers)).json()
    code = record["certificate_id"]
    for accept in (None, "*/*", "application/json", "application/json, text/html;q=0.5"):
        headers = {"Accept": accept} if accept else {}
        response = await client.get(f"/verify/{code}", headers=headers)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.json()["valid"] is True

    page = await client.get(f"/verify/{code}", headers={"Accept": BROWSER, "Accept-Language": "en-US"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-language"] == "en" and "Accept" in page.headers["vary"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert '<html lang="en">' in text and "This certificate is valid." in text
    assert record["module"]["title"] in text and "September 1, 2026" in text
    assert "District-A School District" in text
    # A name is text, never markup.
    assert "=HYPERLINK(&quot;http://evil&quot;)" in text and TRICKY[0]["name"] not in text

    spanish = await client.get(f"/verify/{code}", headers={"Accept": BROWSER, "Accept-Language": "es-MX,es"})
    assert spanish.headers["content-language"] == "es" and '<html lang="es">' in spanish.text
    assert "Este certificado es válido." in spanish.text and "1 de septiembre de 2026" in spanish.text

    void = await client.post(
        f"/api/v1/completions/{ids['c3']}/void",
        json={"reason": "Recorded for the wrong person, Ms. Private"},
        headers=district_a.headers,
    )
    assert void.status_code == 200, void.text
    voided_at = void.json()["voided_at"][:10]
    for language, said in (("en", "no longer valid"), ("es", "ya no es válido")):
        page = await client.get(f"/verify/{code}", headers={"Accept": BROWSER, "Accept-Language": language})
        assert page.status_code == 200 and said in page.text
        assert "Ms. Private" not in page.text  # the reason an administrator typed is not published
    english = await client.get(f"/verify/{code}", headers={"Accept": BROWSER})
    year, _, day = (int(part) for part in voided_at.split("-"))
    assert f"{day}, {year}" in english.text and "Certificate voided" in english.text
    assert (await client.get(f"/verify/{code}")).json()["voided_on"] == voided_at


async def test_an_unknown_code_is_a_page_for_people_and_a_problem_for_programs(client: Client) -> None:
    page = await client.get("/verify/%3Cb%3ENOPE", headers={"Accept": BROWSER, "Accept-Language": "es"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Código de verificación desconocido" in page.text
    assert "&lt;b&gt;NOPE" in page.text and "<b>NOPE" not in page.text
    problem = await client.get("/verify/NOPE")
    assert problem.status_code == 404 and problem.headers["content-type"] == "application/problem+json"
