"""Pod shape from one declared throughput: an environment's `sizing: {pod_rps, worker_rps}`.

`pod_rps` is the rate one pod must sustain; `worker_rps` the rate one proxy worker serves on one full
core, measured by `make bench` (1000 / the bundle's proxy CPU ms per request, on the image's Python).
A worker is one process, so it never uses more than one core:

  cores   = pod_rps / worker_rps            CPU the pod burns at its declared rate
  workers = ceil(cores)                     enough single-core workers to carry it
  cpu     = workers (requests = limits)     a whole core per worker: a lower limit throttles below
                                            pod_rps, a higher one buys nothing
  HPA     = floor(100 * cores / workers) %  the utilisation at which a pod carries pod_rps: the HPA
                                            adds pods before any pod passes its declared rate

An environment with `sizing` may not also set what it derives (`workers`, `resources.*.cpu`,
`autoscaling.target_cpu_percent`): that is one fact written twice, reported as an error where it is
written (checks/references.py, check_environment_references). Memory stays declared in `resources`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# where an environment would write what sizing derives
DERIVED_PATHS: tuple[tuple[str, ...], ...] = (
    ("workers",),
    ("resources", "requests", "cpu"),
    ("resources", "limits", "cpu"),
    ("autoscaling", "target_cpu_percent"),
)


@dataclass(frozen=True)
class PodShape:
    cores: float
    workers: int
    cpu: str  # Kubernetes quantity for requests and limits
    target_cpu_percent: int


def derive(pod_rps: float, worker_rps: float) -> PodShape:
    """The pod shape for `pod_rps` with workers of `worker_rps` each (both > 0)."""
    if pod_rps <= 0 or worker_rps <= 0:
        raise ValueError(f"sizing needs pod_rps and worker_rps > 0 (got {pod_rps}, {worker_rps})")
    cores = pod_rps / worker_rps
    workers = math.ceil(round(cores, 6))  # 100/50 is 2 workers, not 3 from a float's last digit
    target = math.floor(round(100 * cores / workers, 6))
    return PodShape(cores=cores, workers=workers, cpu=str(workers), target_cpu_percent=max(1, target))


def declared(overlay: Any) -> tuple[float, float] | None:
    """(pod_rps, worker_rps) of an environment overlay, None without a usable `sizing` block."""
    sizing = overlay.get("sizing") if isinstance(overlay, dict) else None
    if not isinstance(sizing, dict):
        return None
    pod, worker = sizing.get("pod_rps"), sizing.get("worker_rps")
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in (pod, worker))
    return (float(pod), float(worker)) if numbers else None  # type: ignore[arg-type]


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def apply(overlay: dict[str, Any]) -> dict[str, Any]:
    """The overlay with workers, CPU and the HPA target derived from its `sizing` (unchanged without)."""
    numbers = declared(overlay)
    if numbers is None:
        return overlay
    shape = derive(*numbers)
    out = {**overlay, "workers": shape.workers}
    resources = overlay.get("resources")
    resources = resources if isinstance(resources, dict) else {}
    out["resources"] = {part: {**_mapping(resources.get(part)), "cpu": shape.cpu} for part in ("requests", "limits")}
    if isinstance(overlay.get("autoscaling"), dict):
        out["autoscaling"] = {**overlay["autoscaling"], "target_cpu_percent": shape.target_cpu_percent}
    return out


def conflicts(raw_overlay: Any) -> list[tuple[str, ...]]:
    """Paths an environment writes itself although its `sizing` derives them (raw source, no defaults)."""
    if not isinstance(raw_overlay, dict) or "sizing" not in raw_overlay:
        return []
    found = []
    for path in DERIVED_PATHS:
        node: Any = raw_overlay
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            found.append(path)
    return found


def explain(pod_rps: float, worker_rps: float) -> str:
    """The arithmetic, as the README and `make bench` show it."""
    shape = derive(pod_rps, worker_rps)
    return (
        f"cores = {pod_rps:g} / {worker_rps:g} = {shape.cores:.2f}; workers = ceil({shape.cores:.2f}) = "
        f"{shape.workers}; "
        f"cpu requests = limits = {shape.cpu}; HPA target = floor(100 x {shape.cores:.2f} / {shape.workers}) = "
        f"{shape.target_cpu_percent} %"
    )


def most_pods(env: dict[str, Any]) -> Any:
    """The most pods an environment runs at once (autoscaling's max_replicas, else replicas): what every
    connection budget is counted at. As written (not checked: the schema reports a malformed count)."""
    autoscaling = env.get("autoscaling")
    return autoscaling.get("max_replicas") if isinstance(autoscaling, dict) else env.get("replicas")
