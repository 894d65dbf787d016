"""Floor apps: bare Litestar handlers returning the same bytes as the subject, nothing else."""

from litestar import Litestar, Response, get

HEALTHZ = b'{"status":"ok"}'


def healthz_floor() -> Litestar:
    @get("/healthz", sync_to_thread=False)
    def healthz() -> Response[bytes]:
        return Response(HEALTHZ, media_type="application/json")

    return Litestar([healthz])
