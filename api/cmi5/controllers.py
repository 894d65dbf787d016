"""cmi5 routes: the district's package keys and packages (`admin`), and the public exchange of
a cmi5 launch's actor for a learner token (the player calls it)."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from api.cmi5.services import PackageKeys, exchange
from api.content.catalog import Catalog
from api.db import Sessions
from api.errors import problems
from api.identity.auth import Scope, principal_of, requires
from api.openapi import DownloadSpec
from api.settings import Settings
from schemas.cmi5 import Cmi5TokenRequest, PackageKeyCreate, PackageKeyView
from schemas.progress import LearnerToken

ZIP = "application/zip"
PACKAGE = DownloadSpec(
    media_type=ZIP,
    label="cmi5 package",
    description="A zip holding `cmi5.xml` (cmi5 CourseStructure): one course, one AU per published "
    "module, titled in every language the module has, `moveOn` and `masteryScore` from its "
    "completion rule, each AU's URL the player's cmi5 launch with this key's signed token.",
)


def base_url(settings: Settings, request: Request[Any, Any, Any]) -> str:
    """The service's public URL: FRONTOFFICE_BASE_URL, else the one this request came to."""
    return (settings.base_url or str(request.base_url)).rstrip("/")


class Cmi5Controller(Controller):
    path = "/api/v1/cmi5"
    tags = ["cmi5"]

    @post(
        "/package-keys",
        operation_id="createCmi5PackageKey",
        summary="A new package key (one per LMS): its package launches the player until revoked",
        opt=requires(Scope.ADMIN),
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        data: JSONBody[PackageKeyCreate],
    ) -> PackageKeyView:
        return await PackageKeys(sessions, principal_of(request).district_id).create(data.name)

    @get(
        "/package-keys",
        operation_id="listCmi5PackageKeys",
        summary="The district's package keys, revoked ones too",
        opt=requires(Scope.ADMIN),
        responses=problems(401, 403),
    )
    async def all(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> list[PackageKeyView]:
        return await PackageKeys(sessions, principal_of(request).district_id).all()

    @delete(
        "/package-keys/{key_id:uuid}",
        operation_id="revokeCmi5PackageKey",
        summary="Revoke a package key: launches of its packages are refused from now on",
        opt=requires(Scope.ADMIN),
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404),
    )
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        key_id: FromPath[uuid.UUID],
    ) -> None:
        await PackageKeys(sessions, principal_of(request).district_id).revoke(key_id)

    @get(
        "/package-keys/{key_id:uuid}/package",
        operation_id="getCmi5Package",
        summary="The cmi5 course package (zip) of a live package key, to import into the LMS",
        opt=requires(Scope.ADMIN) | {"downloads": (PACKAGE,)},
        media_type=ZIP,
        responses=problems(401, 403, 404),
    )
    async def package(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        catalog: NamedDependency[Catalog],
        settings: NamedDependency[Settings],
        signing_key: NamedDependency[str],
        key_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        keys = PackageKeys(sessions, principal_of(request).district_id)
        body = await keys.package(key_id, catalog, signing_key, base_url(settings, request))
        disposition = 'attachment; filename="frontoffice-cmi5.zip"'
        return Response(body, media_type=ZIP, headers={"Content-Disposition": disposition})


class Cmi5LaunchController(Controller):
    """Public, as an LTI launch is: the package key in the AU's URL is the credential."""

    path = "/cmi5"
    tags = ["cmi5"]

    @post(
        "/learner-tokens",
        operation_id="createCmi5LearnerToken",
        summary="Public: the player's exchange of a cmi5 launch's actor and package key for a learner token",
        opt={"exclude_from_auth": True},
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 409, 413, 415, 422, 429),
    )
    async def token(
        self,
        sessions: NamedDependency[Sessions],
        signing_key: NamedDependency[str],
        data: JSONBody[Cmi5TokenRequest],
    ) -> LearnerToken:
        """The learner is the actor's LMS account (`homePage` and `name`) in the key's district."""
        return await exchange(sessions, signing_key, data)
