"""`python -m litellm_bundle import CONFIG.yaml --into DIR [--env ENV]`: a LiteLLM config becomes a
complete config directory; literal secrets become declared references, comments move with their
keys; what cannot be imported is located in CONFIG.yaml and then nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.importer import convert
from tests.helpers import ROOT, checkout_tree, validate_root

CONFIG = """\
# Our gateway.
model_list:
  # the Azure deployment, Entra ID
  - model_name: gpt-4o
    litellm_params:
      model: azure/gpt-4o-eu
      api_base: https://contoso.openai.azure.com   # West Europe
      api_version: "2024-10-21"
      tenant_id: os.environ/AZURE_TENANT_ID
      client_id: os.environ/AZURE_CLIENT_ID
      client_secret: plain-client-secret-text
      rpm: 100
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY
router_settings:
  num_retries: 2
  fallbacks: [{gpt-4o: [claude]}]
  model_group_alias: {gpt-4: gpt-4o}
  redis_host: os.environ/REDIS_HOST
  redis_port: 6379
litellm_settings:
  drop_params: true
  callbacks: [prometheus]
  cache: true
  cache_params: {type: redis, ttl: 300}
general_settings:
  master_key: sk-1234
  database_url: os.environ/DATABASE_URL
  disable_spend_logs: true
"""
CLAUDE = (
    "  - model_name: claude\n    litellm_params:\n      model: anthropic/claude-3-5-sonnet-20241022\n"
    "      api_key: os.environ/ANTHROPIC_API_KEY\n"
)
VALID = CONFIG.replace("router_settings:", CLAUDE + "router_settings:")  # the fallback target exists


def _import(tmp_path: Path, text: str, env: str = "dev") -> tuple[int, Path, str]:
    source = tmp_path / "config.yaml"
    source.write_text(text)
    into = tmp_path / "imported"
    return main(["--root", str(ROOT), "import", str(source), "--into", str(into), "--env", env]), into, str(source)


def test_import_writes_a_config_directory_the_bundle_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, into, _ = _import(tmp_path, VALID)
    out = capsys.readouterr().out
    assert code == 0, out
    assert sorted(p.relative_to(into).as_posix() for p in into.rglob("*.yaml")) == [
        "environments/dev.yaml",
        "environments/prod.yaml",
        "environments/staging.yaml",
        "guardrails.yaml",
        "litellm.yaml",
        "models.yaml",
        "routing.yaml",
        "secrets.yaml",
        "transforms.yaml",
    ]
    _, problems = validate_root(config_dir=into)
    assert not problems, "\n".join(map(str, problems))
    models = (into / "models.yaml").read_text()
    # the secret became a reference, declared; its comment and the deployment's stayed with them
    assert "plain-client-secret-text" not in "".join(p.read_text() for p in into.rglob("*.yaml"))
    assert "client_secret: os.environ/GPT_4O_CLIENT_SECRET" in models
    assert "# the Azure deployment, Entra ID\n      - id: gpt-4o-1\n" in models
    assert "api_base: https://contoso.openai.azure.com  # West Europe" in models
    assert "# Our gateway." in (into / "litellm.yaml").read_text()
    secrets = parse_yaml((into / "secrets.yaml").read_text(), "secrets.yaml")[0].data["references"]  # type: ignore[union-attr]
    assert {"GPT_4O_CLIENT_SECRET", "LITELLM_MASTER_KEY", "AZURE_TENANT_ID", "DATABASE_URL"} <= set(secrets)
    assert secrets["GPT_4O_CLIENT_SECRET"]["sources"]["prod"] == {"env": "GPT_4O_CLIENT_SECRET"}
    # what the bundle owns moved to its place
    dev = parse_yaml((into / "environments" / "dev.yaml").read_text(), "dev")[0].data  # type: ignore[union-attr]
    assert (
        dev["master_key"] == "os.environ/LITELLM_MASTER_KEY"
        and dev["prometheus"] is True
        and dev["cache"] == {"ttl": 300}
    )
    assert dev["redis"] == {"host": "os.environ/REDIS_HOST", "port": 6379} and dev["database"] == {
        "url": "os.environ/DATABASE_URL"
    }
    routing = parse_yaml((into / "routing.yaml").read_text(), "routing")[0].data  # type: ignore[union-attr]
    assert routing["num_retries"] == 2 and routing["fallbacks"] == {"gpt-4o": ["claude"]}
    assert (
        "model_group_alias" in (into / "litellm.yaml").read_text()
        and "disable_spend_logs: true" in (into / "litellm.yaml").read_text()
    )
    # the other environments pass their policies: prod has replicas, a salt key and the redaction guardrail
    prod = parse_yaml((into / "environments" / "prod.yaml").read_text(), "prod")[0].data  # type: ignore[union-attr]
    assert (
        prod["replicas"] == 2
        and prod["salt_key"] == "os.environ/LITELLM_SALT_KEY"
        and "redact-secrets" in prod["guardrails"]
    )
    assert "GPT_4O_CLIENT_SECRET, LITELLM_MASTER_KEY" in out


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            ("drop_params: true", "drop_param: true"),
            24,
            "unknown key 'drop_param' in litellm_settings; did you mean 'drop_params'?",
        ),
        (("      rpm: 100", "      rpm: 100\n      aws_regoin_name: us-east-1"), 13, "did you mean 'aws_region_name'?"),
        (
            ("num_retries: 2", "num_retries: 2\n  num_retries: 3"),
            19,
            "duplicate key 'num_retries' (first defined at line 18)",
        ),
        (
            ("api_key: os.environ/OPENAI_API_KEY", "api_key: ${OPENAI_API_KEY}"),
            16,
            "${OPENAI_API_KEY} is not expanded by LiteLLM",
        ),
        (
            ("router_settings:", "routr_settings:"),
            17,
            "unknown key 'routr_settings' in (top level); did you mean 'router_settings'?",
        ),
        (("  redis_port: 6379", "  redis_url: os.environ/REDIS_URL"), 22, "redis_url cannot be imported"),
        (
            ("num_retries: 2", "num_retires: 2"),
            18,
            "unknown key 'num_retires' in router_settings; did you mean 'num_retries'? (allowed: the keys LiteLLM",
        ),
        (("num_retries: 2", "num_retires: 2"), 18, "LiteLLM ignores it (import --drop-ignored drops it and lists it)"),
        (
            ("num_retries: 2", "num_retries: 2\n  routing_strategy: least-busyy"),
            19,
            'router_settings.routing_strategy: "least-busyy" is not allowed (allowed: one of "simple-shuffle", '
            '"least-busy"',
        ),
        (
            ("      rpm: 100", "      rpm: 100\n      litellm_credential_name: azure-creds"),
            13,
            "credential 'azure-creds' is not in credential_list",
        ),
        (
            (
                "api_key: os.environ/OPENAI_API_KEY\n",
                "api_key: os.environ/OPENAI_API_KEY\n    model_info: {mode: embedding}\n",
            ),
            17,
            "state different modes",
        ),
    ],
)
def test_what_cannot_be_imported_is_located_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], line: int, message: str
) -> None:
    old, new = edit
    assert old in CONFIG
    code, into, source = _import(tmp_path, CONFIG.replace(old, new, 1))
    err = capsys.readouterr().err
    assert code == 1 and not into.exists() and "nothing was written" in err
    assert any(e.startswith(f"{source}:{line}:") and message in e for e in err.splitlines()), err


def test_a_prod_import_gets_what_prod_needs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Imported as prod, a config without Redis gets prod's Redis references (and what else prod's policy
    requires), each listed in the report with the rule that asked for it."""
    text = VALID.replace("  redis_host: os.environ/REDIS_HOST\n  redis_port: 6379\n", "").replace(
        "  cache: true\n  cache_params: {type: redis, ttl: 300}\n", ""
    )
    code, into, _ = _import(tmp_path, text, env="prod")
    out = capsys.readouterr().out
    assert code == 0, out
    prod = parse_yaml((into / "environments" / "prod.yaml").read_text(), "prod")[0].data  # type: ignore[union-attr]
    assert prod["redis"] == {
        "host": "os.environ/REDIS_HOST",
        "port": "os.environ/REDIS_PORT",
        "password": "os.environ/REDIS_PASSWORD",
    }
    assert prod["replicas"] == 2 and prod["admin_ui"] is False
    assert "policies/environments/prod.policy.json:11: [prod] environment redis:" in out
    assert "policies/environments/prod.policy.json" in (into / "IMPORT-REPORT.md").read_text()
    _, problems = validate_root(config_dir=into)
    assert not problems, "\n".join(map(str, problems))


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "config.yaml"
    source.write_text(CONFIG)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert main(["--root", str(ROOT), "import", str(source), "--into", str(tmp_path / "full")]) == 2
    assert main(["--root", str(ROOT), "import", str(source), "--into", str(tmp_path / "new"), "--env", "qa"]) == 2
    assert main(["--root", str(ROOT), "import", str(tmp_path / "missing.yaml"), "--into", str(tmp_path / "new")]) == 2
    assert "not empty" in capsys.readouterr().err and not (tmp_path / "new").exists()


def test_literal_secrets_found_by_the_detectors_anywhere(tmp_path: Path) -> None:
    """A provider key in a key the types do not mark (here an extra header) is still a secret."""
    key = "sk-" + "proj-" + "q" * 24 + "x1y2"
    text = VALID.replace(
        "      api_key: os.environ/OPENAI_API_KEY\n",
        f"      api_key: os.environ/OPENAI_API_KEY\n      extra_headers: {{X-Other-Key: {key}}}\n",
    )
    source = tmp_path / "config.yaml"
    source.write_text(text)
    imported = convert.import_config(checkout_tree(), source, "dev").imported
    assert imported is not None and key not in "".join(imported.files.values())
    assert any("extra_headers" in where for where in imported.literal.values())
