"""Per-district plugin settings: enabling a plugin and its configuration, validated by the
plugin's config Struct. Secret fields (typed `SecretStr`) are stored sealed, or as an
`env:NAME` reference read at use; the API shows them masked, never in clear."""

import uuid
from typing import Any

import msgspec
from sqlalchemy import select

from api.crypto import SecretBox
from api.db import Sessions
from api.errors import InvalidInput, NotFound
from api.models import PluginSetting, utcnow
from api.plugin import SEALED, Plugin, secret_fields
from schemas.plugins import PluginView
from schemas.problem import FieldError

MASK = "********"


def _masked(plugin: Plugin, stored: dict[str, Any]) -> dict[str, Any]:
    secrets = secret_fields(plugin.config_type)
    return {
        key: (value if isinstance(value, str) and value.startswith("env:") else MASK)
        if key in secrets
        else value
        for key, value in stored.items()
    }


def view(plugin: Plugin, setting: PluginSetting | None) -> PluginView:
    return PluginView(
        name=plugin.name,
        events=sorted(plugin.events),
        enabled=bool(setting and setting.enabled),
        config=_masked(plugin, setting.config) if setting else None,
        config_schema=msgspec.json.schema(plugin.config_type),
    )


class PluginSettings:
    """A district's settings of every loaded plugin."""

    def __init__(
        self, sessions: Sessions, box: SecretBox, plugins: dict[str, Plugin], district_id: uuid.UUID
    ) -> None:
        self.sessions = sessions
        self.box = box
        self.plugins = plugins
        self.district_id = district_id

    def _plugin(self, name: str) -> Plugin:
        if name not in self.plugins:
            raise NotFound(f"There is no plugin {name!r}; loaded: {', '.join(sorted(self.plugins))}.")
        return self.plugins[name]

    async def all(self) -> list[PluginView]:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(PluginSetting).where(PluginSetting.district_id == self.district_id)
                )
            ).scalars()
            by_name = {r.plugin: r for r in rows}
        return [view(p, by_name.get(name)) for name, p in sorted(self.plugins.items())]

    async def put(self, name: str, enabled: bool, config: dict[str, Any]) -> PluginView:
        plugin = self._plugin(name)
        try:
            msgspec.convert(config, plugin.config_type)
        except msgspec.ValidationError as exc:
            path = str(exc).rsplit(" - at `", 1)[-1].rstrip("`") if " - at `" in str(exc) else "$"
            field = "$.config" + path[1:]
            raise InvalidInput(
                f"The {name} configuration is not valid: {exc}",
                errors=[FieldError(field=field, message=str(exc).split(" - at ")[0])],
            ) from None
        stored = dict(config)
        for key in secret_fields(plugin.config_type) & set(stored):
            value = stored[key]
            if isinstance(value, str) and not value.startswith("env:"):
                stored[key] = SEALED + self.box.seal(value)
        async with self.sessions.begin() as session:
            row = await session.get(PluginSetting, (self.district_id, name))
            if row is None:
                row = PluginSetting(district_id=self.district_id, plugin=name, config=stored, enabled=enabled)
                session.add(row)
            else:
                row.enabled, row.config, row.updated_at = enabled, stored, utcnow()
            await session.flush()
            return view(plugin, row)
