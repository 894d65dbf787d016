"""Values a process remembers for a few seconds (API keys' principals, LTI registrations and
district settings), each loaded by one caller at a time: when a value expires under load, the
requests that arrive while it is being reread await that one read instead of each querying the
database (on SQLite every read is a `BEGIN IMMEDIATE` that queues behind the writes)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Values by key, each remembered for `ttl` seconds; at most `limit` of them (then forgotten
    all at once, which costs a reload, never a wrong answer)."""

    def __init__(self, ttl: float, limit: int = 10_000) -> None:
        self.ttl = ttl
        self.limit = limit
        self._values: dict[K, tuple[V, float]] = {}
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The value of `key`, loaded with `load` when it is unknown or older than ttl. A failed
        load is not remembered: its error goes to every caller that awaited it."""
        hit = self._values.get(key)
        if hit is not None and time.monotonic() - hit[1] < self.ttl:
            return hit[0]
        loading = self._loading.get(key)
        if loading is None:
            loading = self._loading[key] = asyncio.ensure_future(self._load(key, load))
            # Its error reaches the callers waiting; if all of them were cancelled, nobody must log it.
            loading.add_done_callback(lambda done: done.cancelled() or done.exception())
        # A caller that is cancelled leaves the load running for the others.
        return await asyncio.shield(loading)

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        try:
            value = await load()
        finally:
            del self._loading[key]
        if len(self._values) >= self.limit:
            self._values.clear()
        self._values[key] = (value, time.monotonic())
        return value

    def forget(self, key: K) -> None:
        """Forget `key`'s value, so the next get loads it (a load under way is still remembered)."""
        self._values.pop(key, None)

    def clear(self) -> None:
        """Forget every value (loads under way still finish and are remembered)."""
        self._values.clear()
