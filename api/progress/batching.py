"""Group commit: the requests that arrive while batches are in the database wait, and go
together as the next batch, in one statement.

No timer decides when a batch goes: a lone request goes at once, and a batch grows only as long
as the ones before it take. Each request gets its own result or its own exception back.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

# What a flush gives back for each request, in order: its result, or the exception it failed with.
Flush = Callable[[Sequence[In]], Awaitable[Sequence[Out | BaseException]]]


class Batcher(Generic[In, Out]):
    """Runs `flush` over batches of at most `size` requests, `parallel` batches at a time."""

    def __init__(self, flush: Flush[In, Out], size: int, parallel: int) -> None:
        self.flush = flush
        self.size = size
        self.parallel = parallel
        self.pending: list[tuple[In, asyncio.Future[Out]]] = []
        self.draining: set[asyncio.Task[None]] = set()

    async def run(self, request: In) -> Out:
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        self.pending.append((request, future))
        if len(self.draining) < self.parallel:
            self.draining.add(asyncio.create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        try:
            await self._drain_pending()
        finally:
            # Leave the set the moment the loop ends, not in a done-callback: that runs a turn of
            # the event loop later, and a request arriving in between would find every drain
            # still counted, start none, and wait forever.
            task = asyncio.current_task()
            assert task is not None
            self.draining.discard(task)

    async def _drain_pending(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[: self.size], self.pending[self.size :]
            try:
                results = await self.flush([request for request, _ in batch])
            except Exception as exc:  # the whole batch failed: each request with it
                results = [exc] * len(batch)
            except BaseException as exc:  # cancelled: this batch's requests fail with it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
