"""The scenario step route: a learner sends the path so far and gets the next node, or the
ending, with the feedback of the last choice. The answer itself is saved and submitted with
the attempt like any other."""

import uuid
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.auth import Scope, principal_of, requires
from api.content.catalog import Catalog
from api.content.controllers import Lang, TextFormat
from api.db import Sessions
from api.errors import problems
from api.scenarios.services import ScenarioService
from schemas.scenarios import ScenarioStep, ScenarioWalk


class ScenarioController(Controller):
    path = "/api/v1/me/attempts/{attempt_id:uuid}/scenarios"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)

    @post(
        "/{item_id:str}/steps",
        operation_id="stepScenario",
        summary="Walk a scenario: the node (or ending) a path of choices reaches, and the last "
        "choice's feedback",
        status_code=HTTP_200_OK,
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def step(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        catalog: NamedDependency[Catalog],
        attempt_id: FromPath[uuid.UUID],
        item_id: FromPath[str],
        data: JSONBody[ScenarioWalk],
        lang: Lang = None,
        format: TextFormat = "markdown",
    ) -> Response[ScenarioStep]:
        principal = principal_of(request)
        assert principal.learner_id is not None  # the learner scope says so
        service = ScenarioService(sessions, catalog, principal.district_id, principal.learner_id)
        step, locale = await service.step(
            attempt_id, item_id, data.path, lang, request.headers.get("accept-language"), format
        )
        return Response(step, headers={"Content-Language": locale, "Vary": "Accept-Language, Authorization"})
