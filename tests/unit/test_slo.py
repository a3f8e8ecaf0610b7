"""The SLOs as code: each environment's `slo:` as a Sloth spec (rendered/<env>/slo.yaml), the rules Sloth
generates from it committed in policies/slo/rules/<env>.yaml and kept fresh here (Sloth is run again on the
committed spec), carried by the chart's PrometheusRule and the local rules, and `promtool test rules` on the
burn-rate alerts: fast and slow burns that fire, burns that do not."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.problems import ValidationFailed
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.render import alerts, slo
from tests.helpers import ROOT, committed
from tests.unit.test_alerts import chart_groups, promtool, write_rules

CASES = Path(__file__).with_name("test_alerts_slo_promtool.yaml")
ENVIRONMENTS = ("dev", "staging", "prod")


def sloth(tree: BundleTree) -> Path:
    binary = tree.tools_dir / "bin" / "sloth"
    assert binary.is_file(), "Sloth is not built: `make setup` installs it into .tools/bin"
    return binary


def test_every_environment_declares_its_objectives() -> None:
    for env in ENVIRONMENTS:
        objective = YAML(typ="safe").load((ROOT / "config" / "environments" / f"{env}.yaml").read_text())["slo"]
        spec = YAML(typ="safe").load(committed(env, slo.SPEC_FILE))
        assert [s["objective"] for s in spec["slos"]] == [
            objective["availability_percent"],
            objective["overhead_latency"]["percent"],
        ]
        assert spec["labels"] == {"environment": env}
        assert slo.spec_args(committed(env, slo.SPEC_FILE)) == [f"--default-slo-period={objective['window']}"]


def test_the_committed_rules_are_what_sloth_makes_of_the_specs(checkout: BundleTree, tmp_path: Path) -> None:
    """Fails when an objective or the SLIs changed without `make slo` (or the rules were edited by hand)."""
    specs = sorted(p.parent.name for p in (ROOT / "rendered").glob(f"*/{slo.SPEC_FILE}"))
    rules = sorted(p.stem for p in (checkout.slo_dir / "rules").glob("*.yaml"))
    assert specs == rules == sorted(ENVIRONMENTS), "run `make slo`"
    for env in specs:
        spec = ROOT / "rendered" / env / slo.SPEC_FILE
        out = tmp_path / f"{env}.yaml"
        result = subprocess.run(
            [
                str(sloth(checkout)),
                "generate",
                "--no-log",
                "-i",
                str(spec),
                *slo.spec_args(spec.read_text()),
                "-o",
                str(out),
            ],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert out.read_text() == slo.rules_path(checkout, env).read_text(), f"{env}: stale, run `make slo`"


def test_make_slo_passes_the_arguments_of_the_spec_header() -> None:
    assert f"sed -n 's/^{slo.ARGS_PREFIX}//p'" in (ROOT / "Makefile").read_text()


def _litellm_latency_buckets() -> set[float]:
    """LATENCY_BUCKETS of the pinned LiteLLM, read from its source (importing litellm takes seconds)."""
    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).parent / "types" / "integrations" / "prometheus.py"
    for node in ast.parse(source.read_text()).body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "LATENCY_BUCKETS"
        ):
            assert node.value is not None
            return {float(b) for b in ast.literal_eval(ast.unparse(node.value).replace("float('inf')", "'inf'"))}
    raise AssertionError(f"no LATENCY_BUCKETS in {source}")


def test_the_overhead_bound_is_a_bucket_of_litellms_histogram() -> None:
    buckets = _litellm_latency_buckets()
    schema = YAML(typ="safe").load((ROOT / "policies" / "schemas" / "environment.schema.json").read_text())
    bound = schema["properties"]["slo"]["properties"]["overhead_latency"]["properties"]["threshold_seconds"]
    assert set(bound["enum"]) <= set(buckets)
    spec = committed("prod", slo.SPEC_FILE)
    assert 'le="0.25"' in spec and 'le="+Inf"' in spec


def test_a_bound_between_buckets_is_refused(repo_copy: Path) -> None:
    prod = repo_copy / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("threshold_seconds: 0.25", "threshold_seconds: 0.3"))
    with pytest.raises(ValidationFailed) as failed:
        render_one(BundleTree.at(repo_copy), "prod")
    assert any("must be a bucket of litellm_overhead_latency_metric" in p.message for p in failed.value.problems)


def test_an_slo_without_metrics_is_refused(repo_copy: Path) -> None:
    dev = repo_copy / "config" / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("prometheus: true\n", "prometheus: false\n"))
    with pytest.raises(ValidationFailed) as failed:
        render_one(BundleTree.at(repo_copy), "dev")
    assert [p.message for p in failed.value.problems] == [
        "prometheus: must be true where `slo:` is set: the SLO alerts are computed from the proxy's metrics (got false)"
    ]


def test_the_chart_and_the_local_stack_carry_the_slo_rules(checkout: BundleTree) -> None:
    for env in ("staging", "prod"):
        values = YAML(typ="safe").load(committed(env, "values.yaml"))["metrics"]["prometheusRule"]
        assert values["sloGroups"] == slo.rule_groups(checkout, env)
        names = {r["alert"] for g in chart_groups(checkout, env)[1:] for r in g["rules"] if "alert" in r}
        assert names == set(slo.alert_names(checkout))
    local = YAML(typ="safe").load((ROOT / "compose" / "alerts.yml").read_text())["groups"]
    recorded = [r for g in local[1:] for r in g["rules"] if "record" in r and "litellm_" in r["expr"]]
    assert recorded and all('job="litellm-gateway"' in r["expr"] and "$selector" not in r["expr"] for r in recorded)
    assert {r["alert"] for g in local[1:] for r in g["rules"] if "alert" in r} == set(slo.alert_names(checkout))


def _expanded(text: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: labels[m.group(1)], text)


def _cases(tree: BundleTree, groups: list[dict[str, Any]], rule_file: str) -> dict[str, Any]:
    """The promtool test file: each expected alert with its SLO's labels and its rule's annotations."""
    service = slo.service(tree, "prod")
    slo_of = {s["alert"]: s["name"] for s in slo.slis(tree)["slos"]}
    rules = {
        (r["alert"], r["labels"]["sloth_severity"]): r
        for g in groups
        for r in g["rules"]
        if "sloth_severity" in r.get("labels", {})
    }
    cases = YAML(typ="safe").load(CASES.read_text())
    cases["rule_files"] = [rule_file]
    for test in cases["tests"]:
        for item in test["alert_rule_test"]:
            for expected in item["exp_alerts"]:
                name = slo_of[item["alertname"]]
                labels = {
                    **expected["exp_labels"],
                    "environment": "prod",
                    "sloth_id": f"{service}-{name}",
                    "sloth_service": service,
                    "sloth_slo": name,
                }
                expected["exp_labels"] = labels
                rule = rules[(item["alertname"], labels["sloth_severity"])]
                expected["exp_annotations"] = {k: _expanded(v, labels) for k, v in rule["annotations"].items()}
    return cases


def _promtool_test(
    tmp_path: Path, groups: list[dict[str, Any]], cases: dict[str, Any]
) -> subprocess.CompletedProcess[str]:
    write_rules(tmp_path / "rules.yml", groups)
    (tmp_path / "tests.yml").write_text(dump_yaml(cases))
    return subprocess.run([promtool(), "test", "rules", "tests.yml"], cwd=tmp_path, capture_output=True, text=True)


def test_promtool_burns_that_fire_and_burns_that_do_not(checkout: BundleTree, tmp_path: Path) -> None:
    groups = chart_groups(checkout, "prod")
    result = _promtool_test(tmp_path, groups, _cases(checkout, groups, "rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_cases_fail_against_a_looser_objective(checkout: BundleTree, tmp_path: Path) -> None:
    """The cases can fail: staging's looser availability (99 %) turns the slow burn (1 %) into no burn."""
    prod = chart_groups(checkout, "prod")
    staging = alerts.slo_groups(
        checkout,
        alerts.Target('job="litellm-gateway",namespace="llm-gateway"'),
        "staging",
        alerts.chart_thresholds(checkout),
    )
    cases = _cases(checkout, prod, "rules.yml")
    cases["tests"] = [t for t in cases["tests"] if t["name"].startswith("availability, a slow burn")]
    result = _promtool_test(tmp_path, [prod[0], *staging], cases)
    assert result.returncode != 0
    assert "LLMGatewayAvailabilityBudgetBurn" in result.stdout + result.stderr
