"""Prometheus request metrics: counts and latency by route template."""

from litestar.types import Scope
from prometheus_client import CollectorRegistry, Counter, Histogram


class RequestMetrics:
    """Request counts and latency by route template, on the process's registry (api/metrics.py)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "frontoffice_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "frontoffice_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        """A recorder (api/http/observed.py): the request counted and timed under its route
        template (known once routing ran; `<unmatched>` for a path no route has)."""
        route = scope.get("path_template") or "<unmatched>"
        method = scope.get("method", "")
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
