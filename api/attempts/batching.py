"""Group commit: the requests that arrive while batches are in the database wait, and go
together as the next batch, in one statement.

No timer decides when a batch goes: a lone request goes at once, and a batch grows only as long
as the ones before it take. Each request gets its own result or its own exception back.

Results are handed back in as many slices as there may be batches in flight (no slice smaller
than `least`: a smaller batch costs the database more per request than it saves), and each
slice's callers run before the next slice is handed back. Handed back all at once, every caller
would take its next step (deciding, then its next request) before the event loop sent anything:
all of them would move in step, the database idle while this process decides and this process
idle while the database works. In slices, the first slice's next requests go out as a batch
while the rest are still being decided.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

# What a flush gives back for each request, in order: its result, or the exception it failed with.
Flush = Callable[[Sequence[In]], Awaitable[Sequence[Out | BaseException]]]


class Batcher(Generic[In, Out]):
    """Runs `flush` over batches of at most `size` requests, `parallel` batches at a time, and
    hands results back in slices of `least` or more."""

    def __init__(self, flush: Flush[In, Out], size: int, parallel: int, least: int) -> None:
        self.flush = flush
        self.size = size
        self.parallel = parallel
        self.least = least
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
            step = max(self.least, -(-len(batch) // self.parallel))
            for start in range(0, len(batch), step):
                if start:
                    try:
                        await asyncio.sleep(0)  # the slice before this one runs first
                    except BaseException:  # cancelled: every result is known, hand them all back
                        _hand_back(batch[start:], results[start:])
                        raise
                _hand_back(batch[start : start + step], results[start : start + step])


def _hand_back(
    batch: Sequence[tuple[object, asyncio.Future[Out]]], results: Sequence[Out | BaseException]
) -> None:
    for (_, future), result in zip(batch, results, strict=True):
        if future.done():  # its caller was cancelled
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
