"""scripts/bench.py: the feature rows use the renderer's settings, and the report's per-core figures follow
from the rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))  # bench imports bench_profile from beside it
_spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench"] = bench  # its dataclasses look their module up
_spec.loader.exec_module(bench)
import bench_profile  # noqa: E402  (from scripts/, on the path above)


def rendered_dev() -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / "rendered" / "dev" / "config.yaml").read_text())


def row(rate: int, cpu: float, p50: float = 40.0, saturation: bool = False, rps: float | None = None) -> dict[str, Any]:
    return {
        "rate": rate,
        "rps": rps if rps is not None else float(rate),
        "p50": p50,
        "p95": p50 * 1.2,
        "p99": p50 * 1.5,
        "failed": 0.0,
        "overhead_p50": 10.0,
        "cpu_ms_per_request": cpu,
        **({"saturation": True} if saturation else {}),
    }


def test_feature_rows_carry_the_settings_the_renderer_writes(tmp_path: Path) -> None:
    dev = rendered_dev()
    plain = bench.plain_config("http://127.0.0.1:1")
    prom = bench.with_feature(plain, bench.feature_settings(tmp_path, "prometheus"))
    assert "prometheus" in dev["litellm_settings"]["callbacks"]
    assert prom["litellm_settings"]["callbacks"] == ["prometheus"], "the hooks callback is not a prometheus setting"
    assert (
        prom["litellm_settings"]["require_auth_for_metrics_endpoint"]
        == dev["litellm_settings"]["require_auth_for_metrics_endpoint"]
    )
    assert "router_settings" not in prom
    rpm = bench.with_feature(plain, bench.feature_settings(tmp_path, "redis+rpm"))
    assert rpm["router_settings"]["optional_pre_call_checks"] == dev["router_settings"]["optional_pre_call_checks"]
    assert {k: rpm["router_settings"][k] for k in ("redis_host", "redis_port")} == {
        k: dev["router_settings"][k] for k in ("redis_host", "redis_port")
    }
    dev_fake = next(m for m in dev["model_list"] if m["model_info"]["id"] == "gpt-4o-fake")
    assert rpm["model_list"][0]["litellm_params"]["rpm"] == dev_fake["litellm_params"]["rpm"]
    assert "litellm_settings" not in rpm
    redis_only = bench.with_feature(plain, bench.feature_settings(tmp_path, "redis"))
    assert "optional_pre_call_checks" not in redis_only["router_settings"]
    assert "rpm" not in redis_only["model_list"][0]["litellm_params"]
    assert "router_settings" not in plain and "rpm" not in plain["model_list"][0]["litellm_params"], (
        "the plain config is not modified"
    )


def test_delta_keeps_only_what_changed() -> None:
    before = {"a": {"x": 1, "l": ["h"]}, "b": 2}
    after = {"a": {"x": 1, "y": 3, "l": ["h", "p"]}, "b": 2, "c": {"z": None}}
    assert bench.delta(before, after) == {"a": {"y": 3, "l": ["p"]}, "c": {"z": None}}


def test_plain_env_keeps_litellm_defaults() -> None:
    env = bench.plain_env()
    assert env["LITELLM_MASTER_KEY"] == bench.KEY and bench.KEY.startswith("sk-")
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert not {"LITELLM_LOG", "REDIS_HOST", "REDIS_PORT"} & set(env)


def test_report_per_core_two_workers_and_rotation() -> None:
    results = {
        "direct": [
            row(10, 0.0, 21.0),
            row(30, 0.0, 21.0),
            row(100, 0.0, 21.0),
            row(250, 0.0, 21.0, saturation=True, rps=250),
        ],
        "plain": [row(10, 16.0), row(30, 16.0), row(250, 12.0, saturation=True, rps=80.0)],
        "bundle-nohooks": [row(10, 20.0), row(30, 20.0), row(250, 16.0, saturation=True, rps=60.0)],
        "bundle": [row(10, 20.0), row(30, 20.0), row(250, 16.0, saturation=True, rps=60.0)],
        "bundle-2w": [row(30, 22.0), row(100, 18.0, p50=45.0, rps=99.5), row(250, 16.0, saturation=True, rps=90.0)],
    }
    rotation = {
        name: bench.median_row([row(30, cpu) for cpu in cpus])
        for name, cpus in {
            "plain": [16.0, 15.0, 17.0],
            "plain+prometheus": [18.0, 18.5, 17.5],
            "bundle (Python 3.13)": [20.0, 21.0, 19.0],
            "bundle + httptools": [18.0, 18.0, 19.0],
        }.items()
    }
    text = bench.report(results, [10, 30], 250, 0.2, rotation, pod_rate=100, declared=(100, 55))
    assert "plain 62 req/s, bundle-nohooks 50 req/s, bundle 50 req/s" in text
    assert "the bundle reaches 100% of the same LiteLLM features" in text
    assert "and 80% of the plain config" in text
    assert "plain 80.0 req/s, bundle 60.0 req/s (75% of plain)" in text
    assert "saturation 90.0 req/s, 1.50x one worker's 60.0 req/s" in text
    assert "two workers 22.00 ms, 1.10x one worker's 20.00 ms" in text
    assert "NOT met on this machine: 99.5 req/s achieved, p50 overhead 24.0 ms" in text, "24 ms is over the 20 ms goal"
    assert "| plain+prometheus | 18.00 (17.50–18.50) | +12% | - |" in text, "medians, each feature against plain"
    assert "| bundle + httptools | 18.00 (18.00–19.00) | +12% | -10% |" in text, "each lever against the bundle"
    assert "costs 1.25x the plain config's CPU per request (50 vs 62 req/s per core" in text
    assert "declared worker_rps 55, measured here 50 req/s per core" in text


def test_a_pod_that_keeps_up_meets_the_goal() -> None:
    results = {
        "direct": [row(30, 0.0, 21.0), row(100, 0.0, 21.0), row(250, 0.0, saturation=True)],
        "bundle": [row(30, 20.0), row(250, 16.0, saturation=True, rps=60.0)],
        "bundle-2w": [row(30, 20.0), row(100, 18.0, p50=38.0, rps=100.1), row(250, 16.0, saturation=True, rps=110.0)],
    }
    assert "): met on this machine: 100.1 req/s achieved, p50 overhead 17.0 ms" in bench.report(
        results, [30], 250, pod_rate=100
    )


def test_the_latency_bound_rate_is_the_highest_that_meets_the_overhead_goal() -> None:
    results = {
        "direct": [row(r, 0.0, 21.0) for r in (30, 60, 80, 100)],
        "bundle-2w": [
            row(30, 20.0, p50=28.0),
            row(60, 18.0, p50=36.0),
            row(80, 18.0, p50=44.0),
            row(100, 18.0, p50=60.0, rps=97.0),
            row(250, 16.0, saturation=True, rps=110.0),
        ],
    }
    (line,) = bench.latency_bound(results)
    assert line.startswith("Highest offered rate at which two workers keep up at p50 overhead <= 20 ms: 60 req/s ")
    assert "30: +7.0 ms, 60: +15.0 ms, 80: +23.0 ms, 100: +39.0 ms" in line
    slow = {**results, "bundle-2w": [row(30, 20.0, p50=50.0), row(100, 18.0, p50=60.0)]}
    assert "20 ms: none of the rates run (" in bench.latency_bound(slow)[0]


def test_rotation_alternates_and_takes_medians() -> None:
    calls: list[str] = []
    arms = [bench.Arm(n, Path(n), {}) for n in ("a", "b", "c")]

    def fake_start(name: str, *args: object, **kwargs: object) -> tuple[object, str]:
        return type("P", (), {"pid": 1})(), name

    def fake_k6(url: str, rate: int, *args: object, **kwargs: object) -> dict[str, object]:
        calls.append(url)
        return row(
            rate,
            {"a": [10.0, 30.0, 20.0], "b": [5.0, 5.0, 6.0], "c": [1.0, 2.0, 3.0]}[url][
                sum(c == url for c in calls) - 1
            ],
        )

    saved = bench.start, bench.k6, bench.processes.stop
    bench.start, bench.k6, bench.processes.stop = fake_start, fake_k6, lambda proc: None
    try:
        out = bench.rotate(arms, 30, "1s", 3, Path("/nonexistent"))
    finally:
        bench.start, bench.k6, bench.processes.stop = saved
    assert calls == ["a", "b", "c", "c", "b", "a", "a", "b", "c"]
    assert (out["a"]["cpu_ms_per_request"], out["a"]["cpu_min"], out["a"]["cpu_max"], out["a"]["runs"]) == (
        20.0,
        10.0,
        30.0,
        3,
    )


def test_dashboard_metrics_are_litellm_families() -> None:
    metrics = bench.dashboard_metrics()
    assert "litellm_proxy_total_requests_metric" in metrics and "litellm_deployment_state" in metrics
    assert not [m for m in metrics if m.endswith(("_total", "_bucket"))]


def test_report_without_price_rows_has_no_price_table() -> None:
    results = {
        "direct": [row(30, 0.0), row(250, 0.0, saturation=True)],
        "plain": [row(30, 16.0), row(250, 12.0, saturation=True)],
    }
    text = bench.report(results, [30], 250)
    assert "Price of each LiteLLM feature" not in text
    assert "plain 62 req/s" in text


RAW = """\
process 1:"litellm --config c.yaml";run (asyncio/runners.py:86);user_api_key_auth (user_api_key_auth.py:3523) 30
process 1:"litellm --config c.yaml";run (asyncio/runners.py:86);async_success_handler (litellm_logging.py:3266);async_log_success_event (litellm/integrations/prometheus.py:1510);_set_v3_rate_limit_allowed_and_used_metrics (litellm/integrations/prometheus.py:2255) 20
process 1:"litellm --config c.yaml";__call__ (gateway_hooks/admin_guard.py:37);__call__ (gateway_hooks/body_guard.py:50);async_pre_call_hook (gateway_hooks/entry.py:80) 10
process 1:"litellm --config c.yaml";__call__ (gateway_hooks/admin_guard.py:37);acompletion (litellm/router.py:2937);guarded (litellm/caching/redis_cache.py:648);execute (redis/asyncio/client.py:2227) 40
process 1:"litellm --config c.yaml";run (asyncio/runners.py:86);async_log_success_event (model_rate_limit_check.py:332) 10
\xff\xfe garbage line
"""


def test_profile_cost_centres_count_a_sample_once_per_centre() -> None:
    stacks = bench_profile.parse_raw(RAW)
    assert sum(stacks.values()) == 110, "the undecodable line is skipped"
    ms = bench_profile.ms_per_request(stacks, requests=10)  # 100 Hz: one sample is 10 ms, over 10 requests 1 ms each
    assert ms["total"] == 110.0
    assert ms["deployment rpm/tpm enforcement (enforce_model_rate_limits)"] == 10.0, "py-spy's base-name frames match"
    assert ms["authentication (user_api_key_auth)"] == 30.0
    assert ms["LiteLLM's success logging (all callbacks)"] == 20.0
    assert ms["LiteLLM's prometheus callback (success)"] == 20.0
    assert ms["of which its rate-limit gauges (v3 limiter headers)"] == 20.0
    assert ms["the gateway hooks and guardrails (their own frames)"] == 10.0, (
        "the ASGI guards wrap everything: not counted"
    )
    assert ms["every Redis command (redis-py, circuit breaker)"] == 40.0, "two matching frames, one sample"
    assert ms["the router: selection, fallbacks, retries, the provider call"] == 40.0
    lines = bench_profile.table(ms, {**ms, "total": 90.0}, 30)
    assert "| all sampled Python | 110.00 | 90.00 | -20.00 |" in lines


def test_profile_records_collapsed_stacks_by_function() -> None:
    cmd = bench_profile.record_command("py-spy", 42, 30, Path("/tmp/x.txt"), "raw")
    assert cmd[:4] == ["py-spy", "record", "--pid", "42"] and "--subprocesses" in cmd and "--function" in cmd
    assert cmd[cmd.index("--format") + 1] == "raw" and cmd[cmd.index("--rate") + 1] == str(bench_profile.SAMPLE_HZ)
    assert "--function" not in bench_profile.record_command("py-spy", 42, 30, Path("/tmp/x.svg"), "flamegraph")


def test_redis_lines_sum_and_order_the_commands() -> None:
    assert bench.redis_lines({}) == []
    (line,) = [x for x in bench.redis_lines({"ttl": 5.0, "incrbyfloat": 7.0, "evalsha": 1.0}) if x]
    assert "13.0 in all: INCRBYFLOAT 7.00, TTL 5.00, EVALSHA 1.00." in line


def test_image_venv_gets_the_whole_runtime_extra() -> None:
    reqs = bench.image_requirements()
    assert any(r.startswith("opentelemetry-sdk==") for r in reqs), (
        "without it LiteLLM retries its OTel import per request"
    )
    assert any(r.startswith("prometheus_client==") for r in reqs) and any(r.startswith("prisma==") for r in reqs)
