"""The app's long-lived objects kept out of the garbage collector's way.

A running app holds a few hundred thousand objects built once at start (routes, the OpenAPI
document, the course, the ORM's metadata) that never become garbage. CPython's collector still
walks all of them in every full collection, and under steady traffic (objects living across a
few collections, then freed) it runs a full collection every few seconds: a pause of a large
fraction of a second, and a share of every request's CPU. `gc.freeze()` sets the objects alive
once the app has started aside, so collections walk only what requests made since.
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


@asynccontextmanager
async def settled(app: Any) -> AsyncIterator[None]:
    """The app's last lifespan: while the app runs, the objects alive once it started are neither
    collected nor walked by collections; when it stops they are handed back to the collector, so
    an app that stops (as one in a test does) leaves no garbage behind for good."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
