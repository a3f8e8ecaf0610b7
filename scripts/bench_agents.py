"""The coding agents' routes in `make bench`: Anthropic's /v1/messages streamed (Claude Code) and OpenAI's
/v1/responses (Codex), each through the plain proxy, the bundle without its hooks (the same LiteLLM
features) and the bundle, alternated with the fake provider itself (direct) at one rate; where the pinned
LiteLLM's Rust core covers the route, each proxy also with the Rust core on, globally (`LITELLM_RUST=true`)
and, for plain, per model (`rust: true` in the deployment's litellm_params). What runs lives in
scripts/bench.py; here: the routes, the Rust variants of a config and the report's table and goal lines.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

RUST_ENV = "LITELLM_RUST"  # LiteLLM's global switch (litellm/rust_bridge/configuration.py)
RUST_PARAM = "rust"  # its per-deployment litellm_params key (docs: proxy/rust_gateway)
# The routes and providers where the pinned LiteLLM's Rust core is opt-in (litellm/rust_bridge/catalog.py,
# RULES: RUST_OPT_IN); everything else on these routes is Python only. tests/unit/test_bench_agents.py
# holds this equal to the installed catalog.
RUST_OPT_IN: dict[str, frozenset[str]] = {"messages": frozenset({"anthropic", "deepseek", "vertex_ai"})}
CPU_GOAL = 1.10  # issue 26: per core, the bundle <= 1.10x the plain proxy with the same LiteLLM features
OVERHEAD_GOAL_MS = 20  # and p50 overhead <= 20 ms at the pod's declared rate


@dataclass(frozen=True)
class Route:
    """One agent route: load.js's API, the model group a proxy is asked for, the fake provider's model
    behind it (asked for directly), the dev deployment of that group and its provider, streamed or not."""

    api: str
    group: str
    direct_model: str
    deployment: str
    provider: str
    stream: bool

    def rust(self) -> bool:
        """The pinned LiteLLM's Rust core can serve this route's deployment (opt-in)."""
        return self.provider in RUST_OPT_IN.get(self.api, frozenset())


ROUTES = (
    Route("messages", "claude-sonnet", "fake-claude-sonnet", "claude-sonnet-fake", "anthropic", stream=True),
    Route("responses", "gpt-4o", "fake-gpt-4o", "gpt-4o-fake", "openai", stream=False),
)


def rust_global(config: dict[str, Any]) -> dict[str, Any]:
    """A config with the Rust core on for the whole proxy: an environment's `environment_variables`
    (set in the proxy's environment at start, over the process's own) says so too."""
    config = copy.deepcopy(config)
    if RUST_ENV in (config.get("environment_variables") or {}):
        config["environment_variables"][RUST_ENV] = "true"
    return config


def rust_per_model(config: dict[str, Any], provider: str) -> dict[str, Any]:
    """A config with `rust: true` on every deployment of `provider`."""
    config = copy.deepcopy(config)
    for entry in config["model_list"]:
        if str(entry["litellm_params"]["model"]).startswith(f"{provider}/"):
            entry["litellm_params"][RUST_PARAM] = True
    return config


# the proxies of the agents' rotation: name, the configuration it starts from, its Rust switch
PROXIES: tuple[tuple[str, str, str | None], ...] = (
    ("plain", "plain", None),
    ("plain + LITELLM_RUST", "plain", "global"),
    ("plain + rust: true", "plain", "per-model"),
    ("bundle-nohooks", "nohooks", None),
    ("bundle-nohooks + LITELLM_RUST", "nohooks", "global"),
    ("bundle", "bundle", None),
    ("bundle + LITELLM_RUST", "bundle", "global"),
)


def arms_for(route: Route, names: list[str]) -> list[str]:
    """The rotation's arms that run on `route`: direct and every proxy; those with a Rust switch only where
    the pinned LiteLLM's Rust core covers the route."""
    switch = {name: rust for name, _, rust in PROXIES}
    return [n for n in names if switch.get(n) is None or route.rust()]


def overhead_rows(route: Route, rotation: dict[str, dict[str, Any]]) -> list[str]:
    """The route's table rows: each arm's medians, overhead against direct's medians in the same rotation."""
    direct = rotation.get("direct")
    lines = []
    for name, row in rotation.items():
        over50 = f"{row['p50'] - direct['p50']:.1f}" if direct and name != "direct" else "-"
        over95 = f"{row['p95'] - direct['p95']:.1f}" if direct and name != "direct" else "-"
        cpu = row.get("cpu_ms_per_request")
        spread = f"{cpu:.2f} ({row['cpu_min']:.2f}–{row['cpu_max']:.2f})" if cpu else "-"
        header = "-" if row.get("overhead_p50") is None else f"{row['overhead_p50']:.2f}"
        rust = "-" if name == "direct" else f"{row.get('rust_share', 0.0) * 100:.0f}%"
        lines.append(
            f"| {route.api} | {name} | {row['rps']} | {row['p50']:.1f} | {row['p95']:.1f} | {over50} | {over95} | "
            f"{header} | {spread} | {rust} |"
        )
    return lines


def ratio_line(route: Route, rotation: dict[str, dict[str, Any]], rust: bool) -> str | None:
    """The CPU goal on one route and core: the bundle against the same LiteLLM features without the hooks."""
    suffix = " + LITELLM_RUST" if rust else ""
    bundle = rotation.get(f"bundle{suffix}", {}).get("cpu_ms_per_request")
    same = rotation.get(f"bundle-nohooks{suffix}", {}).get("cpu_ms_per_request")
    plain = rotation.get(f"plain{suffix}", {}).get("cpu_ms_per_request")
    if not bundle or not same:
        return None
    factor = bundle / same
    core = "Rust core on" if rust else "Python"
    versus_plain = f"; {bundle / plain:.2f}x the plain config's {plain:.2f} ms" if plain else ""
    verdict = "met" if factor <= CPU_GOAL else "NOT met"
    hooks = rotation[f"bundle{suffix}"].get("hooks_ms")
    inside = f"; {hooks:.2f} ms per request inside the hooks (gateway_hook_duration_seconds)" if hooks else ""
    return (
        f"{route.api}, {core}: the bundle {bundle:.2f} ms CPU per request, {factor:.2f}x the same LiteLLM "
        f"features without the hooks ({same:.2f} ms; goal <= {CPU_GOAL:.2f}x: {verdict}){versus_plain}{inside}."
    )


def rust_line(route: Route, rotation: dict[str, dict[str, Any]]) -> str | None:
    """What the Rust core changes on the route, for plain and the bundle, and what served the requests."""
    parts = []
    for base in ("plain", "bundle-nohooks", "bundle"):
        off, on = rotation.get(base), rotation.get(f"{base} + LITELLM_RUST")
        if not off or not on or not off.get("cpu_ms_per_request") or not on.get("cpu_ms_per_request"):
            continue
        parts.append(
            f"{base} {(on['cpu_ms_per_request'] / off['cpu_ms_per_request'] - 1) * 100:+.0f}% CPU per request, "
            f"{on['p50'] - off['p50']:+.1f} ms p50 ({on.get('rust_share', 0.0) * 100:.0f}% served by Rust)"
        )
    per_model = rotation.get("plain + rust: true")
    if per_model is not None:
        parts.append(f"`rust: true` per model: {per_model.get('rust_share', 0.0) * 100:.0f}% served by Rust")
    return f"{route.api}, LITELLM_RUST=true against off: " + "; ".join(parts) + "." if parts else None


POD_STEPS = (0.3, 0.6, 1.0)  # fractions of the pod's declared rate the two-worker proxies run at, per route


def pod_rates(pod_rate: int) -> list[int]:
    return sorted({round(pod_rate * f) for f in POD_STEPS})


def meets(row: dict[str, Any], base: dict[str, Any]) -> bool:
    """The pod goal at one rate: kept up, p50 overhead against direct within the goal, (almost) no failures."""
    return row["rps"] >= 0.98 * row["rate"] and row["p50"] - base["p50"] <= OVERHEAD_GOAL_MS and row["failed"] < 0.01


def pod_line(route: str, name: str, rows: list[dict[str, Any]], direct: list[dict[str, Any]], pod_rate: int) -> str:
    """The pod goal on one route: two workers at the pod's declared rate, p50 overhead against direct at the same
    rate, and the highest rate run that meets it."""
    base = {r["rate"]: r for r in direct}
    pairs = [(row, base[row["rate"]]) for row in rows if row["rate"] in base]
    top = next((row for row, _ in pairs if row["rate"] == pod_rate), None)
    met = [row["rate"] for row, b in pairs if meets(row, b)]
    steps = ", ".join(f"{row['rate']}: {row['p50'] - b['p50']:+.1f} ms" for row, b in pairs)
    line = f"{route}, {name}: "
    if top is not None:
        b = base[pod_rate]
        line += (
            f"at {pod_rate} req/s {'met' if meets(top, b) else 'NOT met'} on this machine: {top['rps']} req/s "
            f"achieved, p50 overhead {top['p50'] - b['p50']:.1f} ms, p95 overhead {top['p95'] - b['p95']:.1f} ms, "
            f"{top['failed'] * 100:.1f}% failed, {top['rust'] / max(top['requests'], 1) * 100:.0f}% served by Rust"
            + (f", proxy {top['proxy_cores']:.2f} cores" if top.get("proxy_cores") is not None else "")
            + "; "
        )
    bound = f"{max(met)} req/s" if met else "none of the rates run"
    return line + f"highest rate meeting p50 overhead <= {OVERHEAD_GOAL_MS} ms: {bound} ({steps})."


def report(
    rate: int,
    rotations: dict[str, dict[str, dict[str, Any]]],
    pods: dict[str, dict[str, list[dict[str, Any]]]],
    pod_rate: int,
) -> list[str]:
    """The agents' section of bench.md: one table over the routes, then the goal and Rust lines."""
    if not rotations:
        return []
    runs = max(r["runs"] for rotation in rotations.values() for r in rotation.values())
    lines = [
        "",
        f"Coding agents' routes, alternated at {rate} req/s ({runs} runs each; medians; /v1/messages streamed, "
        "/v1/responses not; overhead against direct's medians in the same rotation):",
        "",
        "| route | target | achieved req/s | p50 ms | p95 ms | p50 overhead ms | p95 overhead ms "
        "| LiteLLM overhead header p50 ms | proxy CPU ms/request (min–max) | served by Rust |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_api = {r.api: r for r in ROUTES}
    for api, rotation in rotations.items():
        lines += overhead_rows(by_api[api], rotation)
    lines.append("")
    for api, rotation in rotations.items():
        lines += [line for rust in (False, True) if (line := ratio_line(by_api[api], rotation, rust))]
        lines += [line for line in [rust_line(by_api[api], rotation)] if line]
    for api, targets in pods.items():
        direct = targets.get("direct", [])
        lines += [pod_line(api, name, rows, direct, pod_rate) for name, rows in targets.items() if name != "direct"]
    return lines
