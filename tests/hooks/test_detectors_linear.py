"""Every secret detector runs in linear time on adversarial input, and the windowed scan of the guardrail
finds what one search over the whole text finds.

No test here asserts a duration. Linear time is checked twice:
- structurally (deterministic): no detector has an unbounded repeat that may backtrack; every `*`, `+`
  and `{n,}` is possessive, so a failing attempt never retries the run it consumed;
- by growth (a ratio of CPU times, not a time): for text made of fragments of the detector's own samples
  and separators, scanning eight times the text must cost less than GROWTH_LIMIT times as much. Linear
  patterns measure about 8, the quadratic JWT pattern this replaced about 64. CPU time of this process
  (`time.process_time`), the median of three, each measurement at least MIN_CPU long, so a busy
  neighbour (the other xdist worker) slows both sides alike and cannot fake a super-linear ratio.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from gateway_hooks import textscan

ROOT = Path(__file__).resolve().parents[2]
DETECTORS: dict[str, str] = {
    name: d["pattern"]
    for name, d in json.loads((ROOT / "policies/secret_patterns.json").read_text())["detectors"].items()
}
SAMPLES: dict[str, list[str]] = {
    name: [s["text"] for s in samples]
    for name, samples in json.loads((ROOT / "tests/secret_samples.json").read_text())["secrets"].items()
}
SEPARATORS = ["", " ", "\n", "-", "_", ".", ":", "/", "@", "=", "'", '"', "a", "A", "0", "-----"]

SMALL = 8_000  # characters of the smaller text
FACTOR = 8  # the larger text is this many times longer
GROWTH_LIMIT = 24  # linear: about FACTOR; quadratic: about FACTOR**2
MIN_CPU = 0.004  # seconds each measurement takes at least (repeated scans)


def prefixes(name: str) -> list[str]:
    """The detector's samples cut at many lengths: text that almost matches."""
    cuts = {1, 2, 3, 4, 5, 6, 8, 11, 12, 16, 24, 32, 48}
    return sorted(
        {s[:cut] for s in SAMPLES[name] for cut in cuts | {len(s) // 2, len(s) - 1, len(s)} if 0 < cut <= len(s)}
    )


def units(name: str) -> st.SearchStrategy[str]:
    """A repeated unit of adversarial text: one to three (almost-match, separator) pairs; the separators
    include characters of the detectors' own runs, so that an almost-match continues into the next one."""
    pair = st.tuples(st.sampled_from(prefixes(name)), st.sampled_from(SEPARATORS)).map("".join)
    return st.lists(pair, min_size=1, max_size=3).map("".join)


def cpu(scan: Any, text: str, loops: int) -> float:
    started = time.process_time()
    for _ in range(loops):
        scan(text)
    return time.process_time() - started


def growth(scan: Any, unit: str, small: int = SMALL) -> float:
    """CPU time of scanning FACTOR times the text over that of scanning the text (median of three)."""
    text = unit * math.ceil(small / len(unit))
    big = text * FACTOR
    once = max(cpu(scan, text, 1), 1e-6)
    loops = max(1, math.ceil(MIN_CPU / once))
    ratios = []
    for _ in range(3):
        base = max(cpu(scan, text, loops), 1e-6)
        ratios.append(cpu(scan, big, loops) / base)
    return statistics.median(ratios)


def screened_growth(scan: Any, unit: str, screen: int = SMALL) -> float:
    """A quick screen first (one scan of `screen` characters and one of FACTOR times as many): below GROWTH_LIMIT,
    its ratio; above, the careful measure (growth), so only a unit that looks super-linear pays for it and a
    one-off slow scan cannot fail a linear pattern."""
    text = unit * math.ceil(screen / len(unit))
    quick = cpu(scan, text * FACTOR, 1) / max(cpu(scan, text, 1), 2e-5)
    return quick if quick < GROWTH_LIMIT else growth(scan, unit)


def scan_all(pattern: re.Pattern[str]) -> Any:
    return lambda text: sum(1 for _ in pattern.finditer(text))


# --- structure ------------------------------------------------------------------------------------


def unbounded_repeats(pattern: str) -> list[tuple[str, int]]:
    """(kind, min) of every repeat without an upper bound, anywhere in the pattern."""
    found: list[tuple[str, int]] = []

    def walk(items: Any) -> None:
        for op, arg in items:
            if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
                low, high, sub = arg
                if high == sre_constants.MAXREPEAT:
                    found.append((str(op), low))
                walk(sub)
            elif op in (sre_constants.SUBPATTERN, sre_constants.ATOMIC_GROUP):
                walk(arg[-1])
            elif op == sre_constants.BRANCH:
                for branch in arg[1]:
                    walk(branch)
            elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                walk(arg[1])
            elif op == sre_constants.GROUPREF_EXISTS:
                walk(arg[1])
                if arg[2] is not None:
                    walk(arg[2])

    walk(sre_parser.parse(pattern))
    return found


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_no_detector_backtracks_over_an_unbounded_run(name: str) -> None:
    repeats = unbounded_repeats(DETECTORS[name])  # none in a fixed-length format (an AWS key id)
    assert all(kind == "POSSESSIVE_REPEAT" for kind, _ in repeats), (name, repeats)


def test_the_structure_check_sees_the_old_jwt_pattern() -> None:
    old = r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    assert {kind for kind, _ in unbounded_repeats(old)} == {"MAX_REPEAT"}


# --- growth ---------------------------------------------------------------------------------------


def test_growth_tells_linear_from_quadratic() -> None:
    """The measure itself: the quadratic JWT pattern this replaced, on the text that showed it."""
    old = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
    assert growth(scan_all(old), "eyJaaaaaaaa-", small=4_000) > GROWTH_LIMIT
    assert screened_growth(scan_all(old), "eyJaaaaaaaa-", screen=4_000) > GROWTH_LIMIT  # the screen hands it on
    assert growth(scan_all(re.compile(DETECTORS["jwt"])), "eyJaaaaaaaa-") < GROWTH_LIMIT


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_is_linear_on_every_almost_match(name: str) -> None:
    """Each (almost-match, separator) unit repeated: the shape of the JWT finding. A quick screen of every
    unit (one scan each way); a unit the screen finds suspicious is measured with care."""
    scan = scan_all(re.compile(DETECTORS[name]))
    for unit in (prefix + sep for prefix in prefixes(name) for sep in SEPARATORS):
        ratio = screened_growth(scan, unit, screen=4_000)
        assert ratio < GROWTH_LIMIT, f"{name}: {FACTOR}x the text cost {ratio:.1f}x the CPU on {unit!r}"


@pytest.mark.parametrize("name", sorted(DETECTORS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_detector_is_linear_on_mixed_fragments(name: str, data: st.DataObject) -> None:
    """Random units of up to three pairs, steered towards the highest ratio found (screened: a unit that looks
    super-linear is measured with care)."""
    unit = data.draw(units(name), label="unit")
    ratio = screened_growth(scan_all(re.compile(DETECTORS[name])), unit)
    target(ratio)
    assert ratio < GROWTH_LIMIT, f"{name}: {FACTOR}x the text cost {ratio:.1f}x the CPU on {unit!r}"


MIXED = [
    "".join(s[0][: len(s[0]) // 2] + "-" for s in SAMPLES.values()),
    "".join(s[0] + " " for s in SAMPLES.values()),
    "eyJhbGciOiJIUzI1NiJ9-sk-ant-api03-AKIA-ghp_-://u:p@",
]


@pytest.mark.parametrize("unit", MIXED, ids=["half-samples", "whole-samples", "prefixes"])
def test_the_guardrails_scan_is_linear(unit: str) -> None:
    """Every detector over windows, as the guardrail runs them, matches included."""
    scanner = textscan.SecretScanner(DETECTORS)
    ratio = growth(scanner.spans, unit, small=64_000)
    assert ratio < GROWTH_LIMIT, f"{FACTOR}x the text cost {ratio:.1f}x the CPU"


# --- windows --------------------------------------------------------------------------------------

ALL_PIECES = sorted({p for name in DETECTORS for p in prefixes(name)} | set(SEPARATORS))


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(ALL_PIECES), min_size=1, max_size=40))
def test_windows_find_what_one_search_finds(parts: list[str]) -> None:
    """With windows far smaller than the text: the same spans as one search over the whole text, as long as
    a view reaches past the longest match and every look-ahead (the longest run without whitespace)."""
    text = "".join(parts)
    whole = textscan.SecretScanner(DETECTORS, window=1 << 30)
    longest_match = max(
        (m.end() - m.start() for p in whole.detectors for m in p[1].finditer(text)),
        default=0,
    )
    reach = max((len(run) for run in text.split()), default=0) + 2
    windowed = textscan.SecretScanner(DETECTORS, window=16, overlap=longest_match + reach + 1, reach=reach)
    assert windowed.spans(text) == whole.spans(text)
