"""The join route's own limit, on top of the public routes' per-address one: each client
address may try `FRONTOFFICE_WORKSHOP_JOIN_RATE_LIMIT` joins in a window, counted before the
code is looked up, so a flood (or a guesser) is refused with nothing read or written. Counted
in the public limit's store (this process, or Redis shared by every process)."""

import logging
import math

import redis.asyncio
from litestar.exceptions import TooManyRequestsException
from litestar.types import Scope

from api.http.rate_limit import PublicRateLimit
from api.settings import Settings, rate_window

log = logging.getLogger("frontoffice.workshops")

KEY_PREFIX = "frontoffice:rate:workshop-join:"


class JoinGuard:
    def __init__(self, settings: Settings, public: PublicRateLimit) -> None:
        self.limit, self.seconds = rate_window(
            settings.workshop_join_rate_limit, "FRONTOFFICE_WORKSHOP_JOIN_RATE_LIMIT"
        )
        self.public = public

    async def check(self, scope: Scope) -> None:
        """Count a join from the request's client; TooManyRequests past the limit. A store that
        does not answer lets it through (logged): the limit must not lock a room out."""
        counter = self.public.counter
        if counter is None:
            return
        try:
            window = await counter.hit(KEY_PREFIX + self.public.who(scope), self.seconds)
        except (redis.RedisError, OSError) as exc:
            log.error("workshop join limit not applied: its store is unavailable (%s)", exc)
            return
        if window.count > self.limit:
            wait = max(1, math.ceil(window.resets_in))
            raise TooManyRequestsException(
                detail=f"Too many tries to join a workshop from this address ({self.limit} per "
                f"{self.seconds} seconds). Check the code on the screen and try again in {wait} "
                "seconds (the Retry-After header says the same).",
                headers={"Retry-After": str(wait)},
            )
