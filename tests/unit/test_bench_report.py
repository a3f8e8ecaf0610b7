"""scripts/bench.py: the feature rows use the renderer's settings, and the report's per-core figures follow from the rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def rendered_dev() -> dict[str, Any]:
    return YAML(typ="safe").load((ROOT / "rendered" / "dev" / "config.yaml").read_text())


def row(rate: int, cpu: float, p50: float = 40.0, saturation: bool = False, rps: float | None = None) -> dict[str, Any]:
    return {"rate": rate, "rps": rps if rps is not None else float(rate), "p50": p50, "p95": p50 * 1.2, "p99": p50 * 1.5,
            "failed": 0.0, "overhead_p50": 10.0, "cpu_ms_per_request": cpu, **({"saturation": True} if saturation else {})}


def test_feature_rows_carry_the_settings_the_renderer_writes(tmp_path: Path) -> None:
    dev = rendered_dev()
    plain = bench.plain_config("http://127.0.0.1:1")
    prom = bench.with_feature(plain, bench.feature_settings(tmp_path, "prometheus"))
    assert "prometheus" in dev["litellm_settings"]["callbacks"]
    assert prom["litellm_settings"]["callbacks"] == ["prometheus"], "the hooks callback is not a prometheus setting"
    assert prom["litellm_settings"]["require_auth_for_metrics_endpoint"] == dev["litellm_settings"]["require_auth_for_metrics_endpoint"]
    assert "router_settings" not in prom
    rpm = bench.with_feature(plain, bench.feature_settings(tmp_path, "redis+rpm"))
    assert rpm["router_settings"]["optional_pre_call_checks"] == dev["router_settings"]["optional_pre_call_checks"]
    assert {k: rpm["router_settings"][k] for k in ("redis_host", "redis_port")} == {k: dev["router_settings"][k] for k in ("redis_host", "redis_port")}
    dev_fake = next(m for m in dev["model_list"] if m["model_info"]["id"] == "gpt-4o-fake")
    assert rpm["model_list"][0]["litellm_params"]["rpm"] == dev_fake["litellm_params"]["rpm"]
    assert "litellm_settings" not in rpm
    redis_only = bench.with_feature(plain, bench.feature_settings(tmp_path, "redis"))
    assert "optional_pre_call_checks" not in redis_only["router_settings"]
    assert "rpm" not in redis_only["model_list"][0]["litellm_params"]
    assert "router_settings" not in plain and "rpm" not in plain["model_list"][0]["litellm_params"], "the plain config is not modified"


def test_delta_keeps_only_what_changed() -> None:
    before = {"a": {"x": 1, "l": ["h"]}, "b": 2}
    after = {"a": {"x": 1, "y": 3, "l": ["h", "p"]}, "b": 2, "c": {"z": None}}
    assert bench.delta(before, after) == {"a": {"y": 3, "l": ["p"]}, "c": {"z": None}}


def test_plain_env_keeps_litellm_defaults() -> None:
    env = bench.plain_env()
    assert env["LITELLM_MASTER_KEY"] == bench.KEY and bench.KEY.startswith("sk-")
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert not {"LITELLM_LOG", "REDIS_HOST", "REDIS_PORT"} & set(env)


def test_report_per_core_and_price_list() -> None:
    results = {
        "direct": [row(10, 0.0, 21.0), row(30, 0.0, 21.0), row(250, 0.0, 21.0, saturation=True, rps=250)],
        "plain": [row(10, 16.0), row(30, 16.0), row(250, 12.0, saturation=True, rps=80.0)],
        "bundle-nohooks": [row(10, 20.0), row(30, 20.0), row(250, 16.0, saturation=True, rps=60.0)],
        "bundle": [row(10, 20.0), row(30, 20.0), row(250, 16.0, saturation=True, rps=60.0)],
    }
    prices = {"plain (before +prometheus)": row(30, 16.0), "plain+prometheus": row(30, 18.0),
              "plain (before +redis+rpm)": row(30, 16.5), "plain+redis+rpm": row(30, 17.6)}
    text = bench.report(results, [10, 30], 250, 0.2, prices)
    assert "plain 62 req/s, bundle-nohooks 50 req/s, bundle 50 req/s" in text
    assert "the bundle reaches 100% of the same LiteLLM features" in text
    assert "and 80% of the plain config" in text
    assert "plain 80.0 req/s, bundle 60.0 req/s (75% of plain)" in text
    assert "| plain+prometheus | 18.00 | +12% |" in text
    assert "| plain+redis+rpm | 17.60 | +7% |" in text, "each feature against the plain run just before it"


def test_report_without_price_rows_has_no_price_table() -> None:
    results = {"direct": [row(30, 0.0), row(250, 0.0, saturation=True)], "plain": [row(30, 16.0), row(250, 12.0, saturation=True)]}
    text = bench.report(results, [30], 250)
    assert "Price of each LiteLLM feature" not in text
    assert "plain 62 req/s" in text
