"""Roster routes: the district's employees uploaded from HR, and learners no employee matches."""

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.db import Sessions
from api.errors import BadRequest, InvalidInput, problems
from api.http.params import Limit
from api.identity.auth import Scope, principal_of, requires
from api.roster.services import RosterService
from schemas.hr import (
    RosterImportResult,
    RosterUpload,
    UnmatchedLearner,
)


class RosterController(Controller):
    path = "/api/v1/roster"
    tags = ["hr"]

    @put(
        operation_id="importRoster",
        summary="Bulk upsert of the staff roster (JSON or CSV); per-row errors; nothing imports on "
        "an error unless `partial=true`",
        opt={**requires(Scope.ADMIN), "accepts": ("application/json", "text/csv")},
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def upsert(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        partial: Annotated[
            bool, QueryParameter(description="Import the valid rows even if some are bad.")
        ] = False,
    ) -> RosterImportResult:
        """Columns: employee_id, name, email, school_code, school_name, department, role_code,
        role_title, status (active, leave, inactive, terminated). A CSV has a header row."""
        principal = principal_of(request)
        service = RosterService(sessions, principal.district_id)
        body = await request.body()
        if request.content_type[0] == "text/csv":
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"The CSV is not UTF-8 (byte {exc.start}); save it as UTF-8.") from None
            return await service.import_csv(text, partial)
        try:
            upload = msgspec.json.decode(body, type=RosterUpload)
        except msgspec.DecodeError as exc:
            raise BadRequest(
                f'The body is not a roster upload ({exc}); send {{"employees": [...]}}.'
            ) from None
        return await service.import_json(upload.employees, partial)

    @get(
        "/unmatched",
        operation_id="listUnmatchedLearners",
        summary="Learners no roster employee matches (by employee id or email)",
        opt=requires(Scope.HR_READ),
        responses=problems(400, 401, 403),
    )
    async def unmatched(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        limit: Limit = 500,
    ) -> list[UnmatchedLearner]:
        return await RosterService(sessions, principal_of(request).district_id).unmatched(limit)
