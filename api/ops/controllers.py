"""Public operational routes: `/healthz`, `/readyz`, `/metrics`, `/problems/{slug}`."""

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST

from api.errors import PROBLEM_DESCRIPTIONS, NotFound, problems
from api.metrics import Metrics
from api.migrate import current_revisions, head_revisions, missing_heads
from api.ops.figures import database_figures
from api.runtime import Runtime
from schemas.base import Wire


class Health(Wire):
    """Liveness: the process answers."""

    status: str


class Readiness(Wire, kw_only=True):
    """Readiness: the database answers and is migrated to the code's heads (one per branch of
    migrations: the app's, and each loaded plugin's that has tables)."""

    status: str
    database: str
    migrations: list[str] | None
    """The revisions the database records (one per branch it has reached the end of)."""
    pending_migrations: list[str]
    """Heads this code ships that the database has not reached (`frontoffice migrate`)."""


class ProblemType(Wire):
    """What a problem type means."""

    type: str
    title: str


# Probes and scrapers call these from one address, often; refusing them would take a healthy
# process out of service. (`/problems/{slug}` is public and counted like any public route.)
PROBES = {"rate_limit": False}


class OpsController(Controller):
    tags = ["operations"]
    opt = {"exclude_from_auth": True}

    @get("/healthz", operation_id="healthz", summary="Liveness: the process is up", opt=PROBES)
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get(
        "/readyz",
        operation_id="readyz",
        summary="Readiness: database reachable and migrated",
        responses=problems(503),
        opt=PROBES,
    )
    async def readyz(self, runtime: NamedDependency[Runtime]) -> Response[Readiness]:
        plugins = runtime.plugins.values()
        try:
            current = await current_revisions(runtime.engine)
        except Exception as exc:  # any driver error means "not ready", never a 500
            body = Readiness(
                status="unavailable",
                database=type(exc).__name__,
                migrations=None,
                pending_migrations=sorted(head_revisions(plugins)),
            )
            return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
        pending = missing_heads(plugins, current)
        body = Readiness(
            status="migration-pending" if pending else "ok",
            database="ok",
            migrations=sorted(current),
            pending_migrations=sorted(pending),
        )
        ready = not pending
        return Response(body, status_code=HTTP_200_OK if ready else HTTP_503_SERVICE_UNAVAILABLE)

    @get(
        "/metrics",
        operation_id="metrics",
        summary="Prometheus metrics",
        media_type=CONTENT_TYPE_LATEST,
        include_in_schema=True,
        opt=PROBES,
    )
    async def metrics(self, runtime: NamedDependency[Runtime], metrics: NamedDependency[Metrics]) -> bytes:
        return metrics.expose(await database_figures(runtime.sessions, runtime.plugins.values()))

    @get(
        "/problems/{slug:str}",
        operation_id="getProblemType",
        summary="What a problem type means",
        responses=problems(404),
    )
    async def problem_type(self, slug: FromPath[str]) -> ProblemType:
        if slug not in PROBLEM_DESCRIPTIONS:
            raise NotFound(f"There is no problem type {slug!r}.")
        return ProblemType(type=f"/problems/{slug}", title=PROBLEM_DESCRIPTIONS[slug])
