"""Exactly once under concurrency, held by the database: run against both backends, with the
services called concurrently on real connections (on PostgreSQL, truly in parallel)."""

import asyncio
from pathlib import Path
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from api.attempts.services import AttemptService
from api.content.catalog import Catalog
from api.content.loader import load_course
from api.db import Sessions
from api.identity.learners import LearnerService
from api.models import Attempt, Completion, OutboxEvent
from schemas.progress import LearnerProfile
from tests.conftest import CONTENT_DIR, make_tenant
from tests.progress.answers import form_answers

pytestmark = pytest.mark.anyio
MODULE = "who-are-our-customers"


def forms() -> dict[str, dict[str, Any]]:
    module = load_course(Path(CONTENT_DIR)).module(MODULE)
    return {f.id: msgspec.to_builtins(f) for f in module.forms}


async def learner_service(sessions: Sessions, slug: str, external_id: str) -> AttemptService:
    tenant = await make_tenant(sessions, slug)
    learner = await LearnerService(sessions, tenant.id).upsert(LearnerProfile(external_id=external_id))
    return AttemptService(sessions, Catalog(sessions), tenant.id, learner.id)


async def count(sessions: Sessions, model: Any, *where: Any) -> int:
    async with sessions() as session:
        return int(
            (await session.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


async def test_concurrent_submits_of_one_attempt_make_one_submission(sessions: Sessions) -> None:
    service = await learner_service(sessions, "conc-a", "pat")
    form = forms()["knowledge-check"]
    attempt, _ = await service.start(MODULE, form["id"])
    results = await asyncio.gather(*(service.submit(attempt.id, form_answers(form)) for _ in range(8)))
    assert {r.attempt.id for r in results} == {attempt.id}
    assert {r.attempt.submitted_at for r in results} == {results[0].attempt.submitted_at}
    assert await count(sessions, Attempt, Attempt.status == "submitted") == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "attempt.submitted") == 1


async def test_concurrent_starts_make_one_draft(sessions: Sessions) -> None:
    service = await learner_service(sessions, "conc-b", "pat")
    started = await asyncio.gather(*(service.start(MODULE, "knowledge-check") for _ in range(6)))
    assert len({a.id for a, _ in started}) == 1
    assert sum(created for _, created in started) == 1
    assert await count(sessions, Attempt) == 1


@pytest.mark.parametrize("round_", range(3))
async def test_two_devices_finishing_at_once_record_one_completion(sessions: Sessions, round_: int) -> None:
    service = await learner_service(sessions, f"conc-c{round_}", "pat")
    all_forms = forms()
    worksheet, _ = await service.start(MODULE, "customer-worksheet")
    await service.submit(worksheet.id, form_answers(all_forms["customer-worksheet"]))
    quiz, _ = await service.start(MODULE, "knowledge-check")
    reflection, _ = await service.start(MODULE, "reflection")
    # Device A submits the quiz, device B the reflection, at the same moment.
    a, b = await asyncio.gather(
        service.submit(quiz.id, form_answers(all_forms["knowledge-check"])),
        service.submit(reflection.id, form_answers(all_forms["reflection"])),
    )
    completions = [r.completion for r in (a, b) if r.completion is not None]
    assert completions and len({c.id for c in completions}) == 1
    assert await count(sessions, Completion) == 1
    assert await count(sessions, OutboxEvent, OutboxEvent.type == "completion.recorded") == 1
