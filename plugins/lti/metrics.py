"""The LTI plugin's counter: launches by outcome, registered on the app's metrics registry."""

from prometheus_client import CollectorRegistry, Counter


class Launches:
    """Launches by outcome: `ok` (the learner is sent to the player), `storage` (a page that
    reads the state from the platform's storage and launches again), `refused` (a 4xx problem:
    the `status` says which class of reason) and `error` (a bug: a 500)."""

    def __init__(self) -> None:
        # Made unregistered: the plugin registers it on the registry of the app it runs in.
        self.counter = Counter(
            "frontoffice_lti_launches",
            "LTI launches by outcome (ok, storage, refused, error) and HTTP status",
            ["outcome", "status"],
            registry=None,
        )

    def register(self, registry: CollectorRegistry) -> None:
        registry.register(self.counter)

    def count(self, outcome: str, status: int) -> None:
        self.counter.labels(outcome, str(status)).inc()
