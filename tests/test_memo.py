"""Remembered values (api/memo.py): one load for many concurrent callers, failures not kept."""

import asyncio

import pytest

from api.memo import Memo

pytestmark = pytest.mark.anyio


async def test_concurrent_callers_share_one_load_and_a_failure_is_not_remembered() -> None:
    memo: Memo[str, int] = Memo(ttl=60)
    loads = 0
    release = asyncio.Event()

    async def load() -> int:
        nonlocal loads
        loads += 1
        await release.wait()
        return 7

    waiting = [asyncio.ensure_future(memo.get("k", load)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [7] * 5 and loads == 1
    assert await memo.get("k", load) == 7 and loads == 1  # remembered

    async def fail() -> int:
        raise LookupError("no such registration")

    for _ in range(2):  # each caller tries again: an error is never remembered
        with pytest.raises(LookupError):
            await memo.get("other", fail)
    assert await memo.get("other", load) == 7


async def test_values_expire() -> None:
    memo: Memo[str, int] = Memo(ttl=0)
    values = iter([1, 2])

    async def load() -> int:
        return next(values)

    assert await memo.get("k", load) == 1
    assert await memo.get("k", load) == 2
