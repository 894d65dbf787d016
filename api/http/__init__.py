"""The ASGI layers around the whole app (routing included), one job each; `wrap` composes them."""

from litestar.types import ASGIApp

from api.http.access_log import log_request
from api.http.allow import FixAllow
from api.http.observed import Observed, Recorder
from api.http.request_id import RequestId
from api.http.response_cache import ResponseCache, ServeCached


def wrap(app: ASGIApp, count: Recorder, cache: ResponseCache) -> ASGIApp:
    """`app` inside every layer, outermost first: the `Allow` fix, the request id, one timing for
    the access log and `count` (the metrics), and answers served from the response cache (which still get
    an id, a log line and a count)."""
    return FixAllow(RequestId(Observed(ServeCached(app, cache), [log_request, count])))
