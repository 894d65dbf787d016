"""Loading plugins from the `frontoffice.plugins` entry-point group (built-ins included),
optionally restricted by FRONTOFFICE_PLUGINS."""

from importlib.metadata import entry_points

from plugins.contract import Plugin

GROUP = "frontoffice.plugins"


class PluginError(Exception):
    """A plugin could not be loaded, or is not a plugin."""


def load_plugins(allowed: list[str] | None = None) -> dict[str, Plugin]:
    """Every installed plugin (or only those named in `allowed`), by name."""
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    if allowed:
        unknown = sorted(set(allowed) - set(found))
        if unknown:
            raise PluginError(f"FRONTOFFICE_PLUGINS names {', '.join(unknown)}, which is not installed.")
    plugins: dict[str, Plugin] = {}
    for name, ep in sorted(found.items()):
        if allowed and name not in allowed:
            continue
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Plugin)):
            raise PluginError(f"Entry point {name!r} ({ep.value}) is not a frontoffice Plugin subclass.")
        plugin = cls()
        if plugin.name != name:
            raise PluginError(f"Entry point {name!r} loads a plugin named {plugin.name!r}; they must match.")
        plugins[name] = plugin
    return plugins
