"""Floor apps: bare Litestar handlers returning the same bytes as the subject, nothing else."""

import os
from pathlib import Path

from litestar import Litestar, Response, get

HEALTHZ = b'{"status":"ok"}'


def healthz_floor() -> Litestar:
    @get("/healthz", sync_to_thread=False)
    def healthz() -> Response[bytes]:
        return Response(HEALTHZ, media_type="application/json")

    return Litestar([healthz])


def body_floor() -> Litestar:
    """Serves the bytes of the file named by BENCH_BODY_FILE at /body (read once at start)."""
    body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

    @get("/body", sync_to_thread=False)
    def serve_body() -> Response[bytes]:
        return Response(body, media_type="application/json")

    @get("/healthz", sync_to_thread=False)
    def healthz() -> Response[bytes]:
        return Response(HEALTHZ, media_type="application/json")

    return Litestar([serve_body, healthz])
