"""Plugin settings routes, behind the `admin` scope."""

from typing import Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody

from api.errors import problems
from api.identity.auth import Scope, principal_of, requires
from api.integrations.services import PluginSettings
from api.plugin import Context, Plugin
from schemas.plugins import PluginSettingsPut, PluginView


def provide_plugin_settings(
    request: Request[Any, Any, Any],
    plugin_context: NamedDependency[Context],
    plugins: NamedDependency[dict[str, Plugin]],
) -> PluginSettings:
    return PluginSettings(
        plugin_context.sessions, plugin_context.secret_box, plugins, principal_of(request).district_id
    )


class PluginController(Controller):
    path = "/api/v1/plugins"
    tags = ["plugins"]
    opt = requires(Scope.ADMIN)
    dependencies = {"plugin_settings": Provide(provide_plugin_settings, sync_to_thread=False)}

    @get(
        operation_id="listPlugins",
        summary="Loaded plugins and the district's settings of each",
        responses=problems(401, 403),
    )
    async def all(self, plugin_settings: NamedDependency[PluginSettings]) -> list[PluginView]:
        return await plugin_settings.all()

    @put(
        "/{name:str}",
        operation_id="putPluginSettings",
        summary="Enable and configure a plugin for the district (secrets are never shown again)",
        responses=problems(400, 401, 403, 404, 413, 415, 422),
    )
    async def put(
        self,
        plugin_settings: NamedDependency[PluginSettings],
        name: FromPath[str],
        data: JSONBody[PluginSettingsPut],
    ) -> PluginView:
        return await plugin_settings.put(name, data.enabled, data.config)
