"""Test data for HR: learners and completion records written straight to the database (the
submit path that writes them in production is exercised in tests/hr/test_hr_records.py too)."""

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from api.db import Sessions
from api.models import Completion, Learner, ModuleRecord

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


async def current_modules(sessions: Sessions) -> dict[str, str]:
    async with sessions() as session:
        rows = (await session.execute(select(ModuleRecord.id, ModuleRecord.current_version))).all()
    return {module_id: version for module_id, version in rows}


async def add_learner(
    sessions: Sessions,
    district_id: uuid.UUID,
    external_id: str,
    *,
    name: str = "",
    email: str = "",
    employee_id: str = "",
    school: str = "",
    role: str = "",
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = Learner(
            district_id=district_id,
            external_id=external_id,
            name=name or external_id,
            email=email,
            employee_id=employee_id,
            school=school,
            role=role,
        )
        session.add(row)
        await session.flush()
        return row.id


async def add_completion(
    sessions: Sessions,
    district_id: uuid.UUID,
    learner_id: uuid.UUID,
    module_id: str,
    version: str,
    *,
    at: datetime = T0,
    score: float | None = 0.8,
    minutes: float = 20,
) -> uuid.UUID:
    async with sessions.begin() as session:
        row = Completion(
            district_id=district_id,
            learner_id=learner_id,
            module_id=module_id,
            module_version=version,
            score=score,
            passed=None if score is None else score >= 0.7,
            attempts=1,
            started_at=at - timedelta(minutes=25),
            completed_at=at,
            credit_minutes=minutes,
            certificate_code=secrets.token_hex(8).upper(),
            updated_at=at,
        )
        session.add(row)
        await session.flush()
        return row.id
