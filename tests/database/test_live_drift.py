"""`drift` on the real proxy with real PostgreSQL (the group's shared db_stack): a model added through
/model/new and a setting changed through /config/update are found, each at its place; the untouched proxy
shows no drift against what it was started with and, against the committed dev render, exactly what the
local staging changes; a wrong master key is exit 1. The proxy is left as it was found: the model deleted,
the setting back off and removed from the database (a router setting is not changed here: LiteLLM keeps a
router value in memory after its row is gone)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import live_drift
from tests.helpers import checkout_tree
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy

TREE = checkout_tree()
ADDED = {
    "model_name": "drift-added",
    "litellm_params": {"model": "openai/drift-added", "api_base": "http://127.0.0.1:1/v1", "api_key": "sk-none"},
    "model_info": {"id": "drift-added-id"},
}


@pytest.fixture
def admin(db_stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=db_stack.url, headers={"Authorization": f"Bearer {db_stack.key}"}, timeout=30) as c:
        yield c


def post(client: httpx.Client, path: str, body: dict[str, Any]) -> None:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"


def found(stack: Stack) -> set[tuple[str, str]]:
    """drift of the shared proxy against the config it was started with."""
    _, findings, _ = live_drift.check(
        TREE, Policies(TREE), stack.url, {"LITELLM_MASTER_KEY": stack.key}, stack.log.parent / "config.yaml"
    )
    return {(f.kind, f.subject) for f in findings}


def ids(config: dict[str, Any]) -> set[str]:
    return {entry["model_info"]["id"] for entry in config["model_list"]}


def test_drift_finds_a_model_added_and_a_setting_changed_at_runtime(
    db_stack: Stack, admin: httpx.Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert found(db_stack) == set(), "the untouched proxy serves what it was started with"

    monkeypatch.setenv("LITELLM_MASTER_KEY", db_stack.key)
    assert main(["drift", "--url", db_stack.url, "--env", "dev", "--format", "json"]) == facts.EXIT_DRIFT
    report = json.loads(capsys.readouterr().out)
    staged = YAML(typ="safe").load((db_stack.log.parent / "config.yaml").read_text())
    rendered = YAML(typ="safe").load(live_drift.rendered_config(TREE, "dev").read_text())
    # what the local staging changes: real providers' deployments left out (no keys), the priced test deployment
    known = {("model-missing", i) for i in ids(rendered) - ids(staged)} | {
        ("model-config-only", i) for i in ids(staged) - ids(rendered)
    }
    assert {(f["kind"], f["subject"].rsplit("(id ", 1)[1][:-1]) for f in report["findings"]} == known
    assert report["drift"] is True and {f["file"] for f in report["findings"]} == {"rendered/dev/config.yaml"}

    post(admin, "/config/update", {"general_settings": {"store_model_in_db": True}})
    try:
        post(admin, "/model/new", ADDED)
        try:
            assert found(db_stack) == {
                ("setting-runtime", "general_settings.store_model_in_db"),
                ("model-added-db", "model drift-added (id drift-added-id)"),
            }
            assert main(["drift", "--url", db_stack.url, "--env", "dev"]) == facts.EXIT_DRIFT
            text = capsys.readouterr()
            line = 1 + next(i for i, t in enumerate(text_lines("dev")) if t.startswith("model_list:"))
            assert (
                f"rendered/dev/config.yaml:{line}:1: model drift-added (id drift-added-id) -> openai/drift-added: "
                "stored in the database (/model/new or the UI), not in the render [model-added-db]"
            ) in text.err
            assert "general_settings.store_model_in_db is True, stored in the database at runtime" in text.err
            assert (
                text.out.startswith("drift: ")
                and f"difference(s), the proxy at {db_stack.url} against rendered/dev/config.yaml" in text.out
            )
        finally:
            post(admin, "/model/delete", {"id": ADDED["model_info"]["id"]})
    finally:
        post(admin, "/config/update", {"general_settings": {"store_model_in_db": False}})
        post(admin, "/config/field/delete", {"config_type": "general_settings", "field_name": "store_model_in_db"})
    assert found(db_stack) == set(), "the shared proxy is left as it was found"

    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-not-the-master-key")
    assert main(["drift", "--url", db_stack.url, "--env", "dev"]) == facts.EXIT_PROBLEMS
    err = capsys.readouterr().err
    assert f"drift: the proxy at {db_stack.url} refused the master key (401 on /model/info)" in err
    assert "Traceback" not in err


def text_lines(env: str) -> list[str]:
    return live_drift.rendered_config(TREE, env).read_text(encoding="utf-8").splitlines()
