"""LiteLLM's own loader, run on the installed litellm (ProxyConfig.load_config and
initialize_callbacks_on_proxy, offline, in a subprocess of their own): one test per behaviour the
bundle's schemas follow, where they are lenient because LiteLLM does what the user meant, or strict
because LiteLLM silently does something else (docs/litellm-surface.md, "Unknown keys, per section")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from litellm_bundle.core.problems import Location
from litellm_bundle.policy import schemas
from litellm_bundle.policy.policies import Policies
from tests.helpers import checkout_tree

# one xdist worker runs this file: the probe (a quarter minute: it imports LiteLLM's proxy) starts once, not per worker
pytestmark = pytest.mark.xdist_group("litellm-loader")

PROBE = r"""
import asyncio, json, os, sys
from pathlib import Path

work = Path(sys.argv[1])
nullable = json.loads(sys.argv[2])
sys.path.insert(0, str(work))
(work / "team_callbacks.py").write_text(
    "from litellm.integrations.custom_logger import CustomLogger\n"
    "class TeamLogger(CustomLogger):\n    pass\n"
    "handler = TeamLogger()\n"
)
import litellm
from litellm.proxy import proxy_server
from litellm.proxy.common_utils.callback_utils import initialize_callbacks_on_proxy

MODEL = (
    "model_list:\n  - model_name: m\n    litellm_params: {model: openai/gpt-4o, api_key: sk-fake}\n"
    "    model_info: {version: 2, owner: team-a}\n"
)
out = {}


def load(text):
    config = work / "config.yaml"
    config.write_text(text)
    return asyncio.run(proxy_server.proxy_config.load_config(router=None, config_file_path=str(config)))


litellm.callbacks = []
initialize_callbacks_on_proxy(
    value="team_callbacks.handler", premium_user=False, config_file_path=str(work / "config.yaml"), litellm_settings={}
)
out["one_callback"] = [type(c).__name__ for c in litellm.callbacks]

try:
    load(MODEL + "litellm_settings:\n  success_callback: langfuse\n")
    out["success_callback_string"] = [c if isinstance(c, str) else type(c).__name__ for c in litellm.success_callback]
except Exception as exc:
    out["success_callback_string"] = f"error: {exc}"
litellm.success_callback = []

router, models, _ = load(MODEL + "".join(f"{name}:\n" for name in nullable if name != "model_list"))
out["null_sections"] = sorted(name for name in nullable if name != "model_list")
out["model_info"] = {k: v for k, v in models[0]["model_info"].items() if k in ("version", "owner")}

try:
    load(MODEL + "include:\n")
    out["include_null"] = "loaded"
except Exception as exc:
    out["include_null"] = f"error: {exc}"

load(MODEL + "mcp_server:\n  github: {url: http://127.0.0.1:9/mcp}\n")
out["unknown_section"] = "loaded"
print("PROBE " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def policies() -> Policies:
    return Policies(checkout_tree())


def _nullable(policies: Policies) -> list[str]:
    config = policies.litellm_schemas["config.schema.json"]["properties"]
    return sorted(name for name, schema in config.items() if {"type": "null"} in schema.get("anyOf", []))


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory, policies: Policies) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("loader")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(work), json.dumps(_nullable(policies))],
        cwd=work,
        env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("PROBE "))
    return result


def _errors(policies: Policies, document: dict[str, Any]) -> list[str]:
    validator = policies.validator(policies.source_schema("litellm.schema.json"))
    problems = schemas.check(validator, document, lambda path: Location("config/litellm.yaml", 1, 1), check="schema")
    return [p.message for p in problems]


def test_callbacks_takes_one_dotted_path(probe: dict[str, Any], policies: Policies) -> None:
    """initialize_callbacks_on_proxy imports a single `callbacks` value as one object: accepted."""
    assert probe["one_callback"] == ["TeamLogger"]
    assert _errors(policies, {"litellm_settings": {"callbacks": "team_callbacks.handler"}}) == []
    assert _errors(policies, {"litellm_settings": {"callbacks": ["langfuse", "team_callbacks.handler"]}}) == []
    assert _errors(policies, {"litellm_settings": {"callbacks": "langfuse"}})  # one name is no dotted path


def test_success_callback_string_is_not_one_callback(probe: dict[str, Any], policies: Policies) -> None:
    """load_config iterates success_callback: a string is taken letter by letter, never as the callback
    meant, so the bundle keeps it a list."""
    assert probe["success_callback_string"] != ["langfuse"]
    assert _errors(policies, {"litellm_settings": {"success_callback": "langfuse"}})


def test_a_section_present_but_empty_is_absent(probe: dict[str, Any], policies: Policies) -> None:
    """Every section the schema lets be null, load_config reads as absent (the proxy loads)."""
    nullable = _nullable(policies)
    assert probe["null_sections"] == [n for n in nullable if n != "model_list"] and len(nullable) > 20
    bundle_sections = [n for n in nullable if n not in ("model_list", "agent_list")]  # agent_list: agents' old name
    assert _errors(policies, dict.fromkeys(bundle_sections)) == []


def test_include_present_but_empty_is_refused(probe: dict[str, Any], policies: Policies) -> None:
    assert "'include' must be a list of file paths" in probe["include_null"]
    assert "include" not in _nullable(policies)


def test_model_info_keeps_metadata(probe: dict[str, Any], policies: Policies) -> None:
    """ModelInfo keeps keys it does not name (extra="allow"): the deployment carries them."""
    assert probe["model_info"] == {"version": 2, "owner": "team-a"}
    assert "additionalProperties" not in policies.litellm_schemas["model_info.schema.json"]


def test_an_unknown_section_is_silently_ignored(probe: dict[str, Any], policies: Policies) -> None:
    """LiteLLM loads a config with a misspelt section and does nothing with it: the bundle refuses it."""
    assert probe["unknown_section"] == "loaded"
    assert any("did you mean 'mcp_servers'" in e for e in _errors(policies, {"mcp_server": {}}))
