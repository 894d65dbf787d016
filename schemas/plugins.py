"""Payloads of plugin settings."""

from typing import Annotated, Any

from msgspec import Meta

from schemas.base import Wire


class PluginView(Wire, kw_only=True):
    """A loaded plugin and the district's settings of it (secrets masked)."""

    name: str
    events: Annotated[list[str], Meta(description="Event types it receives (`*`: all).")]
    enabled: bool
    config: Annotated[
        dict[str, Any] | None, Meta(description="The district's configuration; secrets masked.")
    ]
    config_schema: Annotated[dict[str, Any], Meta(description="JSON Schema of the configuration.")]


class PluginSettingsPut(Wire, kw_only=True):
    """Enable or disable a plugin for the district, with its configuration."""

    enabled: bool = True
    config: Annotated[dict[str, Any], Meta(description="Validated by the plugin's config schema.")] = {}
