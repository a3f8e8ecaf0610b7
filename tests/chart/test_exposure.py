"""What the gateway serves besides the API, as rendered per environment: /metrics/ behind a key that the
ServiceMonitor sends (the same Secret key the access Job registers as the scraper's virtual key), the
admin UI, the API docs and browser origins off or limited in prod, and the Ingress's body size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import launch
from tests.helpers import checkout_tree, committed

from .conftest import Render, find

SURFACE = ("DISABLE_ADMIN_UI", "NO_DOCS", "NO_REDOC", "NO_OPENAPI", "LITELLM_CORS_ORIGINS")


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def _litellm_settings(env: str) -> dict[str, Any]:
    return dict(YAML(typ="safe").load(committed(env, "config.yaml"))["litellm_settings"])


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_service_monitor_sends_the_scraper_key_the_access_job_registers(render: Render, env: str) -> None:
    docs = render(env)
    assert _litellm_settings(env)["require_auth_for_metrics_endpoint"] is True
    endpoint = find(docs, "ServiceMonitor")["spec"]["endpoints"][0]
    assert endpoint["authorization"]["type"] == "Bearer"
    credentials = endpoint["authorization"]["credentials"]
    job = find(docs, "Job", "-access")["spec"]["template"]["spec"]["containers"][0]
    registered = _env(job)["LITELLM_METRICS_KEY"]["secretKeyRef"]
    assert (credentials["name"], credentials["key"]) == (registered["name"], registered["key"])
    # the gateway itself never holds the scraper key
    gateway = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "LITELLM_METRICS_KEY" not in _env(gateway)


def test_dev_leaves_metrics_open_for_the_local_prometheus() -> None:
    assert _litellm_settings("dev")["require_auth_for_metrics_endpoint"] is False


def test_prod_serves_no_admin_ui_no_docs_and_names_its_origins(render: Render) -> None:
    gateway = _env(find(render("prod"), "Deployment")["spec"]["template"]["spec"]["containers"][0])
    assert {k: gateway.get(k) for k in SURFACE} == {
        "DISABLE_ADMIN_UI": "True",
        "NO_DOCS": "True",
        "NO_REDOC": "True",
        "NO_OPENAPI": "True",
        "LITELLM_CORS_ORIGINS": "https://chat.prod.example.internal",
    }
    dev = _env(find(render("dev"), "Deployment")["spec"]["template"]["spec"]["containers"][0])
    assert not set(SURFACE) & set(dev), "dev keeps LiteLLM's defaults"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_local_runs_set_the_same_switches_as_the_deployment(render: Render, env: str) -> None:
    """proxy_args.surface_env (native runs, the boot check, Compose) mirrors the chart's template."""
    gateway = _env(find(render(env), "Deployment")["spec"]["template"]["spec"]["containers"][0])
    local = proxy_args.surface_env(YAML(typ="safe").load(committed(env, "values.yaml"))["proxy"])
    chart = {k: gateway[k] for k in SURFACE if k in gateway}
    assert {k: v for k, v in local.items() if k != "DISABLE_ADMIN_UI" or v == "True"} == chart


def test_the_ingress_accepts_long_context_bodies(render: Render) -> None:
    annotations = find(render("prod"), "Ingress")["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "20m"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_local_runs_pass_the_same_arguments_and_limits_as_the_deployment(render: Render, env: str) -> None:
    """proxy_args.proxy_options (native runs of a rendered values.yaml) mirrors the Deployment's arguments
    after the config, port and workers (the workers' health check, recycling), its stream limit, and its
    multi-worker metrics directory."""
    values = launch.committed_values(checkout_tree(), env)  # the chart's defaults under the rendered values
    container = find(render(env), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    options = proxy_args.proxy_options(values, multiprocess_dir=Path("/metrics-dir"))
    args = container["args"]
    assert args[args.index("--num_workers") + 1] == str(options.workers)
    assert args[args.index("--num_workers") + 2 :] == options.args
    chart_env, local_env = _env(container), options.env
    for name in ("LITELLM_MAX_STREAMING_DURATION_SECONDS", "PROMETHEUS_MULTIPROC_DIR", "REDIS_CIRCUIT_BREAKER_ENABLED"):
        assert (name in chart_env) == (name in local_env), name
    gc = "PYTHON_GC_THRESHOLD"  # LiteLLM's collector thresholds: the chart's, native runs' and every test proxy's
    assert chart_env[gc] == local_env[gc] == launch.proxy_env()[gc]
    if "LITELLM_MAX_STREAMING_DURATION_SECONDS" in local_env:
        assert (
            chart_env["LITELLM_MAX_STREAMING_DURATION_SECONDS"] == local_env["LITELLM_MAX_STREAMING_DURATION_SECONDS"]
        )


def test_a_redis_cluster_or_sentinel_turns_litellms_circuit_breaker_off_in_the_pods(render: Render) -> None:
    """A failover can leave LiteLLM's breaker half-open until a restart (docs/operations.md): the bundle
    renders it off for the highly available shapes, and native runs of the same values set the same."""
    values = {"enabled": True, "port": 6379, "circuitBreaker": False}
    gateway = _env(
        find(render("prod", sets=["redis.circuitBreaker=false"]), "Deployment")["spec"]["template"]["spec"][
            "containers"
        ][0]
    )
    assert (
        gateway["REDIS_CIRCUIT_BREAKER_ENABLED"]
        == "false"
        == proxy_args.redis_env(values)["REDIS_CIRCUIT_BREAKER_ENABLED"]
    )
    assert "REDIS_CIRCUIT_BREAKER_ENABLED" not in _env(
        find(render("prod"), "Deployment")["spec"]["template"]["spec"]["containers"][0]
    )
    assert proxy_args.redis_env({**values, "circuitBreaker": True}) == {}
