"""The gateway's alert rules, read from their one source (helm/litellm-gateway/files/alerts.yaml) and
rendered as Prometheus rule groups: for the local and Compose Prometheus, and by the tests, which
compare them with the chart's PrometheusRule (the chart renders the same source with helm)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

from litellm_bundle.core.facts import CHART, RELEASE
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.render import slo

# the scrape job of the gateway in the local stacks (native and Compose): the job label the chart's
# ServiceMonitor gives it (its Service's name, the release's), so the rules select both alike
LOCAL_JOB = RELEASE
KUBE_STATE_METRICS = "kube-state-metrics"


@dataclass(frozen=True)
class Alert:
    name: str
    signal: str  # the expression without its comparison, tokens not yet replaced
    condition: str
    threshold: str | None  # name of the chart value holding the threshold
    duration: str | None  # `for:`
    severity: str
    summary: str
    description: str
    needs: str | None  # an exporter only a cluster has (kube-state-metrics)


def load(tree: BundleTree) -> list[Alert]:
    source = YAML(typ="safe").load(tree.alerts_file.read_text(encoding="utf-8"))
    return [
        Alert(
            a["alert"],
            a["signal"],
            a["condition"],
            a.get("threshold"),
            a.get("for"),
            a["severity"],
            a["summary"],
            a["description"],
            a.get("needs"),
        )
        for a in source["alerts"]
    ]


def chart_thresholds(tree: BundleTree) -> dict[str, Any]:
    """The threshold values of the chart's defaults (metrics.prometheusRule in values.yaml)."""
    values = YAML(typ="safe").load((tree.chart_dir / "values.yaml").read_text(encoding="utf-8"))
    return dict(values["metrics"]["prometheusRule"])


@dataclass(frozen=True)
class Target:
    """How the rules find the gateway: its scrape labels, and for cluster alerts its namespace and pods."""

    selector: str
    namespace: str = ""
    pods: str = ""


LOCAL = Target(f'job="{LOCAL_JOB}"')


def _fill(text: str, target: Target, threshold: str | None) -> str:
    tokens = {"$selector": target.selector, "$namespace": target.namespace, "$pods": target.pods}
    if threshold is not None:
        tokens["$threshold"] = threshold
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _number(value: Any) -> str:
    """A threshold as helm's toString prints it (5 -> "5", 0.5 -> "0.5")."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def signal(alert: Alert, target: Target) -> str:
    return _fill(alert.signal, target, None)


def rule(
    alert: Alert, target: Target, environment: str, thresholds: dict[str, Any], duration: str | None = None
) -> dict[str, Any]:
    """One alerting rule; `duration` replaces the source's `for:` (a short test profile)."""
    threshold = _number(thresholds[alert.threshold]) if alert.threshold else None
    body: dict[str, Any] = {"alert": alert.name, "expr": _fill(f"{alert.signal} {alert.condition}", target, threshold)}
    if duration or alert.duration:
        body["for"] = duration or alert.duration
    body["labels"] = {"severity": alert.severity, "environment": environment}
    body["annotations"] = {"summary": _fill(alert.summary, target, threshold), "description": alert.description}
    if "runbookBaseUrl" in thresholds:  # a chart from before the runbooks (diff --ref) has none
        body["annotations"]["runbook_url"] = runbook_url(thresholds, alert.name)
    return body


def runbook_url(values: dict[str, Any], alert: str) -> str:
    """The alert's section of docs/runbooks.md under the chart value runbookBaseUrl (as the chart writes it)."""
    return f"{values['runbookBaseUrl']}#{alert.lower()}"


def slo_groups(tree: BundleTree, target: Target, environment: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Sloth's rule groups of the environment (policies/slo/rules/<env>.yaml) as the chart renders sloGroups."""
    found = []
    for group in slo.rule_groups(tree, environment):
        rules = []
        for item in group["rules"]:
            item = {**item, "expr": item["expr"].replace(slo.SELECTOR, target.selector)}
            if "alert" in item:
                item["annotations"] = {**item.get("annotations", {}), "runbook_url": runbook_url(values, item["alert"])}
            rules.append(item)
        found.append({"name": group["name"], "rules": rules})
    return found


def groups(
    tree: BundleTree,
    target: Target,
    environment: str,
    *,
    thresholds: dict[str, Any] | None = None,
    duration: str | None = None,
    cluster: bool = False,
) -> list[dict[str, Any]]:
    """Prometheus rule groups of every alert (cluster=False leaves out the alerts on cluster-only metrics)."""
    values = thresholds if thresholds is not None else chart_thresholds(tree)
    rules = [rule(a, target, environment, values, duration) for a in load(tree) if cluster or a.needs is None]
    return [{"name": f"{CHART}.{environment}", "rules": rules}, *slo_groups(tree, target, environment, values)]


def rules_file(tree: BundleTree, environment: str, target: Target = LOCAL, duration: str | None = None) -> str:
    """A Prometheus rule file for a local stack (Compose, native, tests)."""
    header = f"# Generated by `make render` from {tree.alerts_file.relative_to(tree.root).as_posix()}. Do not edit.\n"
    return header + dump_yaml({"groups": groups(tree, target, environment, duration=duration)})
