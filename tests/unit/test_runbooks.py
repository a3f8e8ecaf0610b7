"""docs/runbooks.md one to one with the alerts (files/alerts.yaml and Sloth's SLO alerts), and every
alert's `runbook_url` pointing to its section, in the chart's PrometheusRule and in the local rules."""

from __future__ import annotations

import json
import re
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.checks import dashboards
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube
from litellm_bundle.render import alerts, slo
from tests.helpers import ROOT

RUNBOOKS = ROOT / "docs" / "runbooks.md"
SECTION = re.compile(r"^## ([A-Za-z0-9]+)$", re.MULTILINE)  # an alert's section: its name, one word
PARTS = ("**Means**", "**Check**", "**Do**")


def shipped_alerts(tree: BundleTree) -> set[str]:
    """Every alert name the bundle ships: the threshold alerts and the SLO alerts of every environment."""
    names = {a.name for a in alerts.load(tree)}
    for rules_file in sorted((tree.slo_dir / "rules").glob("*.yaml")):
        names |= {r["alert"] for g in slo.rule_groups(tree, rules_file.stem) for r in g["rules"] if "alert" in r}
    return names


def sections(text: str) -> dict[str, str]:
    """Alert name -> the text of its section."""
    found = list(SECTION.finditer(text))
    ends = [m.start() for m in found[1:]] + [len(text)]
    return {m.group(1): text[m.end() : end] for m, end in zip(found, ends, strict=True)}


def mismatches(names: set[str], documented: set[str]) -> list[str]:
    return [f"{n}: alert without a section in docs/runbooks.md" for n in sorted(names - documented)] + [
        f"{n}: section of docs/runbooks.md without an alert" for n in sorted(documented - names)
    ]


def test_alerts_and_runbook_sections_are_one_to_one(checkout: BundleTree) -> None:
    names = shipped_alerts(checkout)
    assert set(slo.alert_names(checkout)) <= names
    assert mismatches(names, set(sections(RUNBOOKS.read_text()))) == []


def test_the_check_names_what_is_missing_on_either_side() -> None:
    assert mismatches({"LLMGatewayA", "LLMGatewayB"}, {"LLMGatewayB", "LLMGatewayC"}) == [
        "LLMGatewayA: alert without a section in docs/runbooks.md",
        "LLMGatewayC: section of docs/runbooks.md without an alert",
    ]


def test_every_section_says_what_it_means_what_to_check_and_what_to_do() -> None:
    for name, body in sections(RUNBOOKS.read_text()).items():
        missing = [part for part in PARTS if part not in body]
        assert not missing, f"{name}: no {', '.join(missing)}"


def test_the_make_commands_and_dashboard_panels_named_exist(checkout: BundleTree) -> None:
    text = RUNBOOKS.read_text()
    targets = set(re.findall(r"^([a-z0-9-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"`make ([a-z0-9-]+)", text))
    assert named and named <= targets, f"no Makefile target {sorted(named - targets)}"
    titles = {
        p["title"] for board in dashboards.files(checkout) for p in dashboards.panels(json.loads(board.read_text()))
    }
    panels = set(re.findall(r'panel "([^"]+)"', text))
    assert panels and panels <= titles, f"no dashboard panel {sorted(panels - titles)}"


def _alert_rules(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for g in groups for r in g["rules"] if "alert" in r]


def test_every_shipped_alert_links_its_section(checkout: BundleTree) -> None:
    base = alerts.chart_thresholds(checkout)["runbookBaseUrl"]
    documented = set(sections(RUNBOOKS.read_text()))
    anchors = {name.lower(): name for name in documented}
    shipped = []
    for env in ("staging", "prod"):
        docs = kube.documents((ROOT / "k8s" / env / "manifests.yaml").read_text())
        shipped += _alert_rules(next(d for d in docs if d["kind"] == "PrometheusRule")["spec"]["groups"])
    shipped += _alert_rules(YAML(typ="safe").load((ROOT / "compose" / "alerts.yml").read_text())["groups"])
    assert {r["alert"] for r in shipped} == shipped_alerts(checkout)
    for rule in shipped:
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(f"{base}#"), url
        assert anchors.get(url.removeprefix(f"{base}#")) == rule["alert"], url
