"""Assignment routes: HR assigns modules to schools and roles with due dates (scope
`assignments:write`) and reads them back (`hr:read`)."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.assignments.services import AssignmentService
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import problems
from api.identity.auth import Scope, principal_of, requires
from schemas.assignments import AssignmentCreate, AssignmentView


def provide_assignments(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], catalog: NamedDependency[Catalog]
) -> AssignmentService:
    principal = principal_of(request)
    return AssignmentService(sessions, catalog, principal.district_id, principal.key_id)


class AssignmentController(Controller):
    path = "/api/v1/assignments"
    tags = ["hr"]
    dependencies = {"assignments": Provide(provide_assignments, sync_to_thread=False)}

    @post(
        operation_id="createAssignment",
        summary="Assign a module to a school, a role, or a role at one school, with a due date",
        status_code=HTTP_201_CREATED,
        opt=requires(Scope.ASSIGNMENTS_WRITE),
        responses=problems(400, 401, 403, 409, 413, 415, 422),
    )
    async def create(
        self, assignments: NamedDependency[AssignmentService], data: JSONBody[AssignmentCreate]
    ) -> AssignmentView:
        """Due by the end of `due_on` in the district's time zone. Learners see the due date in
        their progress, `/outstanding` marks who is overdue, and each overdue employee gets one
        `assignment.overdue` event."""
        return await assignments.create(data)

    @get(
        operation_id="listAssignments",
        summary="The district's assignments, soonest due first",
        opt=requires(Scope.HR_READ),
        responses=problems(400, 401, 403),
    )
    async def list_assignments(
        self,
        assignments: NamedDependency[AssignmentService],
        module: Annotated[str, QueryParameter(description="Only this module's.", max_length=64)] = "",
    ) -> list[AssignmentView]:
        return await assignments.list(module)

    @delete(
        "/{assignment_id:uuid}",
        operation_id="deleteAssignment",
        summary="Delete an assignment: nobody is chased for it any more",
        opt=requires(Scope.ASSIGNMENTS_WRITE),
        responses=problems(401, 403, 404),
    )
    async def delete_assignment(
        self, assignments: NamedDependency[AssignmentService], assignment_id: FromPath[uuid.UUID]
    ) -> None:
        await assignments.delete(assignment_id)
