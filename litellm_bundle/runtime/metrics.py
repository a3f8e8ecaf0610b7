"""The proxy's /metrics/ answer read with prometheus_client's parser (Prometheus' text format), for the
tests and the benchmark that look at one counter or histogram directly instead of through Prometheus."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """(labels, value) of every sample named `name` (the full sample name: `x_total`, `x_sum`, `x_bucket`)."""
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def total(text: str, name: str, **labels: str) -> float:
    """The sum of the samples named `name` that carry every label given (0.0 when there is none)."""
    return sum(
        (value for found, value in samples(text, name) if all(found.get(k) == v for k, v in labels.items())), 0.0
    )
