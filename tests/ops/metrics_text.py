"""Reading a `/metrics` scrape back, as Prometheus would: one value by name and labels."""

from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """The samples of one scrape, by sample name (`_total` included) and labels."""

    def __init__(self, text: str) -> None:
        self.samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        self.families: set[str] = set()
        for family in text_string_to_metric_families(text):
            self.families.add(family.name)
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; a missing sample fails the test with the names there are."""
        key = (name, frozenset(labels.items()))
        assert key in self.samples, f"no sample {name}{labels}; names: {sorted({n for n, _ in self.samples})}"
        return self.samples[key]

    def get(self, name: str, default: float = 0.0, **labels: str) -> float:
        """The sample's value, or `default` when the scrape has none (a counter never touched)."""
        return self.samples.get((name, frozenset(labels.items())), default)
