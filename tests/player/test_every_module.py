"""Every module of the course can be finished in the player, in English and in Spanish.

The knowledge checks are answered in the browser by clicks and typing, from the facilitator
view's key in the same language; the other forms (worksheets, practice scenarios, reflections)
hold answers saved beforehand as drafts, as when a learner began on another device, and are
submitted in the browser. The module then shows its completion page."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.player.conftest import PlayerServer, database_copy, serving
from tests.player.flows import answer_knowledge_check
from tests.progress.answers import valid_answer

WORDS = {
    "en": {
        "steps": "Steps",
        "submit": "Submit",
        "submitted": "Submitted",
        "up": "Move up",
        "done": "Module complete",
        "finish": "Finish",
    },
    "es": {
        "steps": "Pasos",
        "submit": "Enviar",
        "submitted": "Enviado",
        "up": "Subir",
        "done": "Módulo completado",
        "finish": "Final",
    },
}


@pytest.fixture(scope="module")
def own_server(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlayerServer]:
    """A server and district of this test's own: its submissions must not change the group
    results other player tests count."""
    with serving(database_copy(sqlite_template, tmp_path_factory, "every-module"), "every-module") as server:
        yield server


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_module_can_be_finished_in_the_player(
    own_server: PlayerServer, new_page: Any, lang: str
) -> None:
    player_server = own_server
    words = WORDS[lang]
    page: Page = new_page(locale="es-ES" if lang == "es" else "en-US")
    token = player_server.token()
    course = player_server.api("GET", "/api/v1/modules", token).json()
    for summary in course:
        module_id = summary["id"]
        key = player_server.http.get(
            f"/api/v1/modules/{module_id}/facilitator?lang={lang}", headers=player_server.tenant.headers
        ).json()
        for form in key["forms"]:
            if form["kind"] == "knowledge_check":
                continue
            started = player_server.api(
                "POST", f"/api/v1/me/modules/{module_id}/forms/{form['id']}/attempts", token
            )
            answers = {question["id"]: valid_answer(question) for question in form["items"]}
            saved = player_server.api(
                "PUT", f"/api/v1/me/attempts/{started.json()['id']}/answers", token, json={"answers": answers}
            )
            assert saved.status_code == 200, saved.text

        page.goto("about:blank")  # a new launch loads the player again, as a new LMS link does
        page.goto(player_server.player_url(token, module_id, lang=lang))
        steps = page.get_by_role("navigation", name=words["steps"])
        expect(steps.get_by_role("button", name=words["finish"])).to_be_visible()
        forms = {form["title"]: form for form in key["forms"]}
        # Every step in order, as the learner goes through them; a step with a form gets it submitted.
        names = [name.split("\n")[-1] for name in steps.get_by_role("button").all_inner_texts()]
        for name in names[1 : names.index(words["finish"])]:  # after "Start here", up to "Finish"
            steps.get_by_role("button", name=name).click()
            expect(page.get_by_role("heading", level=1)).to_have_text(name)
            page.wait_for_load_state("networkidle")  # a form step fetches its attempt, then shows it
            submit = page.get_by_role("button", name=re.compile(f"^{words['submit']} "))
            if submit.count() == 0:
                continue
            form = forms[submit.inner_text().removeprefix(words["submit"] + " ")]
            if form["kind"] == "knowledge_check":
                answer_knowledge_check(page, form, words["up"])
            submit.click()
            # The submit that completes the module opens its completion page instead.
            submitted = page.get_by_role("heading", name=f"{words['submitted']}: {form['title']}")
            expect(submitted.or_(page.get_by_role("heading", name=words["done"]))).to_be_visible()
            del forms[form["title"]]
        assert forms == {}, f"forms the player never offered: {list(forms)}"
        steps.get_by_role("button", name=words["finish"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(words["done"])
