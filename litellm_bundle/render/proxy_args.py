"""A rendered values.yaml's `proxy` section as the chart's Deployment turns it into the proxy's
arguments and environment (templates/deployment.yaml; tests/chart/test_exposure.py holds the two equal):
for native runs of the same values, the boot check and Compose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML


@dataclass
class ProxyOptions:
    """What the chart's Deployment passes to the proxy besides config.yaml, for a native run of the same values."""

    workers: int
    args: list[str]
    env: dict[str, str]


def proxy_options(values: Mapping[str, Any], multiprocess_dir: Path | None = None) -> ProxyOptions:
    """Workers, their health check, worker recycling and the stream limit of a values `proxy` section (the
    chart's defaults under the rendered values: launch.committed_values), as the chart's
    templates/deployment.yaml turns them into arguments and environment; with several workers the
    per-instance metrics directory (the chart's emptyDir) is `multiprocess_dir`."""
    proxy = values["proxy"]
    args: list[str] = []
    if proxy["workers"] > 1:
        args += ["--timeout_worker_healthcheck", str(proxy["workerHealthcheckTimeoutSeconds"])]
    if proxy.get("maxRequestsBeforeRestart"):
        args += ["--max_requests_before_restart", str(proxy["maxRequestsBeforeRestart"])]
        if proxy.get("maxRequestsBeforeRestartJitter"):
            args += ["--max_requests_before_restart_jitter", str(proxy["maxRequestsBeforeRestartJitter"])]
    env: dict[str, str] = {}
    if proxy.get("maxStreamingDurationSeconds"):
        env["LITELLM_MAX_STREAMING_DURATION_SECONDS"] = str(proxy["maxStreamingDurationSeconds"])
    env.update(gc_env(proxy))
    if proxy["workers"] > 1 and multiprocess_dir is not None:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir)
    env.update(surface_env(proxy))
    env.update(redis_env(values.get("redis") or {}))
    return ProxyOptions(int(proxy["workers"]), args, env)


def redis_env(redis: Mapping[str, Any]) -> dict[str, str]:
    """LiteLLM's Redis circuit breaker switch of a values.yaml `redis` section, as the Deployment sets it."""
    if redis.get("enabled") and redis.get("circuitBreaker") is False:
        return {"REDIS_CIRCUIT_BREAKER_ENABLED": "false"}
    return {}


def surface_env(proxy: Mapping[str, Any]) -> dict[str, str]:
    """The admin UI, API docs and CORS switches of a values.yaml `proxy` section as the chart's Deployment
    sets them (LiteLLM reads NO_DOCS, NO_REDOC, NO_OPENAPI and LITELLM_CORS_ORIGINS; the hooks' admin_guard
    DISABLE_ADMIN_UI). A local run leaves the admin UI off unless the values turn it on."""
    env = {"DISABLE_ADMIN_UI": "False" if proxy.get("adminUI") else "True"}
    if proxy.get("apiDocs") is False:
        env.update({"NO_DOCS": "True", "NO_REDOC": "True", "NO_OPENAPI": "True"})
    if proxy.get("corsOrigins"):
        env["LITELLM_CORS_ORIGINS"] = ",".join(proxy["corsOrigins"])
    return env


def gc_env(proxy: Mapping[str, Any]) -> dict[str, str]:
    """LiteLLM's PYTHON_GC_THRESHOLD from a values.yaml `proxy` section, as the Deployment sets it."""
    return {"PYTHON_GC_THRESHOLD": str(proxy["gcThreshold"])} if proxy.get("gcThreshold") else {}


def chart_defaults(chart_dir: Path) -> dict[str, Any]:
    """The chart's own values.yaml: the defaults every rendered environment's values go over."""
    return dict(YAML(typ="safe").load((chart_dir / "values.yaml").read_text(encoding="utf-8")))


def chart_default_env(chart_dir: Path) -> dict[str, str]:
    """What the chart's Deployment sets for every proxy with its default values (read, not repeated):
    LiteLLM's garbage collector thresholds. For native proxies and Compose."""
    return gc_env(chart_defaults(chart_dir)["proxy"])
