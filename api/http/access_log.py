"""The access log: one JSON line per HTTP request (`frontoffice.access`), errors included."""

import logging

from litestar.types import Scope

from api.http.request_id import request_id

access_log = logging.getLogger("frontoffice.access")


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """A recorder (api/http/observed.py): the request's id, method, path, status and duration."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    access_log.info(
        "request",
        extra={
            "request_id": request_id(scope),
            "method": scope.get("method", ""),
            "path": scope.get("path"),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        },
    )
