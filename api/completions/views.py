"""A completion as the API shows it."""

from api.models import Completion
from schemas.progress import (
    CompletionView,
)


def completion_view(row: Completion) -> CompletionView:
    return CompletionView(
        id=row.id,
        learner_id=row.learner_id,
        module_id=row.module_id,
        module_version=row.module_version,
        score=row.score,
        passed=row.passed,
        started_at=row.started_at,
        completed_at=row.completed_at,
        credit_minutes=row.credit_minutes,
        certificate_code=row.certificate_code,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
    )
