"""The boot check (`make check-config`) with the real pinned proxy: every shipped environment boots,
and so does the import corpus, all of it in one config (one proxy start per config: starts are the
expensive part). A broken config is reported, not booted quietly."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import FALLBACK_KINDS, HOOKS_PACKAGE
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.importer import convert
from litellm_bundle.runtime import boot_check
from tests.boot_packing import Rendered, boot, pack
from tests.helpers import ROOT, checkout_tree

pytestmark = pytest.mark.proxy
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.yaml"))


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_shipped_environment_boots(env: str, tmp_path: Path) -> None:
    tree = checkout_tree()
    [result] = boot_check.check_environments(tree, [env], tmp_path)
    assert not result.failures, str(result)
    config, _, _ = boot_check.rendered(tree, env)
    assert result.models == boot_check.expected(config)[0] and len(result.models) >= 5
    # what each environment serves besides the API was checked against the running proxy
    assert (
        result.surfaces
        == {"dev": [], "staging": ["metrics", "api_docs"], "prod": ["metrics", "admin_ui", "api_docs", "cors"]}[env]
    )


def _rendered(tree: BundleTree, source: Path) -> tuple[dict[str, Any], str]:
    imported = convert.import_config(tree, source, "dev").imported
    assert imported is not None, f"{source.name} does not import"
    with tempfile.TemporaryDirectory() as tmp:
        convert.write_files(Path(tmp) / "config", imported.files)
        files = render_one(BundleTree.at(tree.root, config_dir=Path(tmp) / "config"), "dev")
    doc, _ = parse_yaml(files["config.yaml"], str(source))
    assert doc is not None
    return doc.data, files["hooks.json"]


# the top-level sections combine() joins (renaming what names collide); a corpus config with another
# section (mcp_servers, search_tools, policies, ...: their names refer to each other) boots unrenamed in
# test_corpus_sections_boot
COMBINED = {
    "model_list",
    "litellm_settings",
    "general_settings",
    "router_settings",
    "guardrails",
    "credential_list",
    "environment_variables",
    "callback_settings",
}


def combine(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One config serving every config's deployments, guardrails, callbacks and settings: names
    prefixed by the config's (so nothing collides), lists joined, other settings first come."""
    out: dict[str, Any] = {
        "model_list": [],
        "litellm_settings": {},
        "general_settings": {},
        "router_settings": {},
        "guardrails": [],
    }
    for name, config in configs.items():
        config = copy.deepcopy(config)
        group = {m["model_name"]: f"{name}/{m['model_name']}" for m in config.get("model_list", [])}
        credential = {c["credential_name"]: f"{name}-{c['credential_name']}" for c in config.get("credential_list", [])}
        for entry in config.get("model_list", []):
            entry["model_name"] = group[entry["model_name"]]
            entry["model_info"]["id"] = f"{name}-{entry['model_info']['id']}"
            params = entry["litellm_params"]
            if "litellm_credential_name" in params:
                params["litellm_credential_name"] = credential[params["litellm_credential_name"]]
            out["model_list"].append(entry)
        for item in config.get("credential_list", []):
            out.setdefault("credential_list", []).append(
                {**item, "credential_name": credential[item["credential_name"]]}
            )
        for guardrail in config.get("guardrails", []):
            if not guardrail["litellm_params"]["guardrail"].startswith(f"{HOOKS_PACKAGE}."):
                out["guardrails"].append({**guardrail, "guardrail_name": f"{name}-{guardrail['guardrail_name']}"})
            elif guardrail not in out["guardrails"]:
                out["guardrails"].append(guardrail)
        router = config.get("router_settings", {})
        for alias, target in router.pop("model_group_alias", {}).items():
            renamed = {**target, "model": group[target["model"]]} if isinstance(target, dict) else group[target]
            out["router_settings"].setdefault("model_group_alias", {})[f"{name}/{alias}"] = renamed
        for kind in FALLBACK_KINDS:
            for item in router.pop(kind, []):
                out["router_settings"].setdefault(kind, []).append(
                    {group[k]: [group[t] for t in v] for k, v in item.items()}
                )
        for key, value in router.items():
            out["router_settings"].setdefault(key, value)
        for key, value in config.get("litellm_settings", {}).items():
            current = out["litellm_settings"].get(key)
            if isinstance(current, list) and isinstance(value, list):
                out["litellm_settings"][key] = current + [v for v in value if v not in current]
            else:
                out["litellm_settings"].setdefault(key, value)
        for key, value in config.get("general_settings", {}).items():
            if key == "pass_through_endpoints":
                out["general_settings"].setdefault(key, []).extend(value)
            else:
                out["general_settings"].setdefault(key, value)
        for key in ("environment_variables", "callback_settings"):
            out.setdefault(key, {}).update(config.get(key, {}))
    return out


def test_corpus_boots_in_one_config(tmp_path: Path) -> None:
    tree = checkout_tree()
    configs: dict[str, dict[str, Any]] = {}
    hooks = ""
    for source in CORPUS:
        rendered, rendered_hooks = _rendered(tree, source)
        if set(rendered) <= COMBINED:  # the others: test_corpus_sections_boot
            configs[source.stem], hooks = rendered, rendered_hooks
    config = combine(configs)
    result = boot_check.boot("corpus", config, hooks, tree, tmp_path)
    assert not result.failures, str(result)
    models, callbacks, guardrails = boot_check.expected(config)
    assert len(CORPUS) >= 20 and len(models) > len(CORPUS)
    # what the corpus is for: these kinds of callbacks and guardrails really load
    for wanted in ("langfuse", "otel", "datadog", "s3", "prometheus"):
        assert wanted in callbacks
    for kind in ("presidio", "lakera_v2", "bedrock", "aporia"):
        assert any(g["litellm_params"]["guardrail"] == kind for g in config["guardrails"])
    assert len(guardrails) >= 5


def test_corpus_sections_boot(tmp_path: Path) -> None:
    """The corpus configs of LiteLLM's other top-level sections (MCP servers, search tools, vector stores,
    guardrail policies, files and fine-tuning) boot as rendered, several per proxy start where nothing of
    theirs collides (tests/boot_packing.py)."""
    tree = checkout_tree()
    rendered = {}
    for source in CORPUS:
        config, hooks = _rendered(tree, source)
        if not set(config) <= COMBINED:
            rendered[source.stem] = Rendered(config, hooks)
    sections = {section for one in rendered.values() for section in one.config} - COMBINED
    assert {"mcp_servers", "search_tools", "vector_store_registry", "policies", "policy_attachments"} <= sections
    assert {"files_settings", "finetune_settings"} <= sections
    failures = {}
    for index, (names, one) in enumerate(pack(rendered)):
        result = boot(" + ".join(names), one, tmp_path / f"boot-{index}")
        if result.failures:
            failures[result.name] = result.failures
    assert failures == {}, failures
