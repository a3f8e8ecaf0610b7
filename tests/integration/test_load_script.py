"""scripts/load.js through the real k6 against the fake provider: ARRIVALS=jittered (what `make bench` uses) keeps the
rate and starts each request at a random point of its slot; the default spaces them evenly."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.core.facts import FAKE_PROVIDER_KEY
from litellm_bundle.core.tree import BundleTree, find_root
from litellm_bundle.runtime import k6

TREE = BundleTree.at(find_root(Path(__file__).resolve().parent))
RATE = 20


@pytest.mark.parametrize("arrivals", ["even", "jittered"])
def test_arrivals_keep_the_rate_and_jitter_only_when_asked(fake_provider: str, tmp_path: Path, arrivals: str) -> None:
    result = k6.run(
        TREE,
        fake_provider,
        FAKE_PROVIDER_KEY,
        rate=RATE,
        duration="3s",
        summary=tmp_path / "summary.json",
        model="fake-gpt-4o",
        stream_ratio=0,
        arrivals=arrivals,
    )
    assert result.failed == 0 and result.checks_failed == 0, result.output
    assert 3 * RATE - 2 <= result.requests <= 3 * RATE + 1, result.requests
    metrics = result.summary["metrics"]
    # What each request waited in its slot is load.js's own metric, so no wall-clock bound is needed here (a
    # busy machine slows k6 itself by tens of milliseconds per iteration): when jittered, a uniform draw from
    # one slot (1/RATE = 50 ms, 25 ms on average); evenly spaced, none at all.
    if arrivals == "even":
        assert "arrival_delay" not in metrics, metrics["arrival_delay"]
        return
    delay = metrics["arrival_delay"]["values"]
    assert delay["min"] >= 0 and delay["max"] < 1000 / RATE, delay
    assert 15 < delay["avg"] < 35, delay
    # and k6 really slept it: an iteration is the request plus its wait (and k6's own time, never negative)
    waited = metrics["iteration_duration"]["values"]["avg"] - metrics["http_req_duration"]["values"]["avg"]
    assert waited >= delay["avg"] - 1, (waited, delay)
