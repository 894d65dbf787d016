"""A district's learners: created or updated from a profile, named in events, and given tokens."""

import uuid
from datetime import timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.db import Sessions
from api.errors import Conflict, NotFound
from api.identity import tokens
from api.models import Learner, utcnow
from schemas.events import LearnerRef
from schemas.progress import (
    LearnerProfile,
    LearnerToken,
    LearnerView,
)


def learner_view(row: Learner) -> LearnerView:
    return LearnerView(
        id=row.id,
        external_id=row.external_id,
        name=row.name,
        email=row.email,
        employee_id=row.employee_id,
        school=row.school,
        role=row.role,
    )


def learner_ref(row: Learner) -> LearnerRef:
    """The learner as events name them (the same fields as the API's view)."""
    return LearnerRef(**msgspec.structs.asdict(learner_view(row)))


class LearnerService:
    """A district's learners: created or updated from a profile, and given tokens."""

    def __init__(self, sessions: Sessions, district_id: uuid.UUID) -> None:
        self.sessions = sessions
        self.district_id = district_id

    async def upsert(self, profile: LearnerProfile) -> LearnerView:
        for _ in range(2):  # a concurrent first upsert of the same learner: the second try updates
            try:
                async with self.sessions.begin() as session:
                    row = (
                        await session.execute(
                            select(Learner).where(
                                Learner.district_id == self.district_id,
                                Learner.external_id == profile.external_id,
                            )
                        )
                    ).scalar_one_or_none()
                    if row is None:
                        row = Learner(district_id=self.district_id, external_id=profile.external_id)
                        session.add(row)
                    for field in ("name", "email", "employee_id", "school", "role"):
                        setattr(row, field, getattr(profile, field))
                    row.updated_at = utcnow()
                    await session.flush()
                    return learner_view(row)
            except IntegrityError:
                continue
        raise Conflict("The learner was being created by another request at the same moment; try again.")

    async def token(
        self,
        profile: LearnerProfile,
        cohort: str,
        ttl_minutes: int,
        key: str,
        facilitator: bool = False,
    ) -> LearnerToken:
        learner = await self.upsert(profile)
        token, expires = tokens.issue(
            key, self.district_id, learner.id, cohort, timedelta(minutes=ttl_minutes), facilitator
        )
        return LearnerToken(token=token, expires_at=expires, learner=learner)

    async def get(self, learner_id: uuid.UUID) -> LearnerView:
        async with self.sessions() as session:
            row = await session.get(Learner, learner_id)
        if row is None or row.district_id != self.district_id:
            raise NotFound("No such learner in this district.")
        return learner_view(row)
