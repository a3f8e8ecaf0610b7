#!/usr/bin/env python3
"""`make bench`: side by side in one run on one machine, with k6 (constant arrival rate, chat requests):

  direct          the fake provider itself (20 ms simulated model latency)
  plain           the proxy with a plain default config (model_list only) and LiteLLM's default
                  environment (no LITELLM_LOG, no Redis)
  bundle-nohooks  the proxy with the rendered dev config minus the gateway hooks and guardrails:
                  the same LiteLLM features as the bundle (prometheus, Redis router state, enforced rpm)
  bundle          the proxy with the rendered dev config, hooks, guardrails, prometheus, Redis

at fixed request rates and at saturation; the bundle targets run at the production log level
(WARNING, as prod renders). Then the price of each LiteLLM feature the bundle turns on, one at a time
on top of the plain config at the middle rate, each right after a fresh plain run
(plain+prometheus, plain+redis+rpm: Redis router state with enforced rpm limits).
Writes bench-results/bench.md (table, also printed), bench-results/bench.json and
bench-results/latency_vs_rate.png. Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle import localenv, processes, runtime
from litellm_bundle.generate import render_one
from litellm_bundle.policies import Policies
from litellm_bundle.tree import BundleTree, find_root
from litellm_bundle.yamlio import dump_yaml

ROOT = find_root(Path(__file__).resolve().parent)
TREE = BundleTree.at(ROOT)
KEY = localenv.GENERATED["LITELLM_MASTER_KEY"]()
UPSTREAM_LATENCY_MS = 20
PLAIN_DEPLOYMENT = "gpt-4o-fake"  # the deployment of dev the plain config mirrors


def group_cpu_seconds(pgid: int | None) -> float:
    return processes.group_cpu_seconds(pgid) if pgid is not None else 0.0


def k6(url: str, rate: int, duration: str, model: str, summary: Path, key: str = KEY, max_vus: int | None = None, pgid: int | None = None) -> dict[str, Any]:
    env = {**os.environ, "URL": url, "KEY": key, "MODEL": model, "RATE": str(rate), "DURATION": duration, "STREAM_RATIO": "0",
           "SUMMARY": str(summary), "P95_MS": "600000", "MAX_ERROR_RATE": "1"}
    if max_vus:
        env.update({"VUS": str(max_vus), "MAX_VUS": str(max_vus)})
    cpu_before = group_cpu_seconds(pgid)
    subprocess.run([runtime.bin_path("k6"), "run", "-q", str(ROOT / "scripts" / "load.js")], env=env, capture_output=True, text=True, cwd=summary.parent)
    cpu = group_cpu_seconds(pgid) - cpu_before
    data = json.loads(summary.read_text())["metrics"]
    duration_s = float(duration.rstrip("s"))
    trend = data["http_req_duration"]["values"]
    overhead = data.get("litellm_overhead_ms", {}).get("values", {})
    return {
        "rate": rate,
        "rps": round(data["http_reqs"]["values"]["count"] / duration_s, 1),
        "p50": round(trend["med"], 2), "p95": round(trend["p(95)"], 2), "p99": round(trend["p(99)"], 2),
        "failed": round(data["http_req_failed"]["values"]["rate"], 4),
        "overhead_p50": round(overhead["med"], 2) if overhead else None,
        # proxy CPU per request: the per-core cost, far steadier than saturation throughput on a shared machine
        "cpu_ms_per_request": round(cpu * 1000 / data["http_reqs"]["values"]["count"], 2) if pgid and data["http_reqs"]["values"]["count"] else None,
    }


def plain_config(fake: str) -> dict[str, Any]:
    """LiteLLM with a model_list only: dev's fake gpt-4o deployment and the master key, nothing else."""
    return {
        "model_list": [{"model_name": "gpt-4o", "litellm_params": {"model": "openai/fake-gpt-4o", "api_base": f"{fake}/v1", "api_key": localenv.FAKE_PROVIDER_KEY},
                        "model_info": {"id": PLAIN_DEPLOYMENT}}],
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }


# the LiteLLM features the dev environment turns on, as switches of its sources (overlay keys, rpm limits)
FEATURES: dict[str, dict[str, bool]] = {
    "prometheus": {"prometheus": True},
    "redis": {"redis": True},
    "redis+rpm": {"redis": True, "rpm": True},
}
PRICED = ("prometheus", "redis+rpm")


def variant_config(work: Path, name: str, prometheus: bool = False, redis: bool = False, rpm: bool = False) -> dict[str, Any]:
    """The renderer's dev config.yaml for a copy of config/ with these LiteLLM features on or off."""
    sources = work / f"config-{name}"
    if sources.exists():
        shutil.rmtree(sources)
    shutil.copytree(TREE.config_dir, sources)
    yaml = YAML(typ="rt")
    overlay_file = sources / "environments" / "dev.yaml"
    overlay = yaml.load(overlay_file.read_text())
    overlay["prometheus"] = prometheus
    if not redis:
        overlay.pop("redis", None)
    yaml.dump(overlay, overlay_file)
    if not rpm:
        models_file = sources / "models.yaml"
        models = yaml.load(models_file.read_text())
        for group in models["model_groups"].values():
            for deployment in group["deployments"]:
                deployment.pop("rpm", None)
                deployment.pop("tpm", None)
        yaml.dump(models, models_file)
    return YAML(typ="safe").load(render_one(BundleTree.at(ROOT, config_dir=sources), "dev")["config.yaml"])


def delta(before: Any, after: Any) -> Any:
    """What `after` adds to or changes in `before`: mappings key by key, lists of scalars by added items."""
    if isinstance(before, dict) and isinstance(after, dict):
        return {k: (delta(before[k], v) if k in before else v) for k, v in after.items() if k not in before or before[k] != v}
    if isinstance(before, list) and isinstance(after, list) and all(not isinstance(x, (dict, list)) for x in [*before, *after]):
        return [x for x in after if x not in before]
    return after


def feature_settings(work: Path, feature: str) -> dict[str, Any]:
    """The settings the renderer adds for one feature: its dev config with the feature on, against off.
    model_list: deployment id -> added litellm_params."""
    off, on = variant_config(work, "off"), variant_config(work, feature, **FEATURES[feature])
    entries = {e["model_info"]["id"]: e["litellm_params"] for e in off["model_list"]}
    settings = delta({k: v for k, v in off.items() if k != "model_list"}, {k: v for k, v in on.items() if k != "model_list"})
    settings["model_list"] = {e["model_info"]["id"]: delta(entries[e["model_info"]["id"]], e["litellm_params"]) for e in on["model_list"]}
    return settings


def with_feature(config: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """The plain config plus one feature's settings, exactly as the renderer writes them."""
    config = copy.deepcopy(config)
    for section, values in settings.items():
        if section == "model_list":
            for entry in config["model_list"]:
                entry["litellm_params"].update(values.get(entry["model_info"]["id"], {}))
            continue
        target = config.setdefault(section, {})
        for key, value in values.items():
            target[key] = [*target.get(key, []), *value] if isinstance(value, list) else value
    return config


def plain_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """LiteLLM's defaults: only what any run needs (offline price map, master key), nothing the bundle sets;
    `extra`: the references a feature's settings name (e.g. REDIS_HOST)."""
    env = runtime.proxy_env({"LITELLM_MASTER_KEY": KEY})
    for name in ("LITELLM_LOG", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "GATEWAY_HOOKS_LOG_LEVEL"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def without_hooks(config_file: Path) -> None:
    """The staged bundle config minus the gateway hooks and guardrails: the same LiteLLM features."""
    config = YAML(typ="safe").load(config_file.read_text())
    config["litellm_settings"]["callbacks"] = [c for c in config["litellm_settings"]["callbacks"] if not c.startswith("gateway_hooks")]
    config.pop("guardrails", None)
    config_file.write_text(dump_yaml(config))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,30,50", help="fixed request rates (req/s)")
    parser.add_argument("--duration", default="15s", help="per fixed rate")
    parser.add_argument("--saturation-rate", type=int, default=250, help="offered rate for the saturation run")
    parser.add_argument("--no-features", action="store_true", help="skip the per-feature price runs")
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {}
    prices: dict[str, dict[str, Any]] = {}
    hook_ms: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name)
        fake_port, redis_port = processes.free_port(), processes.free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        fake = runtime.start_fake_provider(TREE, fake_port, tmp / "fake.log", "--no-record", "--latency-ms", str(UPSTREAM_LATENCY_MS))
        redis = runtime.start_redis(redis_port, tmp / "redis.log")
        try:
            processes.wait_healthy(f"{fake_url}/health", 30, fake)
            if redis is not None:
                processes.wait_port(redis_port, 20, redis)
            secrets = {**localenv.local_secrets(fake_url, redis_port if redis is not None else None), "LITELLM_MASTER_KEY": KEY}
            bundle_env = runtime.proxy_env({**secrets, "LITELLM_LOG": "WARNING", "GATEWAY_HOOKS_LOG_LEVEL": "WARNING"})
            targets: list[tuple[str, Path | None, str, dict[str, str]]] = [("direct", None, "fake-gpt-4o", {})]
            plain = plain_config(fake_url)
            plain_file = write_config(tmp / "plain", plain)
            targets.append(("plain", plain_file, "gpt-4o", plain_env()))
            dev_files, env_ref = runtime.committed_files(TREE, "dev"), Policies(TREE).env_ref
            nohooks = runtime.stage_files(TREE, dev_files, tmp / "nohooks", secrets, env_ref, with_redis=redis is not None)
            without_hooks(nohooks.config)
            targets.append(("bundle-nohooks", nohooks.config, "gpt-4o", bundle_env))
            bundle = runtime.stage_files(TREE, dev_files, tmp / "bundle", secrets, env_ref, with_redis=redis is not None)
            targets.append(("bundle", bundle.config, "gpt-4o", bundle_env))
            for name, config, model, env in targets:
                proc, url = (None, fake_url) if config is None else start(name, config, env, tmp, model)
                rows = []
                pgid = proc.pid if proc is not None else None
                for rate in rates:
                    rows.append(k6(url, rate, args.duration, model, tmp / f"{name}-{rate}.json", pgid=pgid))
                    print(f"{name:15s} {rate:4d} req/s offered -> {rows[-1]}", flush=True)
                if name == "bundle":
                    hook_ms[name] = hooks_time_ms(url)
                sat = k6(url, args.saturation_rate, args.duration, model, tmp / f"{name}-sat.json", max_vus=64, pgid=pgid)
                sat["saturation"] = True
                rows.append(sat)
                print(f"{name:15s} saturation ({args.saturation_rate} offered, 64 VUs) -> {sat}", flush=True)
                results[name] = rows
                if proc is not None:
                    processes.stop(proc)
                    time.sleep(1)
            if redis is not None and not args.no_features:
                mid = rates[len(rates) // 2]
                for feature in PRICED:
                    featured = write_config(tmp / feature.replace("+", "-"), with_feature(plain, feature_settings(tmp, feature)))
                    # each feature right after a fresh plain run: the machine's speed drifts over minutes
                    for name, config in ((f"plain (before +{feature})", plain_file), (f"plain+{feature}", featured)):
                        proc, url = start(name.split(" ")[0], config, plain_env({k: secrets[k] for k in ("REDIS_HOST", "REDIS_PORT")}), tmp, "gpt-4o")
                        prices[name] = k6(url, mid, args.duration, "gpt-4o", tmp / "price.json", pgid=proc.pid)
                        print(f"{name:15s} {mid:4d} req/s offered -> {prices[name]}", flush=True)
                        processes.stop(proc)
                        time.sleep(1)
        finally:
            processes.stop(fake)
            if redis is not None:
                processes.stop(redis)
    table = report(results, rates, args.saturation_rate, hook_ms.get("bundle"), prices)
    (out / "bench.md").write_text(table)
    (out / "bench.json").write_text(json.dumps({"upstream_latency_ms": UPSTREAM_LATENCY_MS, "cpus": os.cpu_count(), "results": results,
                                                "feature_prices": prices}, indent=2))
    plot(results, out / "latency_vs_rate.png")
    print(table)
    print(f"wrote {out}/bench.md, bench.json, latency_vs_rate.png")
    return 0


def write_config(directory: Path, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(dump_yaml(config))
    return directory / "config.yaml"


def start(name: str, config: Path, env: dict[str, str], tmp: Path, model: str) -> tuple[Any, str]:
    """Start one proxy worker, wait until healthy and warm it up (imports, tokenizers, connections)."""
    port = processes.free_port()
    proc = runtime.start_proxy(config, port, env, tmp / f"{name}.log")
    url = f"http://127.0.0.1:{port}"
    processes.wait_healthy(f"{url}/health/liveliness", 120, proc, tmp / f"{name}.log")
    k6(url, 5, "3s", model, tmp / "warmup.json")
    return proc, url


def hooks_time_ms(url: str) -> float:
    """Mean time per request spent inside the gateway hooks (pre_call callback + guardrails), from /metrics/."""
    import httpx

    text = httpx.get(f"{url}/metrics/", timeout=10).text
    total, requests = 0.0, 0.0
    for line in text.splitlines():
        if line.startswith("gateway_hook_duration_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        if line.startswith('gateway_hook_duration_seconds_count{stage="pre_call"}'):
            requests = float(line.rsplit(" ", 1)[1])
    return total / requests * 1000 if requests else float("nan")


def report(results: dict[str, list[dict[str, Any]]], rates: list[int], sat_rate: int, hook_ms: float | None = None,
           prices: dict[str, dict[str, Any]] | None = None) -> str:
    direct = {r["rate"]: r for r in results["direct"] if not r.get("saturation")}
    lines = [
        f"Benchmark: {os.cpu_count()} CPUs, one proxy worker, fake upstream with {UPSTREAM_LATENCY_MS} ms latency, chat requests (k6 constant arrival rate).",
        "",
        "| target | offered req/s | achieved req/s | p50 ms | p95 ms | p99 ms | failed | p50 overhead vs direct ms | LiteLLM overhead header p50 ms | proxy CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for row in rows:
            offered = f"{row['rate']} (saturation)" if row.get("saturation") else str(row["rate"])
            base = direct.get(row["rate"])
            over = f"{row['p50'] - base['p50']:.1f}" if base and name != "direct" and not row.get("saturation") else "-"
            header = "-" if row["overhead_p50"] is None else f"{row['overhead_p50']:.2f}"
            cpu = "-" if row.get("cpu_ms_per_request") is None else f"{row['cpu_ms_per_request']:.2f}"
            lines.append(f"| {name} | {offered} | {row['rps']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} | {row['failed'] * 100:.1f}% | {over} | {header} | {cpu} |")
    if "bundle" in results and "bundle-nohooks" in results:
        mid = rates[len(rates) // 2]
        with_h = next(r for r in results["bundle"] if r["rate"] == mid and not r.get("saturation"))
        without = next(r for r in results["bundle-nohooks"] if r["rate"] == mid and not r.get("saturation"))
        lines += ["", f"Hooks cost at {mid} req/s: p50 {with_h['p50'] - without['p50']:+.2f} ms end to end; "
                  f"LiteLLM overhead header p50 {((with_h['overhead_p50'] or 0) - (without['overhead_p50'] or 0)):+.2f} ms."]
        if hook_ms is not None:
            lines.append(f"Time inside the hooks per request, measured in the proxy (gateway_hook_duration_seconds, all fixed-rate runs): {hook_ms:.3f} ms mean.")
    per_core = {}
    for name, rows in results.items():
        cpu = [r["cpu_ms_per_request"] for r in rows if r.get("cpu_ms_per_request") and not r.get("saturation")]
        if cpu:
            per_core[name] = 1000 / (sum(cpu) / len(cpu))
    if per_core:
        lines.append("Throughput per core from proxy CPU per request (mean of the fixed-rate runs): "
                     + ", ".join(f"{n} {v:.0f} req/s" for n, v in per_core.items()) + ".")
    if "bundle" in per_core and "bundle-nohooks" in per_core:
        lines.append(f"Per core, the bundle reaches {per_core['bundle'] / per_core['bundle-nohooks'] * 100:.0f}% of the same LiteLLM features "
                     "without the gateway hooks and guardrails (bundle-nohooks)"
                     + (f" and {per_core['bundle'] / per_core['plain'] * 100:.0f}% of the plain config." if "plain" in per_core else "."))
    sat = {name: next(r for r in rows if r.get("saturation"))["rps"] for name, rows in results.items()}
    if "plain" in sat and "bundle" in sat:
        lines.append(f"Saturation throughput per worker: plain {sat['plain']} req/s, bundle {sat['bundle']} req/s ({sat['bundle'] / sat['plain'] * 100:.0f}% of plain).")
    lines += price_list(rates, prices or {})
    return "\n".join(lines) + "\n"


def price_list(rates: list[int], prices: dict[str, dict[str, Any]]) -> list[str]:
    """What each LiteLLM feature of the bundle costs on its own, against the plain run just before it."""
    if not prices:
        return []
    mid = rates[len(rates) // 2]
    lines = ["", f"Price of each LiteLLM feature at {mid} req/s, on top of the plain config, each against the plain run just before it:", "",
             "| target | proxy CPU ms/request | vs plain | LiteLLM overhead header p50 ms |", "|---|---|---|---|"]
    baseline = None
    for name, row in prices.items():
        cpu = row.get("cpu_ms_per_request") or 0.0
        if name.startswith("plain ("):
            baseline = cpu
            lines.append(f"| {name} | {cpu:.2f} | - | {row['overhead_p50'] or 0:.2f} |")
        else:
            versus = f"{(cpu / baseline - 1) * 100:+.0f}%" if baseline else "-"
            lines.append(f"| {name} | {cpu:.2f} | {versus} | {row['overhead_p50'] or 0:.2f} |")
    return lines


def plot(results: dict[str, list[dict[str, Any]]], file: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, rows in results.items():
        pts = sorted((r["rps"], r["p50"], r["p95"]) for r in rows)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{name} p50")
        ax.plot([p[0] for p in pts], [p[2] for p in pts], marker="x", linestyle="--", label=f"{name} p95")
    ax.set_xlabel("achieved requests/s")
    ax.set_ylabel("latency (ms)")
    ax.set_yscale("log")
    ax.set_title("Latency against request rate (one worker)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(file, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
