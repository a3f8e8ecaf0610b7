#!/usr/bin/env python3
"""`make bench`: side by side in one run on one machine, with k6 (constant arrival rate, chat requests):

  direct          the fake provider itself (20 ms simulated model latency)
  plain           the proxy with a plain default config (model_list only) and LiteLLM's default
                  environment (no LITELLM_LOG, no Redis)
  bundle-nohooks  the proxy with the rendered dev config minus the gateway hooks and guardrails:
                  the same LiteLLM features as the bundle (prometheus, Redis router state, enforced rpm)
  bundle          the proxy with the rendered dev config, hooks, guardrails, prometheus, Redis
  bundle-2w       the bundle with two workers in one proxy (the prod pod's shape), at 60, 80 and 100 % of the
                  pod rate too (the highest of them that meets the overhead goal is reported)

at fixed request rates and at saturation; the bundle targets run at the production log level
(WARNING, as prod renders). The proxies run on the interpreter of `--image-venv` (the official image's
Python; `make bench` builds it), else on this one. Then one rotation that starts its proxies once and
alternates short runs between them (A B C, C B A, ...) so the machine's drift over minutes cancels;
medians are reported:
  prices  plain, plain+prometheus, plain+redis+rpm (each LiteLLM feature the bundle turns on, on top of
          the plain config, exactly as the renderer writes it), against plain
  levers  the bundle against itself without the hooks (bundle-nohooks), on the dev venv's Python,
          with prometheus_metrics_config restricted to the metrics the dashboard and alerts read,
          and with httptools (`--httptools DIR`)
`--profile` records a py-spy flame graph of the bundle under load (bench-results/profile-bundle.svg), then plain and the
bundle as collapsed stacks, and reports ms per request per cost centre (scripts/bench_profile.py) side by side.
Writes bench-results/bench.md (table, also printed), bench-results/bench.json and
bench-results/latency_vs_rate.png. Figures depend on the machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_agents
import bench_profile
import bench_setup
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.checks import dashboards
from litellm_bundle.core.facts import FAKE_PROVIDER_KEY, HOOKS_PACKAGE, LIVENESS_PATH, METRICS_PATH
from litellm_bundle.core.tree import BundleTree, find_root
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.model import sizing
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render import env_example
from litellm_bundle.runtime import launch, localenv, metrics, processes
from litellm_bundle.runtime.k6 import load_env
from litellm_bundle.runtime.k6 import script as load_script

ROOT = find_root(Path(__file__).resolve().parent)
TREE = BundleTree.at(ROOT)
KEY = env_example.GENERATED["LITELLM_MASTER_KEY"]()
UPSTREAM_LATENCY_MS = 20
PLAIN_DEPLOYMENT = "gpt-4o-fake"  # the deployment of dev the plain config mirrors (chat; /v1/responses)
# the plain config's deployments: dev's fake ones the routes reach (bench_agents.ROUTES)
PLAIN_DEPLOYMENTS = tuple(dict.fromkeys((PLAIN_DEPLOYMENT, *(r.deployment for r in bench_agents.ROUTES))))
POD_GOAL_OVERHEAD_MS = bench_agents.OVERHEAD_GOAL_MS  # issue 16: the prod pod, its declared rate, p50 overhead
POD_STEPS = (
    0.6,
    0.8,
)  # fractions of the pod rate the 2-worker proxy also runs at: the highest rate that meets the overhead goal


def group_cpu_seconds(pgid: int | None) -> float:
    return processes.group_cpu_seconds(pgid) if pgid is not None else 0.0


FAKE_PGID: list[int] = []  # the fake provider's process group, once started


def load_cpu_seconds() -> float:
    """CPU of the load side: finished child processes (every k6 run) and the fake provider."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime + sum(processes.group_cpu_seconds(g) for g in FAKE_PGID)


def k6(
    url: str,
    rate: int,
    duration: str,
    model: str,
    summary: Path,
    key: str = KEY,
    max_vus: int | None = None,
    pgid: int | None = None,
    api: str = "chat",
    stream: bool = False,
) -> dict[str, Any]:
    """One k6 run of scripts/load.js; `api`: its API (chat, messages, responses), every request streamed or none."""
    # evenly spaced arrivals lock onto the proxy's own cycle (request, 20 ms upstream, logging after the
    # response): at 28-36 req/s one worker's overhead header doubled; jittered, no period to lock onto
    variables = load_env(
        url, key, rate, duration, summary, model, stream_ratio=1 if stream else 0, arrivals="jittered", vus=max_vus
    )
    env = {**os.environ, **variables, "API": api}
    cpu_before, load_before = group_cpu_seconds(pgid), load_cpu_seconds()
    subprocess.run(
        [launch.bin_path("k6"), "run", "-q", str(load_script(TREE))],
        env=env,
        capture_output=True,
        text=True,
        cwd=summary.parent,
    )
    cpu = group_cpu_seconds(pgid) - cpu_before
    load = load_cpu_seconds() - load_before
    data = json.loads(summary.read_text())["metrics"]
    duration_s = float(duration.rstrip("s"))
    trend = data["http_req_duration"]["values"]
    overhead = data.get("litellm_overhead_ms", {}).get("values", {})
    requests = data["http_reqs"]["values"]["count"]
    return {
        "rate": rate,
        "requests": requests,
        # answers LiteLLM's Rust core served (its x-litellm-rust header)
        "rust": data.get("rust_handled", {}).get("values", {}).get("count", 0),
        "rps": round(requests / duration_s, 1),
        "p50": round(trend["med"], 2),
        "p95": round(trend["p(95)"], 2),
        "p99": round(trend["p(99)"], 2),
        "failed": round(data["http_req_failed"]["values"]["rate"], 4),
        "overhead_p50": round(overhead["med"], 2) if overhead else None,
        # proxy CPU per request: the per-core cost, far steadier than saturation throughput on a shared machine
        "cpu_ms_per_request": round(cpu * 1000 / data["http_reqs"]["values"]["count"], 2)
        if pgid and data["http_reqs"]["values"]["count"]
        else None,
        # cores busy during the run: the proxy's, and the load's (k6 and the fake provider share the machine)
        "proxy_cores": round(cpu / duration_s, 2) if pgid else None,
        "load_cores": round(load / duration_s, 2),
    }


def plain_config(fake: str) -> dict[str, Any]:
    """LiteLLM with a model_list only: dev's fake deployments of PLAIN_DEPLOYMENTS as rendered (model, the
    price they stand in for: model_info.base_model) and the master key, nothing else."""
    dev = YAML(typ="safe").load(launch.committed_files(TREE, "dev")["config.yaml"])
    entries = {e["model_info"]["id"]: e for e in dev["model_list"]}
    return {
        "model_list": [
            {
                "model_name": entries[name]["model_name"],
                "litellm_params": {
                    "model": entries[name]["litellm_params"]["model"],
                    "api_base": f"{fake}/v1",
                    "api_key": FAKE_PROVIDER_KEY,
                },
                "model_info": {"id": name, "base_model": entries[name]["model_info"]["base_model"]},
            }
            for name in PLAIN_DEPLOYMENTS
        ],
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }


# the LiteLLM features the dev environment turns on, as switches of its sources (overlay keys, rpm limits)
FEATURES: dict[str, dict[str, bool]] = {
    "prometheus": {"prometheus": True},
    "redis": {"redis": True},
    "redis+rpm": {"redis": True, "rpm": True},
}
PRICED = ("prometheus", "redis+rpm")


def variant_config(
    work: Path, name: str, prometheus: bool = False, redis: bool = False, rpm: bool = False
) -> dict[str, Any]:
    """The renderer's dev config.yaml for a copy of config/ with these LiteLLM features on or off."""
    sources = work / f"config-{name}"
    if sources.exists():
        shutil.rmtree(sources)
    shutil.copytree(TREE.config_dir, sources)
    yaml = YAML(typ="rt")
    overlay_file = sources / "environments" / "dev.yaml"
    overlay = yaml.load(overlay_file.read_text())
    overlay["prometheus"] = prometheus
    if not prometheus:
        overlay.pop("slo", None)  # SLOs are measured through Prometheus: the sources refuse one without it
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
        return {
            k: (delta(before[k], v) if k in before else v)
            for k, v in after.items()
            if k not in before or before[k] != v
        }
    if (
        isinstance(before, list)
        and isinstance(after, list)
        and all(not isinstance(x, (dict, list)) for x in [*before, *after])
    ):
        return [x for x in after if x not in before]
    return after


def feature_settings(work: Path, feature: str) -> dict[str, Any]:
    """The settings the renderer adds for one feature: its dev config with the feature on, against off.
    model_list: deployment id -> added litellm_params."""
    off, on = variant_config(work, "off"), variant_config(work, feature, **FEATURES[feature])
    entries = {e["model_info"]["id"]: e["litellm_params"] for e in off["model_list"]}
    settings = delta(
        {k: v for k, v in off.items() if k != "model_list"}, {k: v for k, v in on.items() if k != "model_list"}
    )
    settings["model_list"] = {
        e["model_info"]["id"]: delta(entries[e["model_info"]["id"]], e["litellm_params"]) for e in on["model_list"]
    }
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
    env = bench_setup.proxy_env(launch.proxy_env({"LITELLM_MASTER_KEY": KEY}))
    for name in ("LITELLM_LOG", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "GATEWAY_HOOKS_LOG_LEVEL"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def without_hooks(config_file: Path) -> None:
    """The staged bundle config minus the gateway hooks and guardrails: the same LiteLLM features."""
    config = YAML(typ="safe").load(config_file.read_text())
    config["litellm_settings"]["callbacks"] = [
        c for c in config["litellm_settings"]["callbacks"] if not c.startswith(HOOKS_PACKAGE)
    ]
    config.pop("guardrails", None)
    config_file.write_text(dump_yaml(config))


@dataclass
class Arm:
    """One proxy of a rotation: a config, its environment and the interpreter's `litellm`; without a config,
    the fake provider itself at `url` (direct)."""

    name: str
    config: Path | None
    env: dict[str, str]
    binary: str | None = None
    workers: int = 1
    url: str | None = None


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The medians of a rotation arm's runs, with the spread of CPU per request and the share of answers
    LiteLLM's Rust core served."""
    cpu = [r["cpu_ms_per_request"] for r in rows if r.get("cpu_ms_per_request")]
    over = [r["overhead_p50"] for r in rows if r.get("overhead_p50") is not None]
    requests = sum(r.get("requests", 0) for r in rows)
    return {
        "runs": len(rows),
        "rps": statistics.median(r["rps"] for r in rows),
        "p50": statistics.median(r["p50"] for r in rows),
        "p95": statistics.median(r["p95"] for r in rows),
        "cpu_ms_per_request": statistics.median(cpu) if cpu else None,
        "cpu_min": min(cpu) if cpu else None,
        "cpu_max": max(cpu) if cpu else None,
        "overhead_p50": statistics.median(over) if over else None,
        "rust_share": sum(r.get("rust", 0) for r in rows) / requests if requests else 0.0,
    }


Started = list[tuple[Arm, Any, str]]  # an arm, its proxy process (None: direct), its URL


def start_arms(arms: list[Arm], tmp: Path, model: str) -> Started:
    """Start every arm's proxy (warmed up with `model`); direct arms start nothing. The caller stops them."""
    started: Started = []
    try:
        for arm in arms:
            if arm.config is None:
                started.append((arm, None, arm.url or ""))
                continue
            started.append(
                (arm, *start(arm.name, arm.config, arm.env, tmp, model, workers=arm.workers, binary=arm.binary))
            )
    except BaseException:
        stop_arms(started)
        raise
    return started


def stop_arms(started: Started) -> None:
    for _, proc, _ in started:
        if proc is not None:
            processes.stop(proc)


def alternate(
    started: Started,
    rate: int,
    duration: str,
    repeats: int,
    tmp: Path,
    model: str = "gpt-4o",
    route: bench_agents.Route | None = None,
) -> dict[str, dict[str, Any]]:
    """Runs A B C, C B A, ... `repeats` times each over started arms; medians per arm. `route`: an agent route
    (its API, streaming, and the fake's model for direct arms), else chat with `model`."""
    rows: dict[str, list[dict[str, Any]]] = {arm.name: [] for arm, _, _ in started}
    api, stream = (route.api, route.stream) if route else ("chat", False)
    for i in range(repeats):
        for arm, proc, url in started if i % 2 == 0 else started[::-1]:
            asked = model if route is None else route.direct_model if arm.config is None else route.group
            pgid = proc.pid if proc is not None else None
            row = k6(url, rate, duration, asked, tmp / "rotation.json", pgid=pgid, api=api, stream=stream)
            rows[arm.name].append(row)
            print(f"{api:9s} {arm.name:40s} {rate:4d} req/s run {i + 1}/{repeats} -> {row}", flush=True)
    return {name: {**median_row(r), "all": r} for name, r in rows.items()}


def rotate(
    arms: list[Arm], rate: int, duration: str, repeats: int, tmp: Path, model: str = "gpt-4o"
) -> dict[str, dict[str, Any]]:
    """Start every arm once, then alternate runs A B C, C B A, ... `repeats` times each; medians per arm."""
    started = start_arms(arms, tmp, model)
    try:
        return alternate(started, rate, duration, repeats, tmp, model)
    finally:
        stop_arms(started)


def dashboard_metrics() -> list[str]:
    """LiteLLM's metric families the dashboard and the alerts read (sample suffixes stripped)."""
    text = "\n".join(q.expr for q in dashboards.queries(TREE)) + TREE.alerts_file.read_text(encoding="utf-8")
    names = {re.sub(r"_(total|bucket|sum|count)$", "", m) for m in re.findall(r"\blitellm_[a-z_]+", text)}
    return sorted(names)


def with_metrics_config(config_file: Path, dest: Path) -> Path:
    """A staged config with prometheus_metrics_config restricted to dashboard_metrics()."""
    config = YAML(typ="safe").load(config_file.read_text())
    config["litellm_settings"]["prometheus_metrics_config"] = [
        {"group": "dashboard-and-alerts", "metrics": dashboard_metrics()}
    ]
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(config_file.parent / HOOKS_PACKAGE, dest / HOOKS_PACKAGE, dirs_exist_ok=True)
    shutil.copy(config_file.parent / "hooks.json", dest / "hooks.json")
    return write_config(dest, config)


def python_version(binary: str | None) -> str:
    """X.Y of the interpreter next to a `litellm` console script (None: this one)."""
    if binary is None:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    out = subprocess.run(
        [
            str(Path(binary).parent / "python"),
            "-c",
            "import sys; print(f'{sys.version_info.major}.{sys.version_info.minor}')",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def profile(arm: Arm, rate: int, seconds: int, tmp: Path, output: Path, fmt: str) -> int:
    """py-spy over one proxy (all its workers) under k6 load at `rate`, as a flame graph or collapsed stacks
    (bench_profile); the requests served while it recorded. Needs ptrace (root)."""
    proc, url = start(arm.name, arm.config, arm.env, tmp, "gpt-4o", workers=arm.workers, binary=arm.binary)
    try:
        spy = bench_profile.record(launch.bin_path("py-spy"), proc.pid, seconds, output, fmt)
        time.sleep(1)
        row = k6(url, rate, f"{seconds}s", "gpt-4o", tmp / "profile.json")
        out, _ = spy.communicate(timeout=60)
        if spy.returncode != 0:
            print(f"py-spy failed ({spy.returncode}): {out.strip()[-500:]}", file=sys.stderr)
        return round(row["rps"] * seconds)
    finally:
        processes.stop(proc)


def cost_centres(plain: Arm, bundle: Arm, rate: int, seconds: int, tmp: Path) -> dict[str, dict[str, float]]:
    """Collapsed-stack profiles of plain and the bundle under the same load, as ms per request per cost centre."""
    figures = {}
    for arm in (plain, bundle):
        raw = tmp / f"profile-{arm.name}.txt"
        served = profile(arm, rate, seconds, tmp, raw, "raw")
        figures[arm.name] = bench_profile.ms_per_request(
            bench_profile.parse_raw(raw.read_text(errors="replace")), served
        )
    return figures


def redis_cli(port: int) -> list[str]:
    return [shutil.which("redis-cli") or "redis-cli", "-p", str(port)]


def reset_redis_stats(port: int) -> None:
    subprocess.run([*redis_cli(port), "config", "resetstat"], capture_output=True, check=True)


def redis_commands(port: int) -> dict[str, int]:
    """Calls per Redis command since the last reset_redis_stats (INFO commandstats)."""
    text = subprocess.run([*redis_cli(port), "info", "commandstats"], capture_output=True, text=True, check=True).stdout
    return {
        m[1]: int(m[2])
        for m in re.finditer(r"^cmdstat_([a-z|]+):calls=(\d+)", text, re.M)
        if not m[1].startswith(("config", "info"))
    }


def image_requirements() -> list[str]:
    """What the official image has besides litellm[proxy]: pyproject's runtime extra (prometheus_client, prisma, the
    OpenTelemetry SDK, langfuse). All of it matters to the figures: without the OpenTelemetry SDK the pinned LiteLLM
    retries a failing import of its OTel logger on every request (about 0.6 ms each, docs/performance.md)."""
    import tomllib

    return list(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["runtime"])


def rust_staged(
    files: dict[str, str], dest: Path, secrets: dict[str, str], with_redis: bool, hooks: bool = True
) -> Path:
    """The rendered dev config staged like the bundle's, with the Rust core on (bench_agents.rust_global);
    without the gateway hooks when `hooks` is false."""
    config = bench_agents.rust_global(YAML(typ="safe").load(files["config.yaml"]))
    changed = {**files, "config.yaml": dump_yaml(config)}
    staged = launch.stage_files(TREE, changed, dest, secrets, Policies(TREE).env_ref, with_redis=with_redis)
    if not hooks:
        without_hooks(staged.config)
    return staged.config


def agents(
    routes: list[bench_agents.Route],
    proxies: dict[str, tuple[Path, dict[str, str]]],
    pod: dict[str, tuple[Path, dict[str, str], bool]],
    fake_url: str,
    image_bin: str | None,
    args: argparse.Namespace,
    tmp: Path,
) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, dict[str, list[dict[str, Any]]]]]:
    """The agent routes: one rotation per route at --agent-rate over direct and `proxies` (name -> config, env;
    the Rust arms only where the route has a Rust path), every proxy started once; then direct and the two-worker
    `pod` proxies (name -> config, env, Rust core on) at bench_agents.pod_rates, per route.
    Returns (rotations, pod runs by route and target), by route."""
    arms = [Arm("direct", None, {}, url=fake_url)] + [Arm(n, c, e, image_bin) for n, (c, e) in proxies.items()]
    rotations: dict[str, dict[str, dict[str, Any]]] = {}
    started = start_arms(arms, tmp, "gpt-4o")
    try:
        for route in routes:
            names = bench_agents.arms_for(route, [arm.name for arm in arms])
            subset = [s for s in started if s[0].name in names]
            alternate(subset, 5, "3s", 1, tmp, route=route)  # warm-up: the route's code paths, not measured
            bundle_url = next(url for arm, _, url in subset if arm.name == "bundle")
            before = hooks_totals(bundle_url)
            rotations[route.api] = alternate(
                subset, args.agent_rate, args.rotation_duration, args.repeats, tmp, route=route
            )
            rotations[route.api]["bundle"]["hooks_ms"] = hooks_time_ms(bundle_url, before)
    finally:
        stop_arms(started)
    rates = bench_agents.pod_rates(args.pod_rate)
    pods: dict[str, dict[str, list[dict[str, Any]]]] = {
        route.api: {
            "direct": [
                k6(
                    fake_url,
                    rate,
                    args.duration,
                    route.direct_model,
                    tmp / "pod.json",
                    api=route.api,
                    stream=route.stream,
                )
                for rate in rates
            ]
        }
        for route in routes
    }
    for name, (config, env, rust) in pod.items():
        proc, url = start(name, config, env, tmp, "gpt-4o", workers=2, binary=image_bin)
        try:
            for route in [r for r in routes if not rust or r.rust()]:
                alternate([(Arm(name, config, env), proc, url)], 5, "3s", 1, tmp, route=route)  # warm-up
                rows = pods[route.api].setdefault(name, [])
                for rate in rates:
                    rows.append(
                        k6(
                            url,
                            rate,
                            args.duration,
                            route.group,
                            tmp / "pod.json",
                            pgid=proc.pid,
                            api=route.api,
                            stream=route.stream,
                        )
                    )
                    print(f"{route.api:9s} {name:40s} {rate:4d} req/s offered -> {rows[-1]}", flush=True)
        finally:
            processes.stop(proc)
    return rotations, pods


def main() -> int:
    if sys.argv[1:] == ["--image-requirements"]:  # for the Makefile's image venv
        print(" ".join(image_requirements()))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="10,30,50", help="fixed request rates (req/s)")
    parser.add_argument("--duration", default="15s", help="per fixed rate")
    parser.add_argument("--saturation-rate", type=int, default=250, help="offered rate for the saturation run")
    parser.add_argument(
        "--pod-rate", type=int, default=100, help="the per-pod rate the 2-worker row must sustain (issue 16: 100)"
    )
    parser.add_argument(
        "--image-venv",
        help="venv with the pinned litellm on the official image's Python (make bench builds .tools/py313)",
    )
    parser.add_argument(
        "--httptools", help="directory holding httptools for the image venv's Python (a lever: uvicorn picks it up)"
    )
    parser.add_argument(
        "--agent-rate",
        type=int,
        default=15,
        help="req/s of the agent routes' rotation: a streamed /v1/messages request costs about twice a chat "
        "request's CPU, so this is about the share of a worker chat's middle rate uses",
    )
    parser.add_argument("--repeats", type=int, default=4, help="runs per arm in the rotations")
    parser.add_argument("--rotation-duration", default="10s", help="per run in the rotations")
    parser.add_argument("--no-features", action="store_true", help="skip the rotations (feature prices and levers)")
    parser.add_argument("--profile", action="store_true", help="record a py-spy flame graph of the bundle under load")
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="NAME=VENV",
        help="only the alternated rotation of the bundle (dev config) on each venv's litellm, one row each, at the "
        "middle rate (make upgrade: the current version against the target); writes OUT/compare.json",
    )
    parser.add_argument(
        "--routes",
        default=",".join(["chat", *(r.api for r in bench_agents.ROUTES)]),
        help="what to measure: chat (the side-by-side rows, the rotation of features and levers, the profile) and "
        "the coding agents' routes (messages, responses: bench_agents.py)",
    )
    parser.add_argument("--out", default=str(ROOT / "bench-results"))
    args = parser.parse_args()
    # stopped (timeout, kill): the finally blocks below stop the proxies, the fake provider and Redis, which run
    # in sessions of their own and would outlive the bench
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    chosen = args.routes.split(",")
    agent_routes = [r for r in bench_agents.ROUTES if r.api in chosen]
    if set(chosen) - {"chat", *(r.api for r in bench_agents.ROUTES)}:
        print(f"error: --routes takes chat and {', '.join(r.api for r in bench_agents.ROUTES)}", file=sys.stderr)
        return 2
    # paths before the bench moves to its scratch directory (the proxies' working directory)
    args.httptools = str(Path(args.httptools).resolve()) if args.httptools else None
    compare = [tuple(pair.split("=", 1)) for pair in args.compare or []]
    if any(len(pair) != 2 for pair in compare):
        print("error: --compare takes NAME=VENV pairs", file=sys.stderr)
        return 2
    rates = [int(r) for r in args.rates.split(",")]
    mid = rates[len(rates) // 2]
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    image_bin = None
    if args.image_venv:
        image_bin = str(Path(args.image_venv).resolve() / "bin" / "litellm")
        if not Path(image_bin).exists():
            print(f"error: no litellm in {args.image_venv} (make bench builds it)", file=sys.stderr)
            return 2
    pythons = {"proxy": python_version(image_bin), "dev": python_version(None)}
    results: dict[str, list[dict[str, Any]]] = {}
    rotation: dict[str, dict[str, Any]] = {}
    hook_ms: dict[str, float] = {}
    centres: dict[str, dict[str, float]] = {}
    redis_per_request: dict[str, float] = {}
    agent_rotations: dict[str, dict[str, dict[str, Any]]] = {}
    agent_pods: dict[str, dict[str, list[dict[str, Any]]]] = {}
    home = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp_name:
        tmp = Path(tmp_name).resolve()
        # the proxies start here, not in the checkout (LiteLLM puts its working directory on sys.path)
        os.chdir(tmp)
        fake_port, redis_port = processes.free_port(), processes.free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        fake = launch.start_fake_provider(
            TREE, fake_port, tmp / "fake.log", "--no-record", "--latency-ms", str(UPSTREAM_LATENCY_MS)
        )
        redis = launch.start_redis(redis_port, tmp / "redis.log")
        FAKE_PGID[:] = [fake.pid]
        try:
            processes.wait_healthy(f"{fake_url}/health", 30, fake)
            if redis is not None:
                processes.wait_port(redis_port, 20, redis)
            secrets = {
                **localenv.local_secrets(fake_url, redis_port if redis is not None else None),
                "LITELLM_MASTER_KEY": KEY,
            }
            bundle_env = bench_setup.proxy_env(
                launch.proxy_env({**secrets, "LITELLM_LOG": "WARNING", "GATEWAY_HOOKS_LOG_LEVEL": "WARNING"})
            )
            plain = plain_config(fake_url)
            plain_file = write_config(tmp / "plain", plain)
            dev_files, env_ref = launch.committed_files(TREE, "dev"), Policies(TREE).env_ref
            nohooks = launch.stage_files(
                TREE, dev_files, tmp / "nohooks", secrets, env_ref, with_redis=redis is not None
            )
            without_hooks(nohooks.config)
            bundle = launch.stage_files(TREE, dev_files, tmp / "bundle", secrets, env_ref, with_redis=redis is not None)
            if compare:
                arms = [
                    Arm(name, bundle.config, bundle_env, launch.venv_proxy(Path(home, venv).resolve()))
                    for name, venv in compare
                ]
                rotation = rotate(arms, mid, args.rotation_duration, args.repeats, tmp)
                summary = {
                    "rate": mid,
                    "cpus": os.cpu_count(),
                    "duration": args.rotation_duration,
                    "rotation": rotation,
                }
                (out / "compare.json").write_text(json.dumps(summary, indent=2))
                print(f"wrote {out}/compare.json")
                return 0
            two_workers_env = {**bundle_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "multiproc-2w")}
            (tmp / "multiproc-2w").mkdir()
            pod_rates = sorted({mid, *(round(args.pod_rate * f) for f in POD_STEPS), args.pod_rate})
            # name, config, model, env, workers, rates
            targets: list[tuple[str, Path | None, str, dict[str, str], int, list[int]]] = [
                ("direct", None, "fake-gpt-4o", {}, 1, sorted({*rates, *pod_rates})),
                ("plain", plain_file, "gpt-4o", plain_env(), 1, rates),
                ("bundle-nohooks", nohooks.config, "gpt-4o", bundle_env, 1, rates),
                ("bundle", bundle.config, "gpt-4o", bundle_env, 1, rates),
                ("bundle-2w", bundle.config, "gpt-4o", two_workers_env, 2, pod_rates),
            ]
            if "chat" not in chosen:
                targets = []
            for name, config, model, env, workers, target_rates in targets:
                proc, url = (
                    (None, fake_url)
                    if config is None
                    else start(name, config, env, tmp, model, workers=workers, binary=image_bin)
                )
                rows = []
                pgid = proc.pid if proc is not None else None
                if name == "bundle" and redis is not None:
                    reset_redis_stats(redis_port)
                for rate in target_rates:
                    rows.append(k6(url, rate, args.duration, model, tmp / f"{name}-{rate}.json", pgid=pgid))
                    print(f"{name:15s} {rate:4d} req/s offered -> {rows[-1]}", flush=True)
                if name == "bundle":
                    hook_ms[name] = hooks_time_ms(url)
                    if redis is not None:
                        served = sum(r["rps"] for r in rows) * float(args.duration.rstrip("s"))
                        redis_per_request = {cmd: n / served for cmd, n in redis_commands(redis_port).items()}
                sat = k6(
                    url, args.saturation_rate, args.duration, model, tmp / f"{name}-sat.json", max_vus=64, pgid=pgid
                )
                sat["saturation"] = True
                rows.append(sat)
                print(f"{name:15s} saturation ({args.saturation_rate} offered, 64 VUs) -> {sat}", flush=True)
                results[name] = rows
                if proc is not None:
                    processes.stop(proc)
                    time.sleep(1)
            if redis is not None and not args.no_features and "chat" in chosen:
                feature_env = plain_env({k: secrets[k] for k in ("REDIS_HOST", "REDIS_PORT")})
                price_arms = [Arm("plain", plain_file, feature_env, image_bin)]
                for feature in PRICED:
                    featured = write_config(
                        tmp / feature.replace("+", "-"), with_feature(plain, feature_settings(tmp, feature))
                    )
                    price_arms.append(Arm(f"plain+{feature}", featured, feature_env, image_bin))
                lever_arms = [
                    Arm(f"bundle (Python {pythons['proxy']})", bundle.config, bundle_env, image_bin),
                    Arm("bundle-nohooks", nohooks.config, bundle_env, image_bin),
                ]  # the hooks' and guardrails' whole share
                if image_bin is not None and pythons["dev"] != pythons["proxy"]:
                    lever_arms.append(
                        Arm(f"bundle on Python {pythons['dev']} (dev venv)", bundle.config, bundle_env, None)
                    )
                lever_arms.append(
                    Arm(
                        "bundle + prometheus_metrics_config",
                        with_metrics_config(bundle.config, tmp / "metrics-config"),
                        bundle_env,
                        image_bin,
                    )
                )
                if args.httptools:
                    path = ":".join(p for p in (str(Path(args.httptools).resolve()), bundle_env.get("PYTHONPATH")) if p)
                    lever_arms.append(
                        Arm("bundle + httptools", bundle.config, {**bundle_env, "PYTHONPATH": path}, image_bin)
                    )
                # one rotation: every ratio (features against plain, levers against the bundle) from alternated runs
                rotation = rotate(price_arms + lever_arms, mid, args.rotation_duration, args.repeats, tmp)
            if agent_routes:
                with_redis = redis is not None
                rust_env = {bench_agents.RUST_ENV: "true"}
                per_model = bench_agents.rust_per_model(plain, *{r.provider for r in agent_routes if r.rust()})
                bundle_rust = rust_staged(dev_files, tmp / "bundle-rust", secrets, with_redis)
                configs = {
                    "plain": (plain_file, plain_env()),
                    "plain-global": (plain_file, {**plain_env(), **rust_env}),
                    "plain-per-model": (write_config(tmp / "plain-rust-model", per_model), plain_env()),
                    "nohooks": (nohooks.config, bundle_env),
                    "nohooks-global": (
                        rust_staged(dev_files, tmp / "nohooks-rust", secrets, with_redis, hooks=False),
                        {**bundle_env, **rust_env},
                    ),
                    "bundle": (bundle.config, bundle_env),
                    "bundle-global": (bundle_rust, {**bundle_env, **rust_env}),
                }
                any_rust = any(r.rust() for r in agent_routes)  # the Rust arms only where a route has a Rust path
                proxies = {
                    name: configs[base if rust is None else f"{base}-{rust}"]
                    for name, base, rust in bench_agents.PROXIES
                    if rust is None or any_rust
                }
                (tmp / "multiproc-2w-agents").mkdir()
                (tmp / "multiproc-2w-rust").mkdir()
                pod = {
                    "bundle-2w": (
                        bundle.config,
                        {**bundle_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "multiproc-2w-agents")},
                        False,
                    ),
                    "bundle-2w + LITELLM_RUST": (
                        bundle_rust,
                        {**bundle_env, **rust_env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "multiproc-2w-rust")},
                        True,
                    ),
                }
                if not any_rust:
                    pod = {k: v for k, v in pod.items() if not v[2]}
                agent_rotations, agent_pods = agents(agent_routes, proxies, pod, fake_url, image_bin, args, tmp)
            if args.profile:
                bundle_arm = Arm("bundle", bundle.config, bundle_env, image_bin)
                profile(bundle_arm, mid, 20, tmp, out / "profile-bundle.svg", "flamegraph")
                centres = cost_centres(Arm("plain", plain_file, plain_env(), image_bin), bundle_arm, mid, 30, tmp)
        finally:
            processes.stop(fake)
            if redis is not None:
                processes.stop(redis)
            os.chdir(home)
            logs = out / "logs"  # every proxy's log of this run, for what the figures do not say
            shutil.rmtree(logs, ignore_errors=True)
            logs.mkdir()
            for log in tmp.glob("*.log"):
                shutil.copy(log, logs / log.name)
    prod = YAML(typ="safe").load((TREE.config_dir / "environments" / "prod.yaml").read_text())
    table = (
        report(
            results,
            rates,
            args.saturation_rate,
            hook_ms.get("bundle"),
            rotation,
            args.pod_rate,
            pythons,
            sizing.declared(prod),
        )
        if results
        else f"Benchmark: {os.cpu_count()} CPUs, proxies on Python {pythons['proxy']}, one proxy worker unless the "
        f"name says otherwise, fake upstream with {UPSTREAM_LATENCY_MS} ms latency (k6 constant arrival rate, each "
        "arrival jittered within its slot).\n"
    )
    table += (
        "\n".join(
            redis_lines(redis_per_request)
            + (bench_profile.table(centres["plain"], centres["bundle"], mid) if centres else [])
            + bench_agents.report(args.agent_rate, agent_rotations, agent_pods, args.pod_rate)
        )
        + "\n"
    )
    (out / "bench.md").write_text(table)
    (out / "bench.json").write_text(
        json.dumps(
            {
                "upstream_latency_ms": UPSTREAM_LATENCY_MS,
                "cpus": os.cpu_count(),
                "pythons": pythons,
                "results": results,
                "rotation": rotation,
                "redis_commands_per_request": redis_per_request,
                "profile_ms_per_request": centres,
                "agents": {"rotations": agent_rotations, "pod": agent_pods},
            },
            indent=2,
        )
    )
    if results:
        plot(results, out / "latency_vs_rate.png")
    print(table)
    print(
        f"wrote {out}/bench.md, bench.json"
        + (", latency_vs_rate.png" if results else "")
        + (", profile-bundle.svg" if args.profile else "")
    )
    return 0


def redis_lines(per_request: dict[str, float]) -> list[str]:
    if not per_request:
        return []
    parts = ", ".join(f"{cmd.upper()} {n:.2f}" for cmd, n in sorted(per_request.items(), key=lambda kv: -kv[1]))
    return [
        "",
        "Redis commands per request of the bundle (fixed-rate runs, INFO commandstats; a Lua script's commands "
        "count too): "
        f"{sum(per_request.values()):.1f} in all: {parts}.",
    ]


def write_config(directory: Path, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.yaml").write_text(dump_yaml(config))
    return directory / "config.yaml"


def start(
    name: str, config: Path, env: dict[str, str], tmp: Path, model: str, workers: int = 1, binary: str | None = None
) -> tuple[Any, str]:
    """Start one proxy, wait until healthy and warm it up (imports, tokenizers, connections; every worker)."""
    port = processes.free_port()
    proc = launch.start_proxy(config, port, env, tmp / f"{name}.log", workers=workers, binary=binary)
    url = f"http://127.0.0.1:{port}"
    processes.wait_healthy(f"{url}{LIVENESS_PATH}", 120, proc, tmp / f"{name}.log")
    k6(url, 5 * workers, "3s", model, tmp / "warmup.json")
    return proc, url


def hooks_totals(url: str) -> tuple[float, float]:
    """Seconds spent inside the gateway hooks (every stage) and the requests they saw, from /metrics/."""
    import httpx

    text = httpx.get(f"{url}{METRICS_PATH}", timeout=10).text
    spent = metrics.total(text, "gateway_hook_duration_seconds_sum")  # every stage
    return spent, metrics.total(text, "gateway_hook_duration_seconds_count", stage="pre_call")


def hooks_time_ms(url: str, since: tuple[float, float] = (0.0, 0.0)) -> float:
    """Mean time per request spent inside the gateway hooks (pre_call callback + guardrails), from /metrics/;
    `since`: hooks_totals before the requests to count."""
    spent, requests = (now - before for now, before in zip(hooks_totals(url), since, strict=True))
    return spent / requests * 1000 if requests else float("nan")


def fixed(rows: list[dict[str, Any]], rate: int) -> dict[str, Any] | None:
    return next((r for r in rows if r["rate"] == rate and not r.get("saturation")), None)


def report(
    results: dict[str, list[dict[str, Any]]],
    rates: list[int],
    sat_rate: int,
    hook_ms: float | None = None,
    rotation: dict[str, dict[str, Any]] | None = None,
    pod_rate: int | None = None,
    pythons: dict[str, str] | None = None,
    declared: tuple[float, float] | None = None,
) -> str:
    direct = {r["rate"]: r for r in results["direct"] if not r.get("saturation")}
    python = f", proxies on Python {pythons['proxy']}" if pythons else ""
    lines = [
        f"Benchmark: {os.cpu_count()} CPUs{python}, one proxy worker unless the name says otherwise (bundle-2w: two), "
        f"fake upstream with {UPSTREAM_LATENCY_MS} ms latency, chat requests (k6 constant arrival rate, each "
        "arrival jittered within its slot).",
        "",
        "| target | offered req/s | achieved req/s | p50 ms | p95 ms | p99 ms | failed | p50 overhead vs direct ms "
        "| LiteLLM overhead header p50 ms | proxy CPU ms/request |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        for row in rows:
            offered = f"{row['rate']} (saturation)" if row.get("saturation") else str(row["rate"])
            base = direct.get(row["rate"])
            over = f"{row['p50'] - base['p50']:.1f}" if base and name != "direct" and not row.get("saturation") else "-"
            header = "-" if row["overhead_p50"] is None else f"{row['overhead_p50']:.2f}"
            cpu = "-" if row.get("cpu_ms_per_request") is None else f"{row['cpu_ms_per_request']:.2f}"
            lines.append(
                f"| {name} | {offered} | {row['rps']} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} | "
                f"{row['failed'] * 100:.1f}% | {over} | {header} | {cpu} |"
            )
    mid = rates[len(rates) // 2]
    if "bundle" in results and "bundle-nohooks" in results:
        with_h, without = fixed(results["bundle"], mid), fixed(results["bundle-nohooks"], mid)
        if with_h and without:
            lines += [
                "",
                f"Hooks cost at {mid} req/s: p50 {with_h['p50'] - without['p50']:+.2f} ms end to end; "
                "LiteLLM overhead header p50 "
                f"{((with_h['overhead_p50'] or 0) - (without['overhead_p50'] or 0)):+.2f} ms.",
            ]
        if hook_ms is not None:
            lines.append(
                "Time inside the hooks per request, measured in the proxy (gateway_hook_duration_seconds, all "
                f"fixed-rate runs): {hook_ms:.3f} ms mean."
            )
    per_core = {}
    for name, rows in results.items():
        cpu = [r["cpu_ms_per_request"] for r in rows if r.get("cpu_ms_per_request") and not r.get("saturation")]
        if cpu:
            per_core[name] = 1000 / (sum(cpu) / len(cpu))
    if per_core:
        lines.append(
            "Throughput per core from proxy CPU per request (mean of the fixed-rate runs): "
            + ", ".join(f"{n} {v:.0f} req/s" for n, v in per_core.items())
            + "."
        )
    if "bundle" in per_core and "bundle-nohooks" in per_core:
        lines.append(
            f"Per core, the bundle reaches {per_core['bundle'] / per_core['bundle-nohooks'] * 100:.0f}% of the same "
            "LiteLLM features "
            "without the gateway hooks and guardrails (bundle-nohooks)"
            + (
                f" and {per_core['bundle'] / per_core['plain'] * 100:.0f}% of the plain config."
                if "plain" in per_core
                else "."
            )
        )
    sat = {name: next(r for r in rows if r.get("saturation"))["rps"] for name, rows in results.items()}
    if "plain" in sat and "bundle" in sat:
        lines.append(
            f"Saturation throughput per worker: plain {sat['plain']} req/s, bundle {sat['bundle']} req/s "
            f"({sat['bundle'] / sat['plain'] * 100:.0f}% of plain)."
        )
    lines += two_workers(results, mid, sat, pod_rate)
    if declared and "bundle" in per_core:
        lines.append(
            f"Sizing (config/environments/prod.yaml): declared worker_rps {declared[1]:g}, measured here "
            f"{per_core['bundle']:.0f} req/s per core "
            f"for the bundle; {sizing.explain(*declared)}."
        )
    lines += rotation_table(mid, rotation or {})
    return "\n".join(lines) + "\n"


def two_workers(
    results: dict[str, list[dict[str, Any]]], mid: int, sat: dict[str, float], pod_rate: int | None
) -> list[str]:
    """The 2-worker row against one worker, and the pod goal: `pod_rate` sustained at p50 overhead
    <= POD_GOAL_OVERHEAD_MS."""
    if "bundle-2w" not in results or "bundle" not in sat:
        return []
    lines = [
        f"Two workers in one proxy (the prod pod's shape): saturation {sat['bundle-2w']} req/s, "
        f"{sat['bundle-2w'] / sat['bundle']:.2f}x one worker's {sat['bundle']} req/s."
    ]
    one, two = fixed(results["bundle"], mid), fixed(results["bundle-2w"], mid)
    if one and two and one.get("cpu_ms_per_request") and two.get("cpu_ms_per_request"):
        lines.append(
            f"Proxy CPU per request at {mid} req/s: two workers {two['cpu_ms_per_request']:.2f} ms, "
            f"{two['cpu_ms_per_request'] / one['cpu_ms_per_request']:.2f}x one worker's "
            f"{one['cpu_ms_per_request']:.2f} ms."
        )
    pod, base = (
        (fixed(results["bundle-2w"], pod_rate), fixed(results["direct"], pod_rate)) if pod_rate else (None, None)
    )
    if pod and base:
        overhead = pod["p50"] - base["p50"]
        met = meets_overhead_goal(pod, base)
        lines.append(
            f"Pod goal ({pod_rate} req/s sustained by two workers at p50 overhead <= {POD_GOAL_OVERHEAD_MS} ms): "
            f"{'met' if met else 'NOT met'} on this machine: {pod['rps']} req/s achieved, p50 overhead "
            f"{overhead:.1f} ms, "
            f"p95 {pod['p95']:.1f} ms, {pod['failed'] * 100:.1f}% failed"
            + (
                f"; the proxy used {pod['proxy_cores']:.2f} cores, k6 and the fake provider "
                f"{pod['load_cores']:.2f}, of {os.cpu_count()}."
                if pod.get("proxy_cores") is not None and pod.get("load_cores") is not None
                else "."
            )
        )
    lines += latency_bound(results)
    return lines


def meets_overhead_goal(row: dict[str, Any], base: dict[str, Any]) -> bool:
    return bench_agents.meets(row, base)


def latency_bound(results: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The highest offered rate at which the 2-worker proxy keeps up at p50 overhead <= POD_GOAL_OVERHEAD_MS."""
    pairs = [(row, fixed(results["direct"], row["rate"])) for row in results["bundle-2w"] if not row.get("saturation")]
    pairs = [(row, base) for row, base in pairs if base]
    if len(pairs) < 2:
        return []
    met = [row["rate"] for row, base in pairs if meets_overhead_goal(row, base)]
    steps = ", ".join(f"{row['rate']}: {row['p50'] - base['p50']:+.1f} ms" for row, base in pairs)
    bound = f"{max(met)} req/s" if met else "none of the rates run"
    return [
        f"Highest offered rate at which two workers keep up at p50 overhead <= {POD_GOAL_OVERHEAD_MS} ms: {bound} "
        f"(p50 overhead by offered rate: {steps})."
    ]


def rotation_table(mid: int, rotation: dict[str, dict[str, Any]]) -> list[str]:
    """Medians of the alternated runs: each feature against plain, each lever against the bundle (the first arm
    named bundle)."""
    if not rotation:
        return []
    plain = rotation.get("plain", {}).get("cpu_ms_per_request")
    bundle_name = next((n for n in rotation if n.startswith("bundle")), None)
    bundle = rotation[bundle_name]["cpu_ms_per_request"] if bundle_name else None
    runs = max(r["runs"] for r in rotation.values())
    lines = [
        "",
        f"Alternated at {mid} req/s (every proxy started once, {runs} runs each in the order A B C …, … C B A; "
        "medians):",
        "",
        "| target | proxy CPU ms/request (min–max) | vs plain | vs bundle | LiteLLM overhead header p50 ms | p50 ms |",
        "|---|---|---|---|---|---|",
    ]

    def ratio(value: float | None, base: float | None) -> str:
        return f"{(value / base - 1) * 100:+.0f}%" if value and base else "-"

    for name, row in rotation.items():
        cpu = row.get("cpu_ms_per_request")
        spread = f"{cpu:.2f} ({row['cpu_min']:.2f}–{row['cpu_max']:.2f})" if cpu else "-"
        versus_bundle = ratio(cpu, bundle) if name.startswith("bundle") and name != bundle_name else "-"
        lines.append(
            f"| {name} | {spread} | {ratio(cpu, plain) if name != 'plain' else '-'} | {versus_bundle} | "
            f"{row['overhead_p50'] or 0:.2f} | {row['p50']:.1f} |"
        )
    if plain and bundle:
        lines += [
            "",
            f"Per core, the bundle with every dev feature costs {bundle / plain:.2f}x the plain config's CPU per "
            "request "
            f"({1000 / bundle:.0f} vs {1000 / plain:.0f} req/s per core; goal <= 1.00x).",
        ]
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
    ax.set_title("Latency against request rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(file, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
