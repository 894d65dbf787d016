"""The garbage collector set for a running app: its start-up objects set aside, and young
objects collected less often.

A running app holds a few hundred thousand objects built once at start (routes, the OpenAPI
document, the course, the ORM's metadata) that never become garbage, yet CPython's collector
walks all of them in each full collection, and under steady traffic (objects living across a
few collections, then freed) it runs one every few seconds: a pause of a large fraction of a
second. `gc.freeze()` sets the objects alive once the app has started aside.

Young collections at CPython's default (every 700 more container objects than were freed) ran
many times a second under load, each walking the requests in flight, most of whose objects are
freed by their reference counts moments later anyway. A higher threshold lets most of them go
first (garbage in a cycle waits a little longer: a few thousand objects at most).
"""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

YOUNG_THRESHOLD = 10_000
"""Container objects allocated (net of those freed) before a young collection."""


@asynccontextmanager
async def settled(app: Any) -> AsyncIterator[None]:
    """The app's last lifespan: while the app runs, the objects alive once it started are neither
    collected nor walked by collections, and young collections run at `YOUNG_THRESHOLD`. When it
    stops, the objects are handed back to the collector and the thresholds restored, so an app
    that stops (as one in a test does) leaves no garbage behind for good."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(thresholds[0], YOUNG_THRESHOLD), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
