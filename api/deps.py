"""The services handlers take by name (`NamedDependency[T]`), each provided from the runtime.

`api/core.py` registers `DEPENDENCIES` once for the whole app; a handler names the service it
uses (`sessions: NamedDependency[Sessions]`) instead of picking it out of the app's state.
"""

from typing import Any

from litestar.datastructures import State
from litestar.di import Provide

from api.content.catalog import Catalog
from api.crypto import SecretBox
from api.db import Sessions
from api.http.response_cache import ResponseCache
from api.identity.auth import KeyCache
from api.identity.tokens import TokenKey
from api.metrics import Metrics
from api.plugin import Context, Plugin
from api.runtime import Runtime
from api.settings import Settings


def provide_runtime(state: State) -> Runtime:
    # The app's lifespan put the runtime there. Each provider below reads it itself rather than
    # depending on this one: a chain of dependencies costs a cached content response time.
    runtime: Runtime = state.runtime
    return runtime


def provide_settings(state: State) -> Settings:
    return provide_runtime(state).settings


def provide_sessions(state: State) -> Sessions:
    return provide_runtime(state).sessions


def provide_catalog(state: State) -> Catalog:
    return provide_runtime(state).catalog


def provide_token_key(state: State) -> TokenKey:
    return provide_runtime(state).token_key


async def provide_signing_key(state: State) -> str:
    """The token key's value, for code that takes a plain key (plugins): looked up once."""
    return await provide_runtime(state).token_key.get()


def provide_key_cache(state: State) -> KeyCache:
    return provide_runtime(state).key_cache


def provide_secret_box(state: State) -> SecretBox:
    return provide_runtime(state).box()


def provide_plugin_context(state: State) -> Context:
    return provide_runtime(state).context()


def provide_plugins(state: State) -> dict[str, Plugin]:
    return provide_runtime(state).plugins


def provide_metrics(state: State) -> Metrics:
    metrics: Metrics = state.metrics
    return metrics


def provide_response_cache(state: State) -> ResponseCache:
    cache: ResponseCache = state.response_cache
    return cache


def _provide(fn: Any) -> Provide:
    return Provide(fn, sync_to_thread=False)


DEPENDENCIES: dict[str, Provide] = {
    "runtime": _provide(provide_runtime),
    "settings": _provide(provide_settings),
    "sessions": _provide(provide_sessions),
    "catalog": _provide(provide_catalog),
    "token_key": _provide(provide_token_key),
    "signing_key": Provide(provide_signing_key),
    "key_cache": _provide(provide_key_cache),
    "secret_box": _provide(provide_secret_box),
    "plugin_context": _provide(provide_plugin_context),
    "plugins": _provide(provide_plugins),
    "metrics": _provide(provide_metrics),
    "response_cache": _provide(provide_response_cache),
}
