"""Roster routes: the district's employees uploaded from HR and read back, learners no
employee matches, and HR's links by hand between the two."""

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK

from api.crypto import SecretBox
from api.db import Sessions
from api.errors import BadRequest, InvalidInput, NotFound, problems
from api.http.params import Limit
from api.identity.auth import SCHOOL_SCOPED, Scope, principal_of, requires
from api.identity.tokens import TokenKey
from api.models import OneRosterSource
from api.roster import schedule
from api.roster.oneroster import MAX_BUNDLE_BYTES
from api.roster.onerosterrest import Source
from api.roster.services import RosterQuery, RosterService
from schemas.hr import (
    EmploymentStatus,
    OneRosterImportResult,
    OneRosterSourceIn,
    OneRosterSourceView,
    RosterImportResult,
    RosterLink,
    RosterLinkRequest,
    RosterPage,
    RosterUpload,
    UnmatchedLearner,
)


class RosterController(Controller):
    path = "/api/v1/roster"
    tags = ["hr"]

    @put(
        operation_id="importRoster",
        summary="Bulk upsert of the staff roster (JSON or CSV); per-row errors; nothing imports on "
        "an error unless `partial=true`; `dry_run=true` checks every row and writes nothing",
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
        dry_run: Annotated[
            bool,
            QueryParameter(
                description="Check every row (against the roster too) and count what would be "
                "created and updated, writing nothing; `imported` is then false."
            ),
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
            return await service.import_csv(text, partial, dry_run)
        try:
            upload = msgspec.json.decode(body, type=RosterUpload)
        except msgspec.DecodeError as exc:
            raise BadRequest(
                f'The body is not a roster upload ({exc}); send {{"employees": [...]}}.'
            ) from None
        return await service.import_json(upload.employees, partial, dry_run)

    @post(
        "/oneroster",
        operation_id="importOneRoster",
        summary="Upsert the staff roster from a OneRoster 1.1 or 1.2 CSV bundle (zip); nothing "
        "imports on a problem unless `partial=true`",
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_BUNDLE_BYTES,
        opt={**requires(Scope.ADMIN), "accepts": ("application/zip",)},
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def import_oneroster(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        partial: Annotated[
            bool, QueryParameter(description="Import the valid staff even if some lines are bad.")
        ] = False,
    ) -> OneRosterImportResult:
        """The zip a SIS exports (manifest.csv, orgs.csv, users.csv; 1.2 adds roles.csv), bulk
        mode. Staff users are kept (administrators, teachers, aides, proctors, counselors,
        principals), students, parents and guardians skipped; the school code is the school
        org's `identifier`, else its `sourcedId`. A problem is a 422 naming its file, line and
        column (`users.csv line 14: $.email`)."""
        principal = principal_of(request)
        service = RosterService(sessions, principal.district_id)
        return await service.import_oneroster(await request.body(), partial)

    @put(
        "/oneroster/source",
        operation_id="setOneRosterSource",
        summary="Read the roster from the district's OneRoster REST endpoint on a schedule (first run "
        "within a minute)",
        opt=requires(Scope.ADMIN),
        responses=problems(400, 401, 403, 422),
    )
    async def set_oneroster_source(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        secret_box: NamedDependency[SecretBox],
        data: JSONBody[OneRosterSourceIn],
    ) -> OneRosterSourceView:
        """OAuth 2 client credentials; the secret is stored encrypted. Each run imports the
        server's staff as a OneRoster bundle would be, all or nothing, and records its outcome
        here (`GET`); the server must be reachable on the public internet."""
        source = Source(
            base_url=data.base_url,
            version=data.version,
            token_url=data.token_url,
            client_id=data.client_id,
            client_secret=data.client_secret,
        )
        row = await schedule.configure(
            sessions, secret_box, principal_of(request).district_id, source, data.every_hours
        )
        return view(row)

    @get(
        "/oneroster/source",
        operation_id="getOneRosterSource",
        summary="The district's OneRoster REST source and how its last run went",
        opt=requires(Scope.ADMIN),
        responses=problems(401, 403, 404),
    )
    async def get_oneroster_source(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> OneRosterSourceView:
        row = await schedule.source_of(sessions, principal_of(request).district_id)
        if row is None:
            raise NotFound("This district has no OneRoster source; PUT one first.")
        return view(row)

    @post(
        "/oneroster/source/run",
        operation_id="runOneRosterSource",
        summary="Run the district's OneRoster REST import at the next sweep (within a minute)",
        status_code=202,
        opt=requires(Scope.ADMIN),
        responses=problems(401, 403, 404),
    )
    async def run_oneroster_source(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> None:
        if not await schedule.run_soon(sessions, principal_of(request).district_id):
            raise NotFound("This district has no OneRoster source; PUT one first.")

    @delete(
        "/oneroster/source",
        operation_id="deleteOneRosterSource",
        summary="Stop reading the roster from OneRoster REST (the roster stays as it is)",
        opt=requires(Scope.ADMIN),
        responses=problems(401, 403, 404),
    )
    async def delete_oneroster_source(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> None:
        if not await schedule.remove(sessions, principal_of(request).district_id):
            raise NotFound("This district has no OneRoster source.")

    @get(
        "/unmatched",
        operation_id="listUnmatchedLearners",
        summary="Learners no roster employee matches (by employee id or email); audited",
        opt=requires(Scope.HR_READ),
        responses=problems(400, 401, 403),
    )
    async def unmatched(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        limit: Limit = 500,
    ) -> list[UnmatchedLearner]:
        principal = principal_of(request)
        service = RosterService(sessions, principal.district_id, principal.key_id, principal.actor)
        return await service.unmatched(limit)

    @get(
        operation_id="listRoster",
        summary="The roster as HR uploaded it, searched and filtered, in pages (cursor pagination); audited",
        opt={**requires(Scope.HR_READ), SCHOOL_SCOPED: True},
        responses=problems(400, 401, 403),
    )
    async def list_roster(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        token_key: NamedDependency[TokenKey],
        q: Annotated[
            str,
            QueryParameter(
                description="Part of a name, email or employee id, in either case.", max_length=200
            ),
        ] = "",
        school: Annotated[str, QueryParameter(description="School code.", max_length=200)] = "",
        role: Annotated[str, QueryParameter(description="Job role code.", max_length=200)] = "",
        status: Annotated[EmploymentStatus | None, QueryParameter(description="Employment status.")] = None,
        cursor: Annotated[
            str | None, QueryParameter(description="`next_cursor` of the previous page.")
        ] = None,
        limit: Limit = 100,
    ) -> RosterPage:
        principal = principal_of(request)
        query = RosterQuery(
            q=q.strip(), school=principal.school_filter(school), role=role, status=status or ""
        )
        service = RosterService(sessions, principal.district_id, principal.key_id, principal.actor)
        return await service.page(query, cursor, limit, await token_key.get())

    @put(
        "/links/{learner_id:uuid}",
        operation_id="linkLearner",
        summary="Link a learner to a roster employee by hand (audited); their completions then "
        "count for the employee",
        opt=requires(Scope.ADMIN),
        responses=problems(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def link(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        learner_id: FromPath[uuid.UUID],
        data: JSONBody[RosterLinkRequest],
    ) -> RosterLink:
        """For a learner whose employee id and email match no one (see `/roster/unmatched`); a
        link wins over both. An employee has at most one learner linked by hand."""
        principal = principal_of(request)
        service = RosterService(sessions, principal.district_id, principal.key_id, principal.actor)
        return await service.link(learner_id, data.employee_id)

    @delete(
        "/links/{learner_id:uuid}",
        operation_id="unlinkLearner",
        summary="Remove a learner's link by hand (audited); matching by employee id or email applies again",
        opt=requires(Scope.ADMIN),
        responses=problems(401, 403, 404),
    )
    async def unlink(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        learner_id: FromPath[uuid.UUID],
    ) -> None:
        principal = principal_of(request)
        await RosterService(sessions, principal.district_id, principal.key_id, principal.actor).unlink(
            learner_id
        )


def view(row: OneRosterSource) -> OneRosterSourceView:
    return msgspec.convert(row, OneRosterSourceView, from_attributes=True)
