#!/usr/bin/env python3
"""Benchmark: validate + render of every environment, as a user runs it (a fresh CLI process each time).

Prints median / min / max wall time of N runs of `python -m litellm_bundle render --skip-k8s --check`
(validate + render of all environments into memory, compared with the committed files; writes nothing)
and of the full `render --check` including `helm template` for k8s/.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "litellm_bundle", *args], cwd=ROOT, capture_output=True, text=True
        )
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr}")
    return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    rows = [
        ("validate + render (3 environments)", ["render", "--check", "--skip-k8s"]),
        ("... plus helm template into k8s/", ["render", "--check"]),
    ]
    print("| step | median s | min s | max s | runs |\n|---|---|---|---|---|")
    for label, args in rows:
        t = measure(args, runs)
        print(f"| {label} | {statistics.median(t):.3f} | {min(t):.3f} | {max(t):.3f} | {runs} |")


if __name__ == "__main__":
    main()
