"""The access Job in report-only mode (access.mode: report): `gateway_access plan` with nothing to write
(no key sink, no Role, no keys Secret, no service account token, no way to the API server), kept with its
log; drift makes it succeed (the default) or fail (access.failOnDrift), through the reconciler's own exit
codes."""

from __future__ import annotations

from typing import Any

import pytest

from gateway_access import __main__ as gateway_access
from gateway_access import plan as planning
from litellm_bundle.core import facts
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube

from .conftest import Render, find, kinds, values_for

REPORT = ["access.mode=report"]


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return dict(find(docs, "Job", "-access")["spec"]["template"]["spec"]["containers"][0])


def test_report_mode_plans_with_read_only_rights_and_keeps_its_log(render: Render) -> None:
    docs = render("prod", sets=REPORT)
    job = find(docs, "Job", "-access")
    container = _container(docs)
    assert container["command"] == ["python", "-m", "gateway_access", "plan"]
    assert "--keys-to" not in container["args"] and "--exit-zero" in container["args"]
    # plan compares the hash of a key value from a secret reference: the references stay, the master key reads
    assert [e["name"] for e in container["env"] if "valueFrom" in e] == ["LITELLM_MASTER_KEY", "LITELLM_METRICS_KEY"]
    pod = job["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert job["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation", "the log is kept"
    assert not [d for d in docs if d["kind"] in ("Role", "RoleBinding") and d["metadata"]["name"].endswith("-access")]
    assert not [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "litellm-gateway-keys"]
    own = find(docs, "NetworkPolicy", "-access")["spec"]
    assert {p["port"] for rule in own["egress"] for p in rule["ports"]} == {53, 4000}, "DNS and the gateway only"
    # apply mode (the default) keeps its Secret, Role and API server egress
    assert {"Role", "RoleBinding", "Secret"} <= kinds(render("prod"))


def test_a_report_exits_0_on_drift_unless_fail_on_drift(
    render: Render, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rendered command line run by the reconciler against a proxy that drifted (prepare stands in for
    the management API)."""
    drifted = planning.Plan([planning.Change("update", "team", "search", diff={"max_budget": (5.0, 9.0)})], [])
    monkeypatch.setattr(gateway_access, "prepare", lambda *args, **kwargs: (drifted, None))
    monkeypatch.setenv(gateway_access.MASTER_KEY_ENV, "sk-test")
    for sets, code in ((REPORT, facts.EXIT_OK), ([*REPORT, "access.failOnDrift=true"], facts.EXIT_DRIFT)):
        container = _container(render("prod", sets=sets))
        assert gateway_access.main([*container["command"][3:], *container["args"]]) == code, sets
        assert "~ team search: max_budget 5.0 -> 9.0" in capsys.readouterr().err


def test_the_mode_is_apply_or_report(checkout: BundleTree) -> None:
    with pytest.raises(RuntimeError) as info:
        kube.helm_template(checkout, values_for("prod"), sets=["access.mode=dry-run"])
    assert "/access/mode" in str(info.value)
