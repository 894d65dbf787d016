"""The process's Prometheus metrics: one registry, the counters every part records into, and the
exposition `/metrics` (and a worker's metrics port) serves.

Counters count what this process did (requests, delivery attempts, completions, and what
plugins register: LTI launches). Figures that are the database's (the outbox backlog, disabled
webhook endpoints) are not counted here: `/metrics` reads them at scrape time and hands them to
`expose`, so every process reports the same, true figure.

Several API processes (`serve --workers N`) share one port, and a scrape reaches any one of
them: each process's own counters would go up and down between scrapes. So `serve` gives them
prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, read by prometheus-client
when it is imported): each process writes its counters to a file there, and whichever is
scraped sums every process's. Process metrics (memory, CPU, open files) are one process's own,
so they are exposed only when one process serves.
"""

import os
from collections.abc import Callable, Iterator, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.http.metrics import RequestMetrics

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's variable: where each process of `serve --workers N` writes its counters."""

DELIVERY_OUTCOMES = ("succeeded", "failed", "retried", "skipped")


class _Readings(Collector):
    """The database's figures of one scrape, set just before the registry is collected."""

    def __init__(self) -> None:
        self.families: Sequence[Metric] = ()

    def collect(self) -> Iterator[Metric]:
        yield from self.families


class Metrics:
    """One process's metrics. `registry` is where counters are registered (plugins' too);
    `expose` renders what a scrape sees."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess = multiprocess_dir is not None
        if multiprocess_dir is not None:
            # The counters' values live in the directory's files (every process's); the registry
            # they are registered on is not exposed, or this process's would count twice.
            self._exposed = CollectorRegistry()
            MultiProcessCollector(self._exposed, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        else:
            self._exposed = self.registry
            # Registered on the app's own registry (the default registry has them; ours does not).
            ProcessCollector(registry=self._exposed)
            PlatformCollector(registry=self._exposed)
            GCCollector(registry=self._exposed)
        self._readings = _Readings()
        self._exposed.register(self._readings)
        self.requests = RequestMetrics(self.registry)
        self.deliveries = Counter(
            "frontoffice_delivery_attempts",
            "Delivery attempts recorded by this process's dispatcher, by plugin and outcome "
            "(succeeded; retried: a retry is scheduled; failed: given up; skipped: a disabled "
            "subscriber's, never sent)",
            ["plugin", "outcome"],
            registry=self.registry,
        )
        self.completions = Counter(
            "frontoffice_completions_recorded",
            "Completions recorded (a submit that met the module's completion rule), by module",
            ["module"],
            registry=self.registry,
        )

    @classmethod
    def for_process(cls) -> "Metrics":
        """Metrics in multiprocess mode when prometheus-client's variable is set (by `serve
        --workers N`, or by whoever runs several processes behind one port)."""
        return cls(os.environ.get(MULTIPROCESS_DIR) or None)

    def delivered(self, plugin: str, outcome: str, count: int = 1) -> None:
        """Count `count` delivery attempts (or skips) of a plugin by outcome."""
        self.deliveries.labels(plugin, outcome).inc(count)

    def serve(self, port: int, addr: str) -> Callable[[], None]:
        """Serve the counters and process metrics over HTTP from a thread (a worker's, which has
        no HTTP server of its own; the database's figures are the API's `/metrics`'s). Returns
        the function that stops it."""
        server, thread = start_http_server(port, addr=addr, registry=self._exposed)

        def stop() -> None:
            server.shutdown()
            server.server_close()
            thread.join()

        return stop

    def expose(self, readings: Sequence[Metric] = ()) -> bytes:
        """The text a scrape gets: the counters, process metrics, and `readings` (the database's
        figures, read for this scrape)."""
        # No await between setting and collecting: concurrent scrapes cannot mix their readings.
        self._readings.families = readings
        try:
            return generate_latest(self._exposed)
        finally:
            self._readings.families = ()
