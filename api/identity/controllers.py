"""Identity routes: learner tokens for district back ends, and the learner a token is for."""

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_201_CREATED

from api.db import Sessions
from api.errors import Forbidden, problems
from api.identity.auth import Scope, principal_of, requires
from api.identity.learners import LearnerService
from api.identity.tokens import TokenKey
from schemas.progress import (
    LearnerToken,
    LearnerTokenRequest,
    LearnerView,
)


class LearnerTokenController(Controller):
    path = "/api/v1/learner-tokens"
    tags = ["learners"]

    @post(
        operation_id="createLearnerToken",
        summary="Create or update a learner and get a token for them",
        opt=requires(Scope.PROGRESS_WRITE),
        status_code=HTTP_201_CREATED,
        responses=problems(400, 401, 403, 413, 415, 422),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        sessions: NamedDependency[Sessions],
        token_key: NamedDependency[TokenKey],
        data: JSONBody[LearnerTokenRequest],
    ) -> LearnerToken:
        principal = principal_of(request)
        if data.facilitator and Scope.CONTENT_FACILITATE not in principal.scopes:
            raise Forbidden(
                "Only a key holding `content:facilitate` may create a facilitator token; "
                "ask your administrator for that scope or leave `facilitator` false."
            )
        service = LearnerService(sessions, principal.district_id)
        return await service.token(
            data.learner, data.cohort, data.ttl_minutes, await token_key.get(), data.facilitator
        )


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["progress"]
    opt = requires(Scope.LEARNER)

    @get(operation_id="getMe", summary="The learner the token is for", responses=problems(401, 403, 404))
    async def me(self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> LearnerView:
        principal = principal_of(request)
        assert principal.learner_id is not None
        return await LearnerService(sessions, principal.district_id).get(principal.learner_id)
