"""Text-entry answers per language: a learner's answer is marked against the accepted answers of
the language they work in with the item's typo allowance, and against another language's only
exactly, so no answer is right by being one typo away from a word of another language."""

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.attempts.scoring import score_item
from api.content.translation import TextEntryInLanguage
from tests.conftest import Tenant
from tests.progress.answers import form_answers
from tests.progress.test_progress_api import MODULE, facilitator_forms, learner_headers

Client = AsyncTestClient[Litestar]


def in_english(*elsewhere: str) -> TextEntryInLanguage:
    return TextEntryInLanguage(
        id="need",
        prompt="Which need?",
        accepted=["information", "informed"],
        elsewhere=list(elsewhere),
        feedback_correct="Right.",
        feedback_incorrect="Information.",
    )


@pytest.mark.parametrize(
    ("typed", "right"),
    [
        ("informaton", True),  # one typo in the learner's own language
        ("Informar", True),  # another language's answer, exactly
        ("informal", False),  # one typo from the other language's "informar": never
        ("informarr", False),
    ],
)
def test_typos_count_in_the_learners_language_only(typed: str, right: bool) -> None:
    assert score_item(in_english("informar"), typed)[1] is right


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("lang", "typed", "right"),
    [
        ("en", "informaton", True),
        ("en", "la informacion", True),  # Spanish, exactly, in the English player
        ("en", "la informacoin", False),  # a near miss of Spanish is not a typo of English
        ("en", "informal", False),
        ("es", "la informacoin", True),
        ("es", "information", True),
        ("es", "informaton", False),
        ("es", "informal", False),
    ],
)
async def test_need_information_is_marked_in_the_learners_language(
    client: Client, district_a: Tenant, lang: str, typed: str, right: bool
) -> None:
    headers = await learner_headers(client, district_a, external_id=f"lang-{lang}-{typed}")
    form = (await facilitator_forms(client, district_a))["knowledge-check"]
    answers = form_answers(form) | {"need-information": typed}
    started = await client.post(f"/api/v1/me/modules/{MODULE}/forms/{form['id']}/attempts", headers=headers)
    attempt = started.json()["id"]
    submitted = await client.post(
        f"/api/v1/me/attempts/{attempt}/submit?lang={lang}", json={"answers": answers}, headers=headers
    )
    assert submitted.status_code == 200, submitted.text
    [result] = [i for i in submitted.json()["attempt"]["items"] if i["item"] == "need-information"]
    assert result["correct"] is right
    # Read again in the same language (Accept-Language this time), the marks are the same.
    again = await client.get(f"/api/v1/me/attempts/{attempt}", headers=headers | {"Accept-Language": lang})
    [reread] = [i for i in again.json()["items"] if i["item"] == "need-information"]
    assert reread["correct"] is right
