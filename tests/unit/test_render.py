"""Renderer: content, determinism, atomic writes, staleness check, pinned version."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import version as installed_version
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle import paths
from litellm_bundle.cli import main
from litellm_bundle.configset import load_config_set
from litellm_bundle.output import read_tree, write_tree_atomically
from litellm_bundle.render import render_all

ROOT = paths.ROOT


def _yaml(text: str) -> dict:
    return YAML(typ="safe").load(text)


@pytest.fixture(scope="module")
def rendered() -> dict[str, dict[str, str]]:
    return render_all(load_config_set())


def test_render_is_byte_identical_twice(rendered: dict[str, dict[str, str]]) -> None:
    assert render_all(load_config_set()) == rendered


def test_committed_rendered_files_are_up_to_date(rendered: dict[str, dict[str, str]]) -> None:
    for env, files in rendered.items():
        assert read_tree(ROOT / "rendered" / env) == files, f"rendered/{env} is stale: run `make render`"


def test_secrets_only_as_references(rendered: dict[str, dict[str, str]]) -> None:
    for env, files in rendered.items():
        config = _yaml(files["config.yaml"])
        for entry in config["model_list"]:
            key = entry["litellm_params"].get("api_key")
            assert key is None or re.fullmatch(r"os\.environ/[A-Z0-9_]+", key), (env, key)
        assert config["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"


def test_dev_config_targets_fake_provider_and_hooks(rendered: dict[str, dict[str, str]]) -> None:
    config = _yaml(rendered["dev"]["config.yaml"])
    fakes = {e["model_info"]["id"]: e for e in config["model_list"] if e["model_info"]["id"].endswith("-fake")}
    assert set(fakes) == {"gpt-4o-fake", "gpt-4o-mini-fake", "claude-sonnet-fake", "long-context-fake", "text-embedding-fake"}
    assert all(e["litellm_params"]["api_base"] == "os.environ/FAKE_PROVIDER_API_BASE" for e in fakes.values())
    # real deployments are preferred (order 1) when their key is set; the fakes are the backup (order 2)
    real = [e for e in config["model_list"] if e["model_info"]["id"] not in fakes]
    assert {e["model_info"]["id"] for e in real} == {"gpt-4o-openai", "gpt-4o-mini-openai", "claude-sonnet-anthropic", "text-embedding-openai"}
    assert all(e["litellm_params"]["order"] == 1 for e in real) and all(e["litellm_params"]["order"] == 2 for e in fakes.values())
    assert config["litellm_settings"]["callbacks"] == ["gateway_hooks.entry.proxy_hooks", "prometheus"]
    assert [g["litellm_params"]["guardrail"] for g in config["guardrails"]] == [
        "gateway_hooks.entry.SecretRedactionGuardrail", "gateway_hooks.entry.BannedKeywordsGuardrail"]
    assert config["router_settings"]["redis_host"] == "os.environ/REDIS_HOST"
    assert "cache" not in config["litellm_settings"]


def test_prod_config_shares_state_in_redis_and_uses_database(rendered: dict[str, dict[str, str]]) -> None:
    config = _yaml(rendered["prod"]["config.yaml"])
    assert config["router_settings"]["redis_host"] == "os.environ/REDIS_HOST"
    assert config["litellm_settings"]["cache_params"]["type"] == "redis"
    assert config["general_settings"]["database_url"] == "os.environ/DATABASE_URL"
    assert config["router_settings"]["fallbacks"] == [{"gpt-4o": ["claude-sonnet"]}, {"gpt-4o-mini": ["gpt-4o"]}]
    # rpm/tpm of models.yaml are enforced limits, not only routing weights
    assert config["router_settings"]["optional_pre_call_checks"] == ["enforce_model_rate_limits"]


def test_hooks_config_carries_rules_and_detectors(rendered: dict[str, dict[str, str]]) -> None:
    hooks = json.loads(rendered["dev"]["hooks.json"])
    assert [r["name"] for r in hooks["routing"]["rules"]] == ["long-prompts", "tool-calls", "thinking-requests", "batch-header"]
    assert hooks["routing"]["labels"]["long_context"] == "long-context"
    assert set(hooks["guardrails"]["redact-secrets"]["detectors"]) >= {"openai_key", "aws_access_key_id", "jwt"}
    assert hooks["transforms"]["pipeline"][0]["type"] == "default_temperature"


def test_helm_values_wire_secrets_by_reference(rendered: dict[str, dict[str, str]]) -> None:
    prod = _yaml(rendered["prod"]["values.yaml"])
    names = {e["name"] for e in prod["secretEnv"]}
    assert {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "OPENAI_API_KEY", "DATABASE_URL"} <= names
    assert all(set(e) == {"name", "secretName", "key"} for e in prod["secretEnv"])
    assert prod["externalSecrets"]["items"][0]["store"] == "vault-backend"
    assert prod["litellmConfig"] == rendered["prod"]["config.yaml"]
    staging = _yaml(rendered["staging"]["values.yaml"])
    assert not staging["externalSecrets"]["enabled"]
    assert {"name": "OPENAI_API_KEY", "secretName": "litellm-provider-keys", "key": "openai"} in staging["secretEnv"]


def test_one_pinned_version_everywhere(rendered: dict[str, dict[str, str]]) -> None:
    pinned = paths.pinned_litellm_version()
    assert installed_version("litellm") == pinned, "the .venv litellm differs from LITELLM_VERSION: run `make setup`"
    for env, files in rendered.items():
        assert _yaml(files["values.yaml"])["image"]["tag"] == pinned, env
    chart = ROOT / "helm" / "litellm-gateway" / "Chart.yaml"
    if chart.exists():
        assert _yaml(chart.read_text())["appVersion"] == pinned
    for manifest in sorted((ROOT / "k8s").rglob("*.yaml")) + sorted((ROOT / "compose").rglob("*.y*ml")):
        for image in re.findall(r"ghcr\.io/berriai/litellm[\w-]*:([\w.-]+)", manifest.read_text()):
            assert image.lstrip("v") == pinned, f"{manifest}: image tag {image} != {pinned}"


def test_render_writes_nothing_when_validation_fails(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo_copy), "render"]) == 0
    before = read_tree(repo_copy / "rendered")
    prod = repo_copy / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 3", "replicas: 1"))
    (repo_copy / "config" / "models.yaml").write_text((repo_copy / "config" / "models.yaml").read_text().replace("rpm: 5000", "rpm: 4000"))
    assert main(["--root", str(repo_copy), "render"]) == 1
    err = capsys.readouterr().err
    assert "config/environments/prod.yaml:4:1: [prod] environment.replicas: prod needs at least 2 replicas" in err
    assert "nothing was written" in err
    assert read_tree(repo_copy / "rendered") == before


def test_render_check_detects_stale_output(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo_copy), "render"]) == 0
    assert main(["--root", str(repo_copy), "render", "--check"]) == 0
    routing = repo_copy / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 45"))
    assert main(["--root", str(repo_copy), "render", "--check"]) == 1
    assert "rendered/dev/config.yaml" in capsys.readouterr().err


def test_atomic_write_keeps_old_tree_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out"
    write_tree_atomically(target, {"a.txt": "old"})
    with pytest.raises(TypeError):
        write_tree_atomically(target, {"a.txt": "new", "b.txt": None})  # type: ignore[dict-item]
    assert read_tree(target) == {"a.txt": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_docs_reference_is_current() -> None:
    assert main(["docs", "--check"]) == 0, "docs/config-reference.md is stale: run `make docs`"


def test_cli_validate_exit_codes(repo_copy: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "litellm_bundle", "--root", str(repo_copy), "validate"], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    routing = repo_copy / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("strategy: simple-shuffle", "strategy: fastest"))
    bad = subprocess.run([sys.executable, "-m", "litellm_bundle", "--root", str(repo_copy), "validate"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 1
    assert "config/routing.yaml:2:1: strategy: \"fastest\" is not allowed" in bad.stderr
