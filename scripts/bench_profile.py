"""`make bench PROFILE=1`: where the bundle's CPU goes beyond plain LiteLLM, from py-spy samples.

py-spy records each proxy under the same load in its collapsed-stack format (`--format raw --function`: one line
per distinct stack, `process;frame;frame;... count`, frames as `function (file:first line)`, the file
shortened by py-spy, sometimes to its base name, so patterns over files match the base name). A cost centre is a
pattern over frames; a sample belongs to a centre when any frame of its stack matches, so nested matches count once.
Samples become milliseconds per request: samples / sampling rate / requests served while recording. py-spy samples
running threads only, so the sum is CPU time the interpreter spent in Python frames; time in the kernel (socket
writes, epoll) and in the event loop's C code shows up in the proxy's measured CPU but not here.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from litellm_bundle.core.facts import HOOKS_PACKAGE

SAMPLE_HZ = 100

# (label, pattern over one frame): the parts of a request the bundle turns on or that plain pays too
COST_CENTRES: tuple[tuple[str, str], ...] = (
    ("authentication (user_api_key_auth)", r"^user_api_key_auth \("),
    ("the router: selection, fallbacks, retries, the provider call", r"^acompletion \(litellm/router\.py"),
    ("LiteLLM's success logging (all callbacks)", r"^async_success_handler \(.*litellm_logging\.py"),
    ("building the standard logging payload", r"^get_standard_logging_object_payload \("),
    ("LiteLLM's prometheus callback (success)", r"^async_log_success_event \(litellm/integrations/prometheus\.py"),
    ("of which its rate-limit gauges (v3 limiter headers)", r"^_set_v3_rate_limit_allowed_and_used_metrics \("),
    ("deployment rpm/tpm enforcement (enforce_model_rate_limits)", r"[(/]model_rate_limit_check\.py:"),
    ("router usage counters (global_router tpm/rpm)", r"^_increment_deployment_usage \("),
    ("key/user/team limiter (parallel_request_limiter_v3)", r"[(/]parallel_request_limiter_v3\.py:"),
    ("every Redis command (redis-py, circuit breaker)", r"\(redis/asyncio/|^_run_under_circuit_breaker \("),
    (
        "the gateway hooks and guardrails (their own frames)",
        rf"\({HOOKS_PACKAGE}/(?!admin_guard\.py|body_guard\.py|metrics_files\.py|asgi\.py)",
    ),
    ("OTel destinations per request (import of its logger)", r"^_seed_request_destinations \("),
)

Stacks = collections.Counter[tuple[str, ...]]


def record_command(py_spy: str, pid: int, seconds: int, output: Path, fmt: str) -> list[str]:
    """py-spy over a proxy and its workers: `raw` (collapsed stacks, by function) or `flamegraph` (SVG)."""
    extra = ["--function"] if fmt == "raw" else []
    return [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--nonblocking",
        "--rate",
        str(SAMPLE_HZ),
        "--duration",
        str(seconds),
        "--format",
        fmt,
        *extra,
        "--output",
        str(output),
    ]


def record(py_spy: str, pid: int, seconds: int, output: Path, fmt: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        record_command(py_spy, pid, seconds, output, fmt), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def parse_raw(text: str) -> Stacks:
    """Collapsed stacks without the leading process entry; lines py-spy could not decode are skipped."""
    stacks: Stacks = collections.Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        stacks[tuple(stack.split(";")[1:])] += int(count)
    return stacks


def ms_per_request(stacks: Stacks, requests: int) -> dict[str, float]:
    """Every cost centre's milliseconds per request, and `total` (every sample)."""
    scale = 1000 / SAMPLE_HZ / max(requests, 1)
    compiled = [(label, re.compile(pattern)) for label, pattern in COST_CENTRES]
    totals = dict.fromkeys([label for label, _ in COST_CENTRES], 0.0)
    everything = 0
    for frames, count in stacks.items():
        everything += count
        for label, pattern in compiled:
            if any(pattern.search(frame) for frame in frames):
                totals[label] += count
    return {"total": everything * scale, **{label: n * scale for label, n in totals.items()}}


def table(plain: dict[str, float], bundle: dict[str, float], rate: int) -> list[str]:
    """The cost centres side by side, with the bundle's difference."""
    lines = [
        "",
        f"Where the CPU goes (py-spy, {SAMPLE_HZ} Hz, {rate} req/s, ms of Python per request; a centre's frames and "
        "everything they call, so rows overlap):",
        "",
        "| cost centre | plain | bundle | bundle − plain |",
        "|---|---|---|---|",
    ]
    for label in ["total", *[label for label, _ in COST_CENTRES]]:
        name = "all sampled Python" if label == "total" else label
        lines.append(f"| {name} | {plain[label]:.2f} | {bundle[label]:.2f} | {bundle[label] - plain[label]:+.2f} |")
    return lines
