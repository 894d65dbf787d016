"""The app factory: `create_app(settings)` builds the whole service; nothing happens at import."""

from litestar import Litestar

from api.core import Core
from api.http import wrap
from api.openapi import install_document
from api.settings import Settings


def create_app(settings: Settings) -> Litestar:
    """The Front Office ASGI app for `settings`."""
    core = Core(settings)
    # The body limit goes to the constructor: Litestar 2 ignores it when a plugin sets it.
    app = Litestar(plugins=[core], request_max_body_size=settings.max_body_bytes)
    install_document(app)
    # Outermost, around routing too, so that even unknown routes get an id, a log line and a
    # count (Litestar middleware only runs for matched routes).
    app.asgi_handler = wrap(app.asgi_handler, core.metrics.requests.record, core.response_cache)
    return app


def app_from_env() -> Litestar:
    """For ASGI servers: `uvicorn --factory api.app:app_from_env`."""
    return create_app(Settings.from_env())
