"""The public feedback link's own limit, on top of the public routes' per-address one: each
school's link takes `FRONTOFFICE_FEEDBACK_RATE_LIMIT_SCHOOL` answers in a window from everyone
together, counted in the same store as the public limit (this process, or Redis), so a flood
spread over many addresses still can't hammer one school. It also names the client (its
address, or the nearest untrusted one behind a trusted proxy, as the public limit does)."""

import logging
import math

import redis.asyncio
from litestar.exceptions import TooManyRequestsException
from litestar.types import Scope

from api.http.rate_limit import PublicRateLimit
from api.settings import Settings, rate_window

log = logging.getLogger("frontoffice.feedback")

KEY_PREFIX = "frontoffice:rate:feedback-school:"


class FeedbackGuard:
    """The per-school count, kept in the public limit's store (opened with the app by
    `PublicRateLimit.lifespan`), and who the client is, as the public limit names it."""

    def __init__(self, settings: Settings, public: PublicRateLimit) -> None:
        self.limit, self.seconds = rate_window(
            settings.feedback_rate_limit_school, "FRONTOFFICE_FEEDBACK_RATE_LIMIT_SCHOOL"
        )
        self.public = public

    def client(self, scope: Scope) -> str:
        """The client's address (for IPv6, its /64), as the public rate limit counts it."""
        return self.public.who(scope)

    async def check_school(self, school_id: str) -> None:
        """Count an answer to the school's link; TooManyRequests past the limit. A store that
        does not answer lets the answer through (logged): the limit must not take the link down."""
        counter = self.public.counter
        if counter is None:
            return
        try:
            window = await counter.hit(KEY_PREFIX + school_id, self.seconds)
        except (redis.RedisError, OSError) as exc:
            log.error("feedback school limit not applied: its store is unavailable (%s)", exc)
            return
        if window.count > self.limit:
            wait = max(1, math.ceil(window.resets_in))
            raise TooManyRequestsException(
                detail=f"This school's feedback link has taken as many answers as it takes for now "
                f"({self.limit} per {self.seconds} seconds from everyone together). Try again in "
                f"{wait} seconds (the Retry-After header says the same).",
                headers={"Retry-After": str(wait)},
            )
