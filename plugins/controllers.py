"""Plugin settings routes, behind the `admin` scope."""

from typing import Any

from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from plugins.contract import Scope, principal_of, problems, requires
from plugins.settings import PluginSettings
from schemas.plugins import PluginSettingsPut, PluginView


def _settings(request: Request[Any, Any, Any], state: State) -> PluginSettings:
    return PluginSettings(state.sessions, state.secret_box, state.plugins, principal_of(request).district_id)


class PluginController(Controller):
    path = "/api/v1/plugins"
    tags = ["plugins"]
    opt = requires(Scope.ADMIN)

    @get(
        operation_id="listPlugins",
        summary="Loaded plugins and the district's settings of each",
        responses=problems(401, 403),
    )
    async def all(self, request: Request[Any, Any, Any], state: State) -> list[PluginView]:
        return await _settings(request, state).all()

    @put(
        "/{name:str}",
        operation_id="putPluginSettings",
        summary="Enable and configure a plugin for the district (secrets are never shown again)",
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def put(
        self,
        request: Request[Any, Any, Any],
        state: State,
        name: FromPath[str],
        data: JSONBody[PluginSettingsPut],
    ) -> PluginView:
        return await _settings(request, state).put(name, data.enabled, data.config)
