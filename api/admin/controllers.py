"""Admin routes: the caller's district, its API keys and its audit log, behind the `admin` scope."""

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.admin.audit import audit_log
from api.admin.services import DistrictService, KeyService
from api.db import Sessions
from api.errors import problems
from api.http.params import Limit
from api.http.response_cache import ResponseCache
from api.identity.auth import KeyCache, Scope, principal_of, requires
from schemas.admin import ApiKeyCreate, ApiKeyCreated, ApiKeyView, DistrictSettings, DistrictView
from schemas.hr import AuditView


def provide_keys(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> KeyService:
    return KeyService(sessions, principal_of(request).district_id)


def provide_districts(sessions: NamedDependency[Sessions]) -> DistrictService:
    return DistrictService(sessions)


class AdminController(Controller):
    path = "/api/v1"
    tags = ["admin"]
    opt = requires(Scope.ADMIN)
    dependencies = {
        "keys": Provide(provide_keys, sync_to_thread=False),
        "districts": Provide(provide_districts, sync_to_thread=False),
    }

    @get(
        "/district", operation_id="getDistrict", summary="The caller's district", responses=problems(401, 403)
    )
    async def get_district(
        self, request: Request[Any, Any, Any], districts: NamedDependency[DistrictService]
    ) -> DistrictView:
        return await districts.get(principal_of(request).district_id)

    @patch(
        "/district",
        operation_id="updateDistrict",
        summary="Change the district's settings: time zone, certificate signer and logo",
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def update_district(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DistrictSettings],
        districts: NamedDependency[DistrictService],
        response_cache: NamedDependency[ResponseCache],
    ) -> DistrictView:
        updated = await districts.update(principal_of(request).district_id, data)
        response_cache.clear()  # certificates and exports read these settings
        return updated

    @get(
        "/keys",
        operation_id="listApiKeys",
        summary="List the district's API keys (never their secrets)",
        responses=problems(401, 403),
    )
    async def list_keys(self, keys: NamedDependency[KeyService]) -> list[ApiKeyView]:
        return await keys.list()

    @post(
        "/keys",
        operation_id="createApiKey",
        summary="Create an API key with scopes the caller's key holds; its secret is shown once",
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 413, 415),
    )
    async def create_key(
        self, request: Request[Any, Any, Any], data: JSONBody[ApiKeyCreate], keys: NamedDependency[KeyService]
    ) -> ApiKeyCreated:
        return await keys.create(data.name, list(data.scopes), granted_by=principal_of(request).scopes)

    @get(
        "/keys/{key_id:uuid}",
        operation_id="getApiKey",
        summary="One API key",
        responses=problems(401, 403, 404),
    )
    async def get_key(self, key_id: FromPath[uuid.UUID], keys: NamedDependency[KeyService]) -> ApiKeyView:
        return await keys.get(key_id)

    @delete(
        "/keys/{key_id:uuid}",
        operation_id="revokeApiKey",
        summary="Revoke an API key (not the district's last admin key)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def revoke_key(
        self,
        key_id: FromPath[uuid.UUID],
        keys: NamedDependency[KeyService],
        key_cache: NamedDependency[KeyCache],
        response_cache: NamedDependency[ResponseCache],
    ) -> ApiKeyView:
        revoked = await keys.revoke(key_id, keep_last_admin=True)
        # The revoked key stops working here at once (and no cached answer outlives it).
        key_cache.clear()
        response_cache.clear()
        return revoked


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["admin"]
    opt = requires(Scope.ADMIN)

    @get(
        operation_id="listAuditEntries",
        summary="Every HR pull and export: key, filters, row count, time (newest first)",
        responses=problems(400, 401, 403),
    )
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        action: Annotated[
            str, QueryParameter(description="Only this action, e.g. export.csv.", max_length=32)
        ] = "",
        limit: Limit = 100,
    ) -> list[AuditView]:
        return await audit_log(sessions, principal_of(request).district_id, limit, action)
