"""The detectors of policies/secret_patterns.json as `validate` runs them, on the samples of
tests/secret_samples.json: each finds its own secret whole and nothing else does, text that only looks
like a secret passes, and gitleaks' pinned default rules named in a detector's `gitleaks` recognise its
first sample (the detectors are written by hand; gitleaks says they describe the real formats)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from litellm_bundle.checks.secret_scan import matches
from litellm_bundle.external.kube import tool
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT, checkout_tree

POLICIES = Policies(checkout_tree())
CORPUS = json.loads((ROOT / "tests" / "secret_samples.json").read_text())
CASES = [
    (name, index, sample["text"], sample.get("secret", sample["text"]))
    for name, samples in CORPUS["secrets"].items()
    for index, sample in enumerate(samples)
]


def test_every_detector_has_samples_and_every_sample_a_detector() -> None:
    assert list(CORPUS["secrets"]) == list(POLICIES.detectors)


@pytest.mark.parametrize(("name", "index", "text", "secret"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_sample_is_found_whole_by_its_own_detector_only(name: str, index: int, text: str, secret: str) -> None:
    line = f"key: {text}"
    start = line.index(secret)
    found = [(a, b, detector) for a, b, detector, _ in matches(line, POLICIES.compiled_detectors)]
    assert found == [(start, start + len(secret), name)]


def test_text_that_only_looks_like_a_secret_is_not_one() -> None:
    for text in CORPUS["not_secrets"]:
        assert matches(text, POLICIES.compiled_detectors) == [], text


def test_gitleaks_recognises_the_formats(tmp_path: Path) -> None:
    """gitleaks (the pinned binary, its default rules: no .gitleaks.toml where it runs) over the first sample of
    every detector that names gitleaks rules: each is found under one of them."""
    expected = {name: d["gitleaks"] for name, d in POLICIES.detectors.items() if d.get("gitleaks")}
    lines = [CORPUS["secrets"][name][0]["text"] for name in expected]
    result = subprocess.run(
        [tool(checkout_tree(), "gitleaks"), "stdin", "--no-banner", "--exit-code", "0", "-f", "json", "-r", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    found: dict[int, set[str]] = {}
    for leak in json.loads(result.stdout):
        found.setdefault(leak["StartLine"], set()).add(leak["RuleID"])
    first_lines = [1 + sum(line.count("\n") + 1 for line in lines[:i]) for i in range(len(lines))]
    for (name, rules), line in zip(expected.items(), first_lines, strict=True):
        assert found.get(line, set()) & set(rules), (name, rules, found.get(line))
