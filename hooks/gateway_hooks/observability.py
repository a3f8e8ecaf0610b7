"""Structured JSON logs and Prometheus metrics of the gateway hooks.

Metrics register on prometheus_client's default registry, which LiteLLM serves on /metrics/
when its prometheus callback is on. Without prometheus_client they are no-ops.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

LOGGER_NAME = "gateway_hooks"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {"ts": round(record.created, 3), "level": record.levelname, "logger": record.name}
        payload.update(getattr(record, "fields", {}) or {"message": record.getMessage()})
        return json.dumps(payload, default=str, sort_keys=True)


def _logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(os.environ.get("GATEWAY_HOOKS_LOG_LEVEL", "INFO").upper())
    return logger


log = _logger()


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """One JSON log line. Callers pass no prompt text or secret values, only names and decisions."""
    if log.isEnabledFor(level):
        log.log(level, name, extra={"fields": {"event": name, **fields}})


class _NoMetric:
    def labels(self, *args: Any, **kwargs: Any) -> _NoMetric:
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


def _metric(kind: str, name: str, doc: str, labels: list[str], **kwargs: Any) -> Any:
    try:
        import prometheus_client  # noqa: PLC0415  (optional: metrics only where it is installed)
    except ImportError:
        return _NoMetric()
    existing = getattr(prometheus_client.REGISTRY, "_names_to_collectors", {}).get(name)
    if existing is not None:  # module executed twice (LiteLLM loads files by path): reuse
        return existing
    return getattr(prometheus_client, kind)(name, doc, labels, **kwargs)


ROUTE_DECISIONS = _metric(
    "Counter", "gateway_route_decisions", "Routing decisions of the gateway hooks by label and rule.", ["label", "rule"]
)
ROUTE_SKIPPED = _metric(
    "Counter",
    "gateway_route_skipped",
    "Matching routing rules not applied (mode: another model mode; rights: the key may not use the target).",
    ["rule", "reason"],
)
TRANSFORM_SECONDS = _metric(
    "Histogram",
    "gateway_transform_duration_seconds",
    "Time spent in each request transform.",
    ["transform"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)
TRANSFORM_FAILURES = _metric(
    "Counter", "gateway_transform_failures", "Request transforms that raised, by policy.", ["transform", "policy"]
)
TRANSFORM_SLOW = _metric(
    "Counter", "gateway_transform_slow", "Request transforms slower than the configured threshold.", ["transform"]
)
GUARDRAIL_ACTIONS = _metric(
    "Counter",
    "gateway_guardrail_actions",
    "Guardrail actions (redacted, blocked) by guardrail and detector.",
    ["guardrail", "action", "detector"],
)
HOOK_SECONDS = _metric(
    "Histogram",
    "gateway_hook_duration_seconds",
    "Time spent inside the gateway hooks per request, by stage.",
    ["stage"],
    buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)
HOOK_ERRORS = _metric(
    "Counter", "gateway_hook_errors", "Unexpected errors inside the hooks (the request continued).", ["stage"]
)


def monotonic() -> float:
    return time.perf_counter()
