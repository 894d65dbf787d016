"""Certificates and transcripts as a principal prints them, read back from the PDF in English and
Spanish: course and district, the date written out in the district's time zone, the signer from
the district's settings (and no signature line without one), the verify address from the base
URL; transcripts dated and numbered "Page N of M", their modules' titles in their language;
the district's logo on both."""

import base64
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from pypdf import PdfReader

from api.completions.certificates import long_date
from api.db import Sessions
from api.settings import Settings
from tests.conftest import Tenant
from tests.hr.seed import add_completion, add_learner, current_modules

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

# 03:30 UTC on December 4 is 21:30 on December 3 in Chicago (CST, UTC-6).
LATE = datetime(2026, 12, 4, 3, 30, tzinfo=UTC)
SIGNER = {"signer_name": "Dr. Ana Ruiz", "signer_title": "Superintendent"}


def pages(body: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]


async def one_completion(sessions: Sessions, tenant: Tenant) -> tuple[str, str]:
    module_id, version = next(iter((await current_modules(sessions)).items()))
    learner = await add_learner(sessions, tenant.id, "lms-1", name="José Núñez", employee_id="E1")
    return str(await add_completion(sessions, tenant.id, learner, module_id, version, at=LATE)), module_id


async def titles(client: Client, tenant: Tenant, module_id: str, lang: str) -> tuple[str, str]:
    course = (await client.get(f"/api/v1/course?lang={lang}", headers=tenant.headers)).json()
    module = (await client.get(f"/api/v1/modules/{module_id}?lang={lang}", headers=tenant.headers)).json()
    return course["title"], module["title"]


async def test_certificate_in_english_and_spanish(
    client: Client, sessions: Sessions, settings: Settings, district_a: Tenant
) -> None:
    record_id, module_id = await one_completion(sessions, district_a)
    settings_change = {"time_zone": "America/Chicago", **SIGNER}
    assert (
        await client.patch("/api/v1/district", json=settings_change, headers=district_a.headers)
    ).is_success
    code = (await client.get(f"/api/v1/completions/{record_id}", headers=district_a.headers)).json()[
        "certificate_id"
    ]
    verify_line = f"{settings.base_url.rstrip('/')}/verify/{code}"
    expected = {
        "en": ["Certificate of Completion", "This certifies that", "on December 3, 2026", "Verify at "],
        "es": [
            "Certificado de finalización",
            "Se certifica que",
            "el 3 de diciembre de 2026",
            "Verifíquelo en ",
        ],
    }
    for lang, words in expected.items():
        response = await client.get(
            f"/api/v1/completions/{record_id}/certificate?lang={lang}", headers=district_a.headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-language"] == lang
        (text,) = pages(response.content)
        course, module = await titles(client, district_a, module_id, lang)
        for want in (*words, "District-A School District", course, module, "José Núñez", verify_line, code):
            assert want in text, (lang, want, text)
        lines = text.splitlines()
        credit = next(i for i, line in enumerate(lines) if line.startswith(("Credit", "Crédito")))
        # The signature line's name and title sit between the credit and the verification code.
        assert lines[credit + 1 : credit + 3] == ["Dr. Ana Ruiz", "Superintendent"], lines
    # Without `lang`, Accept-Language chooses; a language there is no text for gets English.
    spanish = await client.get(
        f"/api/v1/completions/{record_id}/certificate",
        headers={**district_a.headers, "Accept-Language": "es-MX,es;q=0.9"},
    )
    assert (
        spanish.headers["content-language"] == "es" and "3 de diciembre de 2026" in pages(spanish.content)[0]
    )
    french = await client.get(
        f"/api/v1/completions/{record_id}/certificate?lang=fr", headers=district_a.headers
    )
    assert french.headers["content-language"] == "en"


async def test_no_signer_no_signature_line_and_utc_by_default(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    record_id, _ = await one_completion(sessions, district_a)
    response = await client.get(f"/api/v1/completions/{record_id}/certificate", headers=district_a.headers)
    (text,) = pages(response.content)
    lines = text.splitlines()
    credit = next(i for i, line in enumerate(lines) if line.startswith("Credit"))
    assert lines[credit + 1].startswith("Verification code"), lines
    assert "on December 4, 2026" in text  # the district keeps UTC until it sets a zone
    # Only the title set: the title alone under the line.
    await client.patch("/api/v1/district", json={"signer_title": "Principal"}, headers=district_a.headers)
    response = await client.get(f"/api/v1/completions/{record_id}/certificate", headers=district_a.headers)
    lines = pages(response.content)[0].splitlines()
    assert lines[credit + 1] == "Principal" and lines[credit + 2].startswith("Verification code"), lines
    # Another district's key finds no such record.
    other = await client.get(f"/api/v1/completions/{record_id}/certificate", headers=district_b.headers)
    assert other.status_code == 404
    assert (
        await client.get("/api/v1/employees/E1/transcript.pdf", headers=district_b.headers)
    ).status_code == 404


async def test_transcript_is_dated_and_numbered(
    client: Client, sessions: Sessions, district_a: Tenant
) -> None:
    await client.patch("/api/v1/district", json={"time_zone": "America/Chicago"}, headers=district_a.headers)
    modules = list((await current_modules(sessions)).items())
    # Enough records for two pages: one employee id on many learners (an LMS account each).
    for n in range(45):
        learner = await add_learner(sessions, district_a.id, f"lms-{n}", name="José Núñez", employee_id="E1")
        module_id, version = modules[n % len(modules)]
        await add_completion(
            sessions, district_a.id, learner, module_id, version, at=LATE + timedelta(minutes=n)
        )
    chicago = ZoneInfo("America/Chicago")
    for lang, page_words, generated, status in (
        ("en", "Page {n} of 2", "Generated on {date}", "completed"),
        ("es", "Página {n} de 2", "Generado el {date}", "completado"),
    ):
        before = datetime.now(chicago).date()
        response = await client.get(
            f"/api/v1/employees/E1/transcript.pdf?lang={lang}", headers=district_a.headers
        )
        after = datetime.now(chicago).date()
        assert response.status_code == 200 and response.headers["content-language"] == lang
        first, second = pages(response.content)
        assert page_words.format(n=1) in first and page_words.format(n=2) in second
        # Today in Chicago (long_date is checked against written-out dates in the certificate test).
        days = {long_date(day, lang) for day in (before, after)}
        assert any(generated.format(date=day) in first for day in days), first
        assert "José Núñez (E1)" in first and status in first
        # Dates in the table are Chicago's: from 03:30 UTC on December 4 it is still December 3.
        assert "2026-12-03" in first and "2026-12-04" not in first + second
        assert ("Module" if lang == "en" else "Módulo") in second  # the table's header again
        # Each module's title in the transcript's language (the table cuts it at 48 characters).
        for module_id, _ in modules:
            _, title = await titles(client, district_a, module_id, lang)
            assert title[:40] in first + second, (lang, title)


def image(kind: str = "PNG", size: tuple[int, int] = (120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 60, 120)).save(out, kind)
    return out.getvalue()


async def certificate_images(client: Client, tenant: Tenant, record_id: str) -> int:
    response = await client.get(f"/api/v1/completions/{record_id}/certificate", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return len(PdfReader(io.BytesIO(response.content)).pages[0].images)


async def test_the_districts_logo_prints_on_its_certificates_only(
    client: Client, sessions: Sessions, district_a: Tenant, district_b: Tenant
) -> None:
    mine, _ = await one_completion(sessions, district_a)
    theirs, _ = await one_completion(sessions, district_b)
    assert await certificate_images(client, district_a, mine) == 0
    for kind in ("PNG", "JPEG"):
        logo = base64.b64encode(image(kind)).decode()
        changed = await client.patch("/api/v1/district", json={"logo": logo}, headers=district_a.headers)
        assert changed.status_code == 200 and changed.json()["has_logo"] is True, changed.text
        assert await certificate_images(client, district_a, mine) == 1
        (text,) = pages(
            (await client.get(f"/api/v1/completions/{mine}/certificate", headers=district_a.headers)).content
        )
        assert text.startswith("District-A School District")  # the text is all still there
        transcript = await client.get("/api/v1/employees/E1/transcript.pdf", headers=district_a.headers)
        assert len(PdfReader(io.BytesIO(transcript.content)).pages[0].images) == 1
    assert await certificate_images(client, district_b, theirs) == 0
    assert (await client.get("/api/v1/district", headers=district_b.headers)).json()["has_logo"] is False
    # What a certificate could not print is refused when set, naming the field.
    for bad, words in (
        (b"GIF89a" + b"\0" * 40, "not a PNG or JPEG"),
        (image("PNG")[:60], "cannot be read"),
    ):
        response = await client.patch(
            "/api/v1/district", json={"logo": base64.b64encode(bad).decode()}, headers=district_a.headers
        )
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]
        assert response.json()["errors"][0]["field"] == "$.logo"
    too_big = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(256 * 1024)).decode()
    response = await client.patch("/api/v1/district", json={"logo": too_big}, headers=district_a.headers)
    # Over 256 KiB: refused by the schema, as every body's limits are.
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "$.logo", response.text
    assert await certificate_images(client, district_a, mine) == 1  # the last good one stays
    removed = await client.patch("/api/v1/district", json={"logo": ""}, headers=district_a.headers)
    assert removed.json()["has_logo"] is False
    assert await certificate_images(client, district_a, mine) == 0
