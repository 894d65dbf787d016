"""The printed packet through its routes, on SQLite and PostgreSQL: a module's and the two-hour
agenda's participant packet, facilitator guide and job aid, read back with pypdf (titles, every
worksheet item's prompt, no answers in the participant's copy, the key in the facilitator's,
Spanish accents, the district's name, US Letter and A4 page sizes), one page rendered to an image
with pypdfium2, and bad input refused. The PDFs are the same bytes on either database, so the
second run is served from the process's recent PDFs and costs little."""

import asyncio
import html
import io
import re
from typing import Any

import pypdf
import pypdfium2
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.content.loader import load_course
from api.content.render import render_markdown
from api.content.translation import apply_translation
from api.db import Sessions
from schemas.content import ChoiceItem, Module
from tests.conftest import CONTENT_DIR, Tenant, make_tenant

pytestmark = pytest.mark.anyio
Client = AsyncTestClient[Litestar]

COURSE = load_course(CONTENT_DIR)
MODULE = "who-are-our-customers"
POINTS_PER_MM = 72 / 25.4
SIZES = {"letter": (612.0, 792.0), "a4": (210 * POINTS_PER_MM, 297 * POINTS_PER_MM)}


def module_in(module_id: str, language: str) -> Module:
    module = COURSE.module(module_id)
    translation = COURSE.translations.get((module_id, language))
    return apply_translation(module, translation.strings) if translation else module


def words(markdown: str) -> str:
    """A Markdown text as the PDF's extracted text reads it: its words, spaced once."""
    inline = re.sub(r"</?(?:strong|em|code|a)\b[^>]*>", "", render_markdown(markdown))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def opening(markdown: str) -> str:
    """The first words of a text (up to 60 characters): long enough to be its own, short enough
    not to run across a page's foot."""
    text = words(markdown)
    return text if len(text) <= 60 else text[:60].rsplit(" ", 1)[0]


class Read:
    """A PDF as pypdf reads it: its pages' sizes and its text, spaced once."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        reader = pypdf.PdfReader(io.BytesIO(body))
        self.sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
        self.text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())

    def has(self, markdown: str) -> bool:
        return opening(markdown) in self.text


async def pdf(client: Client, tenant: Tenant, path: str, status: int = 200, **params: Any) -> Read:
    response = await client.get(f"/api/v1/packets/{path}", params=params, headers=tenant.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/pdf"
    return Read(response.content)


def assert_paper(read: Read, paper: str) -> None:
    width, height = SIZES[paper]
    assert read.sizes, "no pages"
    for w, h in read.sizes:
        assert abs(w - width) < 1 and abs(h - height) < 1, (w, h, paper)


def worksheet_prompts(module: Module, forms: set[str] | None = None) -> list[str]:
    """Every prompt of the module's forms other than its knowledge check (or of `forms`)."""
    return [
        item.prompt
        for form in module.forms
        if (form.kind != "knowledge_check" if forms is None else form.id in forms)
        for item in form.items
    ]


async def test_module_packet_participant_and_facilitator(client: Client, district_a: Tenant) -> None:
    # (English on US Letter is the agenda's test; each PDF is a second or more of CPU.)
    module = module_in(MODULE, "es")
    read = await pdf(client, district_a, f"modules/{MODULE}/participant.pdf", lang="es", paper="a4")
    assert_paper(read, "a4")
    assert "District-A School District" in read.text
    assert words(module.title) in read.text
    prompts = worksheet_prompts(module) + worksheet_prompts(module, {"knowledge-check"})
    missing = [opening(p) for p in prompts if not read.has(p)]
    assert not missing, missing
    for handout in module.handouts:
        assert words(handout.title) in read.text
    # The knowledge check's questions and options, never what marks them.
    check = next(form for form in module.forms if form.id == "knowledge-check")
    choices = [item for item in check.items if isinstance(item, ChoiceItem)]
    assert all(read.has(option.text) for item in choices for option in item.options)
    assert not any(read.has(option.feedback) for item in choices for option in item.options)
    # Spanish set in the certificates' font: accents and the opening question mark survive.
    assert "¿Quiénes son nuestros clientes?" in read.text

    guide = await pdf(client, district_a, f"modules/{MODULE}/facilitator.pdf", lang="en")
    assert_paper(guide, "letter")
    module = module_in(MODULE, "en")
    assert all(guide.has(step.text) for step in module.facilitator_script)
    keyed = [
        option
        for form in module.forms
        if form.id == "knowledge-check"
        for item in form.items
        if isinstance(item, ChoiceItem)
        for option in item.options
        if option.correct
    ]
    assert keyed and all(guide.has(option.feedback) for option in keyed)
    assert "Answer key" in guide.text and "Agenda" in guide.text


async def test_two_hour_agenda_packet(client: Client, district_a: Tenant) -> None:
    agenda = COURSE.agenda("two-hour")
    read = await pdf(client, district_a, "agendas/two-hour/participant.pdf", lang="en", paper="letter")
    assert_paper(read, "letter")
    for block in agenda.blocks:
        if block.module is None:
            continue
        module = module_in(block.module, "en")
        assert words(module.title) in read.text
        kept = {a.form for a in module.activities if a.id not in block.leave_out and a.form}
        missing = [opening(p) for p in worksheet_prompts(module, kept) if not read.has(p)]
        assert not missing, (module.id, missing)

    guide = await pdf(client, district_a, "agendas/two-hour/facilitator.pdf", lang="es", paper="a4")
    assert_paper(guide, "a4")
    assert "District-A School District" in guide.text
    for block in agenda.blocks:
        title = words(module_in(block.module, "es").title) if block.module else block.title.es  # type: ignore[union-attr]
        assert title in guide.text
    # One clock for the whole room: the welcome starts it, the close ends it at two hours.
    assert "0:00–0:05" in guide.text and "1:58–2:00" in guide.text
    assert "Guía del facilitador" in guide.text

    # One page of it, drawn: the cover has ink on it, at A4's proportions.
    document = pypdfium2.PdfDocument(guide.body)
    try:
        page = document[0]
        image = page.render(scale=1).to_pil().convert("L")
        page.close()
    finally:
        document.close()
    assert abs(image.height / image.width - 297 / 210) < 0.01
    dark = sum(image.histogram()[:128])
    assert dark > 2000, dark


async def test_job_aid_is_one_page_with_the_standard_and_who_to_call(
    client: Client, district_a: Tenant, sessions: Sessions
) -> None:
    aid = COURSE.job_aid
    assert aid is not None
    for language, paper in (("en", "a4"), ("es", "letter")):
        read = await pdf(client, district_a, f"modules/{MODULE}/job-aid.pdf", lang=language, paper=paper)
        assert len(read.sizes) == 1
        assert_paper(read, paper)
        for line in aid.standard:
            assert line.name.in_(language) in read.text  # type: ignore[arg-type]
        for contact in aid.contacts:
            assert opening(contact.who.in_(language)) in read.text  # type: ignore[arg-type]
    assert "Seguridad" in read.text and "Cortesía" in read.text

    # Each district prints its own name, and never another's; asked for twice at once, the page
    # is laid out once and both get it.
    other = await make_tenant(sessions, "district-c", ["content:facilitate"])
    both = await asyncio.gather(*[pdf(client, other, "agendas/two-hour/job-aid.pdf") for _ in range(2)])
    assert both[0].body == both[1].body
    assert "District-C School District" in both[0].text
    assert "District-A" not in both[0].text


async def test_bad_input_is_refused(client: Client, district_a: Tenant, sessions: Sessions) -> None:
    async def status(path: str, headers: dict[str, str] | None = None, **params: Any) -> int:
        sent = district_a.headers if headers is None else headers
        response = await client.get(f"/api/v1/packets/{path}", params=params, headers=sent)
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
        return response.status_code

    assert await status("modules/no-such-module/participant.pdf") == 404
    assert await status("agendas/no-such-agenda/facilitator.pdf") == 404
    assert await status(f"agendas/{MODULE}/participant.pdf") == 404  # a module is not an agenda
    assert await status(f"modules/{MODULE}/job-aid.pdf", paper="legal") == 400
    assert await status(f"modules/{MODULE}/brochure.pdf") == 404
    assert await status(f"modules/{MODULE}/job-aid.pdf", headers={}) == 401
    reader = await make_tenant(sessions, "district-r", ["content:read"])
    assert await status(f"modules/{MODULE}/job-aid.pdf", headers=reader.headers) == 403

    # A learner token reads content but prints no packet; a facilitator token prints it.
    for facilitator, expected in ((False, 403), (True, 200)):
        body = {"learner": {"external_id": f"teacher-{facilitator}"}, "facilitator": facilitator}
        token = await client.post("/api/v1/learner-tokens", json=body, headers=district_a.headers)
        assert token.status_code == 201, token.text
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        assert await status(f"modules/{MODULE}/job-aid.pdf", headers=headers) == expected
