"""The Grafana dashboards the chart ships (helm/litellm-gateway/files/dashboards/*.json): their
queries, the same queries made concrete for a Prometheus API, and a lint.

The lint checks the rules of Grafana's dashboard-linter (its rule names in brackets) that apply to a
dashboard of Prometheus queries; the PromQL itself is parsed by promtool and evaluated by a real
Prometheus in the tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm_bundle.core.tree import BundleTree

RATE_INTERVAL = "$__rate_interval"
DATASOURCE_UIDS = ("${datasource}", "$datasource")
REQUIRED_MATCHERS = ('job=~"$job"', 'instance=~"$instance"')
# Grafana unit ids the dashboards use; a typo would render raw numbers
UNITS = {"reqps", "short", "s", "ms", "percent", "percentunit", "currencyUSD", "bytes", "none"}
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")

_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}")
_RANGE = re.compile(r"\[([^\]]+)\]")
_LEGEND_LABEL = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")
_BY = re.compile(r"\bby\s*\(([^)]*)\)")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref: str
    expr: str
    legend: str


def files(tree: BundleTree) -> list[Path]:
    return sorted(tree.dashboards_dir.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return dashboard


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that is not a row, including panels nested in collapsed rows."""
    found = []
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            found += panel.get("panels", [])
        else:
            found.append(panel)
    return found


def queries(tree: BundleTree) -> list[Query]:
    out = []
    for path in files(tree):
        dashboard = load(path)
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                out.append(
                    Query(
                        path.name,
                        panel.get("title", ""),
                        target.get("refId", ""),
                        target.get("expr", ""),
                        target.get("legendFormat", ""),
                    )
                )
    return out


def concrete(expr: str, job: str, window: str) -> str:
    """A dashboard query as Grafana sends it with `job` selected, every instance and a rate interval of `window`."""
    return (
        expr.replace('job=~"$job"', f'job=~"{job}"')
        .replace('instance=~"$instance"', 'instance=~".+"')
        .replace(RATE_INTERVAL, window)
    )


def _lint_templating(name: str, dashboard: dict[str, Any]) -> list[str]:
    problems = []
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    source = variables.get("datasource")
    if not source or source.get("type") != "datasource" or source.get("query") != "prometheus":
        problems.append(
            f"{name}: needs a `datasource` variable of type datasource for Prometheus [template-datasource-rule]"
        )
    for var in ("job", "instance"):
        entry = variables.get(var)
        if not entry or entry.get("type") != "query":
            problems.append(f"{name}: needs a `{var}` query variable [template-{var}-rule]")
            continue
        if (entry.get("datasource") or {}).get("uid") not in DATASOURCE_UIDS:
            problems.append(f"{name}: variable `{var}` must query ${{datasource}} [template-{var}-rule]")
        if not entry.get("multi") or not entry.get("includeAll"):
            problems.append(f"{name}: variable `{var}` must allow several values and All [template-{var}-rule]")
    return problems


def _lint_expr(where: str, expr: str, legend: str) -> list[str]:
    problems = []
    selectors = _SELECTOR.findall(expr)
    if not selectors:
        problems.append(f"{where}: no metric selector with matchers [target-job-rule]")
    for metric, matchers in selectors:
        for required in REQUIRED_MATCHERS:
            if required not in matchers:
                rule = "target-job-rule" if "job" in required else "target-instance-rule"
                problems.append(f"{where}: {metric} lacks the matcher {required} [{rule}]")
        if metric.endswith(COUNTER_SUFFIXES) and not re.search(rf"\b(rate|increase)\(\s*{re.escape(metric)}\{{", expr):
            problems.append(
                f"{where}: counter {metric} must be read through rate() or increase() [target-counter-agg-rule]"
            )
    for window in _RANGE.findall(expr):
        if window != RATE_INTERVAL:
            problems.append(f"{where}: range [{window}] should be [{RATE_INTERVAL}] [target-rate-interval-rule]")
    grouped = {label.strip() for clause in _BY.findall(expr) for label in clause.split(",")}
    for label in _LEGEND_LABEL.findall(legend):
        if label not in grouped:
            problems.append(
                f"{where}: legend names {{{{{label}}}}}, which the query does not keep (by "
                f"({', '.join(sorted(grouped))}))"
            )
    return problems


def lint(path: Path) -> list[str]:
    """Every problem of one dashboard file, one line each (empty: clean)."""
    name = path.name
    try:
        dashboard = load(path)
    except json.JSONDecodeError as exc:
        return [f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}"]
    problems = _lint_templating(name, dashboard)
    for key in ("uid", "title", "description"):
        if not dashboard.get(key):
            problems.append(f"{name}: the dashboard needs a {key}")
    top = dashboard.get("panels", [])
    ids = [p.get("id") for p in top] + [n.get("id") for p in top if p.get("type") == "row" for n in p.get("panels", [])]
    if len(set(ids)) != len(ids):
        problems.append(f"{name}: panel ids are not unique")
    for panel in panels(dashboard):
        title = panel.get("title", "")
        where = f"{name}: panel '{title}'"
        if not title or not panel.get("description"):
            problems.append(f"{where}: needs a title and a description [panel-title-description-rule]")
        if (panel.get("datasource") or {}).get("uid") not in DATASOURCE_UIDS:
            problems.append(f"{where}: must use the ${{datasource}} variable [panel-datasource-rule]")
        unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
        if unit not in UNITS:
            problems.append(f"{where}: unit {unit!r} is not one of {', '.join(sorted(UNITS))} [panel-units-rule]")
        grid = panel.get("gridPos") or {}
        if grid.get("x", 0) + grid.get("w", 0) > 24:
            problems.append(f"{where}: wider than the 24 grid columns")
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{where}: has no query [panel-no-targets-rule]")
        for target in targets:
            if (target.get("datasource") or {}).get("uid") not in DATASOURCE_UIDS:
                problems.append(
                    f"{where} query {target.get('refId')}: must use the ${{datasource}} variable "
                    "[panel-datasource-rule]"
                )
            problems += _lint_expr(
                f"{where} query {target.get('refId')}", target.get("expr", ""), target.get("legendFormat", "")
            )
    return problems
