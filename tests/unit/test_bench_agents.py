"""scripts/bench_agents.py and the agent rows of scripts/bench.py: the Rust arms follow the pinned LiteLLM's
rollout catalog, the Rust variants of a config switch what they say, the rotation asks each arm for the right
model on the right API, and the report's overheads, ratios and goal verdicts follow from the rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
_spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
assert _spec is not None and _spec.loader is not None
bench = sys.modules.get("bench") or importlib.util.module_from_spec(_spec)
if "bench" not in sys.modules:
    sys.modules["bench"] = bench
    _spec.loader.exec_module(bench)
import bench_agents  # noqa: E402  (from scripts/, on the path above)

MESSAGES, RESPONSES = bench_agents.ROUTES


def test_the_rust_arms_follow_the_pinned_litellms_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # as `make test` runs: no download at import
    from litellm.rust_bridge import catalog
    from litellm.rust_bridge.configuration import Decision, Rollout

    opt_in: dict[str, set[str]] = {}
    for rule in catalog.RULES:
        if rule.rollout is Rollout.RUST_OPT_IN:
            assert rule.providers is not None and rule.models is None, "the bench switches whole providers"
            opt_in.setdefault(rule.route.value, set()).update(rule.providers)
    assert opt_in == {api: set(providers) for api, providers in bench_agents.RUST_OPT_IN.items()}
    for route in bench_agents.ROUTES:
        context = catalog.RouteContext(catalog.Route(route.api), provider=route.provider)
        assert (catalog.rollout(context) is Rollout.RUST_OPT_IN) is route.rust(), route.api
    context = catalog.RouteContext(catalog.Route.MESSAGES, provider="anthropic")
    monkeypatch.delenv(bench_agents.RUST_ENV, raising=False)
    assert catalog.decision(context) is Decision.PYTHON, "off unless switched on"
    monkeypatch.setenv(bench_agents.RUST_ENV, "true")
    assert catalog.decision(context) is Decision.RUST_WITH_FALLBACK, "LITELLM_RUST is the global switch"
    assert catalog.decision(catalog.RouteContext(catalog.Route.RESPONSES, provider="openai")) is Decision.PYTHON


def test_rust_variants_switch_what_they_say() -> None:
    plain = bench.plain_config("http://127.0.0.1:1")
    per_model = bench_agents.rust_per_model(plain, "anthropic")
    flags = {e["model_info"]["id"]: e["litellm_params"].get("rust") for e in per_model["model_list"]}
    assert flags == {"gpt-4o-fake": None, "claude-sonnet-fake": True}
    assert "rust" not in str(plain), "the plain config is not modified"
    assert bench_agents.rust_global(plain) == plain, "no environment_variables: the process environment decides"
    rendered = {"model_list": [], "environment_variables": {"LITELLM_RUST": "false", "OTHER": "x"}}
    assert bench_agents.rust_global(rendered)["environment_variables"] == {"LITELLM_RUST": "true", "OTHER": "x"}


def test_the_plain_config_mirrors_the_dev_deployments_the_routes_reach() -> None:
    entries = {e["model_info"]["id"]: e for e in bench.plain_config("http://fake")["model_list"]}
    assert list(entries) == ["gpt-4o-fake", "claude-sonnet-fake"]
    claude = entries["claude-sonnet-fake"]
    assert (
        claude["model_name"] == MESSAGES.group and claude["litellm_params"]["model"] == "anthropic/fake-claude-sonnet"
    )
    assert claude["litellm_params"]["api_base"] == "http://fake/v1" and claude["model_info"]["base_model"]


def test_rust_arms_run_only_where_the_route_has_a_rust_path() -> None:
    names = ["direct", *(name for name, _, _ in bench_agents.PROXIES)]
    assert bench_agents.arms_for(MESSAGES, names) == names
    assert bench_agents.arms_for(RESPONSES, names) == ["direct", "plain", "bundle-nohooks", "bundle"]


def row(rate: int, cpu: float, p50: float, p95: float, rust: int = 0) -> dict[str, Any]:
    return {
        "rate": rate,
        "requests": 100,
        "rust": rust,
        "rps": float(rate),
        "p50": p50,
        "p95": p95,
        "p99": p95,
        "failed": 0.0,
        "overhead_p50": 5.0,
        "cpu_ms_per_request": cpu,
        "proxy_cores": 1.2,
    }


def test_the_rotation_asks_direct_for_the_fakes_model_and_proxies_for_the_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str, str, bool, int | None]] = []

    def fake_k6(url: str, rate: int, duration: str, model: str, summary: Path, **kw: Any) -> dict[str, Any]:
        calls.append((url, model, kw["api"], kw["stream"], kw["pgid"]))
        return row(rate, 10.0, 30.0, 40.0, rust=50 if "rust" in url else 0)

    monkeypatch.setattr(bench, "k6", fake_k6)
    proxy = type("P", (), {"pid": 7})()
    started = [
        (bench.Arm("direct", None, {}, url="http://fake"), None, "http://fake"),
        (bench.Arm("bundle + LITELLM_RUST", Path("c"), {}), proxy, "http://rust"),
    ]
    out = bench.alternate(started, 30, "1s", 2, Path("/nonexistent"), route=MESSAGES)
    assert calls == [
        ("http://fake", "fake-claude-sonnet", "messages", True, None),
        ("http://rust", "claude-sonnet", "messages", True, 7),
        ("http://rust", "claude-sonnet", "messages", True, 7),
        ("http://fake", "fake-claude-sonnet", "messages", True, None),
    ]
    assert out["bundle + LITELLM_RUST"]["rust_share"] == 0.5 and out["direct"]["p95"] == 40.0


def rotation(cpus: dict[str, float], p50: dict[str, float], rust: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        name: bench.median_row([row(30, cpus.get(name, 0.0), p50[name], p50[name] + 10, rust.get(name, 0))])
        for name in p50
    }


def test_the_report_gives_overheads_ratios_and_verdicts() -> None:
    messages = rotation(
        cpus={
            "plain": 10.0,
            "plain + LITELLM_RUST": 8.0,
            "plain + rust: true": 10.0,
            "bundle-nohooks": 14.0,
            "bundle-nohooks + LITELLM_RUST": 12.0,
            "bundle": 15.0,
            "bundle + LITELLM_RUST": 14.0,
        },
        p50={
            "direct": 22.0,
            "plain": 30.0,
            "plain + LITELLM_RUST": 28.0,
            "plain + rust: true": 30.0,
            "bundle-nohooks": 33.0,
            "bundle-nohooks + LITELLM_RUST": 31.0,
            "bundle": 34.0,
            "bundle + LITELLM_RUST": 32.5,
        },
        rust={"plain + LITELLM_RUST": 100, "bundle-nohooks + LITELLM_RUST": 100, "bundle + LITELLM_RUST": 100},
    )
    responses = rotation(
        cpus={"plain": 10.0, "bundle-nohooks": 13.0, "bundle": 15.0},
        p50={"direct": 21.0, "plain": 29.0, "bundle-nohooks": 32.0, "bundle": 33.0},
        rust={},
    )
    pods = {
        "messages": {
            "direct": [row(30, 0.0, 21.0, 30.0), row(100, 0.0, 21.0, 30.0)],
            "bundle-2w": [row(30, 14.0, 35.0, 50.0), row(100, 14.0, 45.0, 90.0)],
            "bundle-2w + LITELLM_RUST": [row(30, 13.0, 30.0, 45.0, rust=100), row(100, 13.0, 40.0, 70.0, rust=100)],
        },
        "responses": {
            "direct": [row(100, 0.0, 21.0, 30.0)],
            "bundle-2w": [{**row(100, 14.0, 38.0, 60.0), "rps": 99.5}],
        },
    }
    messages["bundle"]["hooks_ms"] = 0.42
    text = "\n".join(bench_agents.report(30, {"messages": messages, "responses": responses}, pods, 100))
    assert "| messages | direct | 30.0 | 22.0 | 32.0 | - | - | 5.00 | - | - |" in text
    assert (
        "| messages | bundle + LITELLM_RUST | 30.0 | 32.5 | 42.5 | 10.5 | 10.5 | 5.00 | 14.00 (14.00–14.00) | 100% |"
        in text
    )
    assert (
        "| messages | plain + rust: true | 30.0 | 30.0 | 40.0 | 8.0 | 8.0 | 5.00 | 10.00 (10.00–10.00) | 0% |" in text
    )
    assert "messages, Python: the bundle 15.00 ms CPU per request, 1.07x the same LiteLLM features without the " in text
    assert (
        "(14.00 ms; goal <= 1.10x: met); 1.50x the plain config's 10.00 ms; 0.42 ms per request inside the hooks"
        in text
    )
    assert "messages, Rust core on: the bundle 14.00 ms CPU per request, 1.17x" in text and "NOT met" in text
    assert "plain -20% CPU per request, -2.0 ms p50 (100% served by Rust)" in text
    assert "`rust: true` per model: 0% served by Rust" in text
    assert "responses, Python: the bundle 15.00 ms CPU per request, 1.15x" in text
    assert "responses, LITELLM_RUST" not in text, "no Rust arm ran on responses"
    assert "messages, bundle-2w: at 100 req/s NOT met on this machine: 100.0 req/s achieved, p50 overhead 24.0" in text
    assert "highest rate meeting p50 overhead <= 20 ms: 30 req/s (30: +14.0 ms, 100: +24.0 ms)." in text
    assert "messages, bundle-2w + LITELLM_RUST: at 100 req/s met on this machine" in text
    assert "p50 overhead 19.0 ms, p95 overhead 40.0 ms, 0.0% failed, 100% served by Rust, proxy 1.20 cores; " in text
    assert "highest rate meeting p50 overhead <= 20 ms: 100 req/s (30: +9.0 ms, 100: +19.0 ms)." in text
    assert "responses, bundle-2w: at 100 req/s met on this machine: 99.5 req/s achieved, p50 overhead 17.0 ms" in text
    assert bench_agents.pod_rates(100) == [30, 60, 100]
    assert bench_agents.report(30, {}, {}, 100) == []
