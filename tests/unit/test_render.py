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

from litellm_bundle.build.generate import Generated, generate
from litellm_bundle.build.output import read_area, stale, write_areas
from litellm_bundle.cli.main import main
from litellm_bundle.core.facts import GENERATED_AREAS
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT


def _yaml(text: str) -> dict:
    return YAML(typ="safe").load(text)


@pytest.fixture(scope="module")
def generation() -> Generated:
    return generate(BundleTree.at(ROOT))


@pytest.fixture(scope="module")
def rendered(generation: Generated) -> dict[str, dict[str, str]]:
    """environment -> rendered/<env>/ file name -> text"""
    out: dict[str, dict[str, str]] = {}
    for path, data in generation.files.items():
        parts = path.split("/")
        if parts[0] == "rendered":
            out.setdefault(parts[1], {})[parts[2]] = data.decode()
    return out


def test_generation_covers_every_output(generation: Generated) -> None:
    assert generation.areas == GENERATED_AREAS
    for env in ("dev", "staging", "prod"):
        assert {
            f"rendered/{env}/config.yaml",
            f"rendered/{env}/hooks.json",
            f"rendered/{env}/values.yaml",
            f"rendered/{env}/secrets.md",
            f"k8s/{env}/manifests.yaml",
        } <= set(generation.files)
    assert {"compose/compose.yaml", "compose/prometheus.yml", ".env.example", "docs/config-reference.md"} <= set(
        generation.files
    )


def test_render_is_byte_identical_twice(generation: Generated) -> None:
    assert generate(BundleTree.at(ROOT)).files == generation.files


def test_committed_generated_files_are_up_to_date(generation: Generated) -> None:
    assert stale(ROOT, generation.files, generation.areas) == [], "generated files are stale: run `make render`"


def test_every_rendered_hooks_json_matches_its_contract(
    rendered: dict[str, dict[str, str]], checkout_policies: Policies
) -> None:
    from gateway_hooks import settings

    validator = checkout_policies.validator(checkout_policies.source_schema("hooks.schema.json"))
    for env, files in rendered.items():
        document = json.loads(files["hooks.json"])
        assert list(validator.iter_errors(document)) == [], env
        assert settings.checked(document) is document
        # complete: every default of the contract is written out
        assert all("on_error" in t and "params" in t for t in document["transforms"]["pipeline"])
        assert document["guardrails"]["banned-keywords"]["message"]


def test_hooks_refuse_a_document_outside_the_contract(rendered: dict[str, dict[str, str]]) -> None:
    from gateway_hooks import settings

    document = json.loads(rendered["dev"]["hooks.json"])
    document["transforms"]["pipeline"][0]["on_error"] = "fail_sideways"
    with pytest.raises(
        RuntimeError, match=r"hooks.json: transforms.pipeline\[0\].on_error: 'fail_sideways' is not one of"
    ):
        settings.checked(document)
    del document["routing"]
    with pytest.raises(RuntimeError, match="'routing' is a required property"):
        settings.checked(document)


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
    assert set(fakes) == {
        "gpt-4o-fake",
        "gpt-4o-mini-fake",
        "claude-sonnet-fake",
        "long-context-fake",
        "text-embedding-fake",
    }
    assert all(e["litellm_params"]["api_base"] == "os.environ/FAKE_PROVIDER_API_BASE" for e in fakes.values())
    # real deployments are preferred (order 1) when their key is set; the fakes are the backup (order 2)
    real = [e for e in config["model_list"] if e["model_info"]["id"] not in fakes]
    assert {e["model_info"]["id"] for e in real} == {
        "gpt-4o-openai",
        "gpt-4o-mini-openai",
        "claude-sonnet-anthropic",
        "text-embedding-openai",
    }
    assert all(e["litellm_params"]["order"] == 1 for e in real) and all(
        e["litellm_params"]["order"] == 2 for e in fakes.values()
    )
    assert config["litellm_settings"]["callbacks"] == ["gateway_hooks.entry.proxy_hooks", "prometheus"]
    assert [g["litellm_params"]["guardrail"] for g in config["guardrails"]] == [
        "gateway_hooks.entry.SecretRedactionGuardrail",
        "gateway_hooks.entry.BannedKeywordsGuardrail",
    ]
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
    assert [r["name"] for r in hooks["routing"]["rules"]] == [
        "long-prompts",
        "tool-calls",
        "thinking-requests",
        "batch-header",
    ]
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


def test_one_pinned_version_everywhere(rendered: dict[str, dict[str, str]], generation: Generated) -> None:
    pinned = BundleTree.at(ROOT).pinned_version()
    assert installed_version("litellm") == pinned, "the .venv litellm differs from LITELLM_VERSION: run `make setup`"
    for env, files in rendered.items():
        assert _yaml(files["values.yaml"])["image"]["tag"] == pinned, env
    assert _yaml((ROOT / "helm" / "litellm-gateway" / "Chart.yaml").read_text())["appVersion"] == pinned
    for path, data in generation.files.items():
        for image in re.findall(r"ghcr\.io/berriai/litellm[\w-]*:([\w.-]+)", data.decode()):
            assert image.lstrip("v") == pinned, f"{path}: image tag {image} != {pinned}"


def _snapshot(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for area in GENERATED_AREAS:
        found.update(read_area(root, area))
    return found


def test_render_writes_nothing_when_validation_fails(repo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(repo_copy), "render"]) == 0
    before = _snapshot(repo_copy)
    assert set(before) >= {
        "rendered/prod/config.yaml",
        "k8s/prod/manifests.yaml",
        "compose/compose.yaml",
        ".env.example",
    }
    prod = repo_copy / "config" / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("replicas: 3", "replicas: 1"))
    (repo_copy / "config" / "models.yaml").write_text(
        (repo_copy / "config" / "models.yaml").read_text().replace("rpm: 5000", "rpm: 4000")
    )
    assert main(["--root", str(repo_copy), "render"]) == 1
    err = capsys.readouterr().err
    assert "config/environments/prod.yaml:9:1: [prod] environment.replicas: prod needs at least 2 replicas" in err
    assert "nothing was written" in err
    assert _snapshot(repo_copy) == before


def test_render_check_compares_the_fresh_generation_of_every_output(
    repo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(repo_copy), "render"]) == 0
    assert main(["--root", str(repo_copy), "render", "--check"]) == 0
    routing = repo_copy / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("cooldown_time: 30", "cooldown_time: 45"))
    assert main(["--root", str(repo_copy), "render", "--check"]) == 1
    err = capsys.readouterr().err
    # k8s/ is compared with helm's output for the fresh values, not with values on disk
    assert "rendered/dev/config.yaml" in err and "k8s/dev/manifests.yaml" in err and "k8s/prod/manifests.yaml" in err
    assert (repo_copy / "rendered" / "dev" / "config.yaml").read_text().count("cooldown_time: 30") == 1
    # a file no generation produces, inside a generated directory, is stale too
    assert main(["--root", str(repo_copy), "render"]) == 0
    (repo_copy / "rendered" / "qa").mkdir()
    (repo_copy / "rendered" / "qa" / "config.yaml").write_text("x: 1\n")
    assert main(["--root", str(repo_copy), "render", "--check"]) == 1
    assert "rendered/qa/config.yaml" in capsys.readouterr().err
    assert main(["--root", str(repo_copy), "render"]) == 0
    assert not (repo_copy / "rendered" / "qa").exists()


def test_write_areas_keeps_the_old_tree_on_failure(tmp_path: Path) -> None:
    areas = ("rendered/", ".env.example")
    write_areas(tmp_path, {"rendered/dev/a.txt": b"old", ".env.example": b"X=1\n"}, areas)
    with pytest.raises(TypeError):
        write_areas(
            tmp_path, {"rendered/dev/a.txt": b"new", "rendered/dev/b.txt": None, ".env.example": b"X=2\n"}, areas
        )  # type: ignore[dict-item]
    assert read_area(tmp_path, "rendered/") == {"rendered/dev/a.txt": b"old"}
    assert (tmp_path / ".env.example").read_bytes() == b"X=1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.example", "rendered"]
    with pytest.raises(ValueError, match="belongs to no generated area"):
        write_areas(tmp_path, {"elsewhere.txt": b"x"}, areas)


def test_cli_exit_codes(repo_copy: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "litellm_bundle", "--root", str(repo_copy), "validate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    routing = repo_copy / "config" / "routing.yaml"
    routing.write_text(routing.read_text().replace("strategy: simple-shuffle", "strategy: fastest"))
    bad = subprocess.run(
        [sys.executable, "-m", "litellm_bundle", "--root", str(repo_copy), "validate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 1
    assert 'config/routing.yaml:2:1: strategy: "fastest" is not allowed' in bad.stderr
    for usage in (
        ["--root", "/nonexistent", "validate"],
        ["validate", "--env", "qa"],
        ["render", "--config", "/nonexistent"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "litellm_bundle", *usage], capture_output=True, text=True, cwd=ROOT
        )
        assert result.returncode == 2, (usage, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.strip(), usage


def test_secrets_doc_names_every_secret_key_the_pods_read(rendered: dict[str, dict[str, str]]) -> None:
    for env, files in rendered.items():
        values = _yaml(files["values.yaml"])
        doc = files["secrets.md"]
        synced = {item["name"] for item in values["externalSecrets"]["items"]}
        for entry in values["secretEnv"]:
            if entry["secretName"] in synced:
                assert f"| {entry['secretName']} | {entry['key']} |" in doc, (env, entry)
            else:
                assert (
                    f"create secret generic {entry['secretName']}" in doc
                    and f'--from-literal={entry["key"]}="${entry["name"]}"' in doc
                ), (env, entry)
    assert (
        "litellm-gateway-env" in rendered["dev"]["secrets.md"]
        and "litellm-provider-keys" in rendered["staging"]["secrets.md"]
    )
