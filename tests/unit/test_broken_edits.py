"""Each broken edit fails validation with file:line and a message naming the problem."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import validate_root as validate


@dataclass
class Edit:
    file: str
    old: str | None  # None: append `new` at the end of the file
    new: str
    line_of: str  # text on the line the problem must point at (in the edited file)
    message: str  # substring of the problem message
    occurrence: int = 1
    expect_file: str | None = None  # where the problem points, when not the edited file


CASES: dict[str, Edit] = {
    "yaml-syntax": Edit("config/routing.yaml", "num_retries: 2", "num_retries: [2", "num_retries: [2", "YAML syntax error"),
    "duplicate-key": Edit("config/routing.yaml", "allowed_fails: 3", "allowed_fails: 3\nallowed_fails: 4", "allowed_fails: 4", "duplicate key 'allowed_fails'"),
    "unknown-key-typo": Edit("config/environments/prod.yaml", "replicas: 3", "replicasCount: 3", "replicasCount: 3", "unknown key 'replicasCount'"),
    "wrong-type": Edit("config/environments/prod.yaml", "replicas: 3", "replicas: two", "replicas: two", "expected integer, got string"),
    "unknown-fallback-target": Edit("config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-opus]", "gpt-4o: [claude-opus]", "fallback target 'claude-opus' is not a model group (known: claude-sonnet,"),
    "fallback-cycle": Edit("config/routing.yaml", "gpt-4o: [claude-sonnet]", "gpt-4o: [claude-sonnet]\n  claude-sonnet: [gpt-4o-mini]", "claude-sonnet: [gpt-4o-mini]", "fallbacks cycle: claude-sonnet -> gpt-4o-mini -> gpt-4o -> claude-sonnet"),
    "fallback-to-self": Edit("config/routing.yaml", "gpt-4o-mini: [gpt-4o]", "gpt-4o-mini: [gpt-4o-mini]", "gpt-4o-mini: [gpt-4o-mini]", "falls back to itself"),
    "undeclared-secret": Edit("config/models.yaml", "api_key: os.environ/OPENAI_API_KEY\n        rpm: 5000", "api_key: os.environ/OPENAI_KEY\n        rpm: 5000", "os.environ/OPENAI_KEY", "secret reference OPENAI_KEY is not declared"),
    "secret-without-source": Edit("config/secrets.yaml", "      prod: {external: {store: vault-backend, key: prod/llm-providers, property: gemini}}\n", "", "api_key: os.environ/GEMINI_API_KEY", "has no source for environment 'prod'", expect_file="config/models.yaml"),
    "literal-api-key": Edit("config/models.yaml", "api_key: os.environ/ANTHROPIC_API_KEY", "api_key: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345", "sk-ant-api03-", "literal secret (Anthropic API key"),
    "literal-key-in-description": Edit("config/models.yaml", "description: Cheap, fast chat model.", "description: key is sk-proj-abcdefghijklmnopqrstuvwxyz123456", "description: key is sk-proj", "literal secret (OpenAI API key"),
    "password-in-url": Edit("config/models.yaml", "api_base: os.environ/AZURE_API_BASE", "api_base: https://admin:hunter2secret@example.openai.azure.com", "hunter2secret", "literal secret (Password inside a URL"),
    "prod-image-main-latest": Edit("config/environments/prod.yaml", "repository: ghcr.io/berriai/litellm-database", "repository: ghcr.io/berriai/litellm-database\n  tag: main-latest", "tag: main-latest", "rolling tags such as main-latest"),
    "image-tag-drift": Edit("config/environments/staging.yaml", "repository: ghcr.io/berriai/litellm-database", "repository: ghcr.io/berriai/litellm-database\n  tag: 1.90.0", "tag: 1.90.0", "drifts from the pinned LiteLLM version"),
    "unofficial-image": Edit("config/environments/dev.yaml", "repository: ghcr.io/berriai/litellm", "repository: docker.io/someone/litellm", "docker.io/someone", "is not allowed (allowed: \"ghcr.io/berriai/litellm\""),
    "prod-replicas-1": Edit("config/environments/prod.yaml", "replicas: 3", "replicas: 1", "replicas: 1", "prod needs at least 2 replicas"),
    "prod-without-redis": Edit("config/environments/prod.yaml", "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: os.environ/REDIS_PASSWORD\n", "", "description:", "`cache` needs `redis`"),
    "replicas-without-redis": Edit("config/environments/staging.yaml", "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: os.environ/REDIS_PASSWORD\ndatabase:", "database:", "description:", "more than one replica needs `redis`"),
    "prod-no-redaction": Edit("config/environments/prod.yaml", "guardrails: [redact-secrets, banned-keywords]", "guardrails: [banned-keywords]", "guardrails: [banned-keywords]", "prod must run the secret-redaction guardrail"),
    "prod-no-salt-key": Edit("config/environments/prod.yaml", "salt_key: os.environ/LITELLM_SALT_KEY\n", "", "description:", "prod takes the master key and salt key from secret references"),
    "literal-master-key": Edit("config/environments/dev.yaml", "master_key: os.environ/LITELLM_MASTER_KEY", "master_key: my-admin-password", "master_key: my-admin-password", "must be a reference os.environ/NAME"),
    "prod-debug-logs": Edit("config/environments/prod.yaml", "log_level: WARNING", "log_level: DEBUG", "log_level: DEBUG", "prod must not log at DEBUG"),
    "unknown-model-group-in-env": Edit("config/environments/staging.yaml", "model_groups: [gpt-4o,", "model_groups: [gpt-5,", "model_groups: [gpt-5,", "model group 'gpt-5' does not exist"),
    "group-without-deployment-in-env": Edit("config/models.yaml", "environments: [staging, prod]\n        provider: gemini", "environments: [staging]\n        provider: gemini", "model_groups: [gpt-4o,", "has no deployment for environment 'prod'", expect_file="config/environments/prod.yaml"),
    "duplicate-deployment-id": Edit("config/models.yaml", "id: gpt-4o-mini-openai", "id: gpt-4o-openai", "id: gpt-4o-openai", "duplicate deployment id 'gpt-4o-openai'", occurrence=2),
    "duplicate-deployment-target": Edit("config/models.yaml", "model: gpt-4o-eu", "model: gpt-4o\n        api_base_typo_free: x", "api_base_typo_free", "unknown key 'api_base_typo_free'"),
    "unknown-rule-label": Edit("config/routing.yaml", "label: tools", "label: toolz", "label: toolz", "yields label 'toolz', which is not declared in labels"),
    "label-to-unknown-group": Edit("config/routing.yaml", "cheap: gpt-4o-mini", "cheap: gpt-3.5", "cheap: gpt-3.5", "label 'cheap' maps to 'gpt-3.5', which is not a model group"),
    "route-loop": Edit("config/routing.yaml", "# Label used when no rule matches", "  - name: mini-to-big\n    when: {models: [gpt-4o-mini], has_tools: false}\n    label: tools\n  - name: big-to-mini\n    when: {models: [gpt-4o]}\n    label: cheap\n# Label used when no rule matches", "label: cheap", "routing rules form a loop: gpt-4o -> gpt-4o-mini -> gpt-4o", occurrence=2),
    "unknown-guardrail-in-env": Edit("config/environments/dev.yaml", "guardrails: [redact-secrets, banned-keywords]", "guardrails: [redact-secrets, pii-masking]", "guardrails: [redact-secrets, pii-masking]", "guardrail 'pii-masking' is not defined"),
    "unknown-strategy": Edit("config/routing.yaml", "strategy: simple-shuffle", "strategy: round-robin", "strategy: round-robin", "\"round-robin\" is not allowed (allowed: \"simple-shuffle\""),
    "negative-cooldown": Edit("config/routing.yaml", "cooldown_time: 30", "cooldown_time: -5", "cooldown_time: -5", "cooldown_time"),
    "guardrail-unknown-detector-key": Edit("config/guardrails.yaml", "action: redact", "action: redact\n    detector: [jwt]", "detector: [jwt]", "unknown key 'detector'"),
    "custom-transform-without-path": Edit("config/transforms.yaml", "type: default_temperature", "type: custom", "- name: default-temperature", "missing required key 'path'"),
    "autoscaling-min-over-max": Edit("config/environments/staging.yaml", "min_replicas: 2\n  max_replicas: 4", "min_replicas: 5\n  max_replicas: 4", "min_replicas: 5", "min_replicas is larger than max_replicas"),
    "unknown-environment-file": Edit("config/environments/qa.yaml", None, "replicas: 1\n", "replicas: 1", "unknown environment 'qa'"),
}


def _line_of(text: str, needle: str, occurrence: int) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"test bug: {needle!r} not found {occurrence} time(s)")


def apply(root: Path, edit: Edit) -> str:
    target = root / edit.file
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    if edit.old is None:
        text = text + edit.new
    else:
        assert edit.old in text, f"test bug: {edit.old!r} not in {edit.file}"
        text = text.replace(edit.old, edit.new, 1)
    target.write_text(text, encoding="utf-8")
    return text


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_edit_is_reported_with_file_and_line(repo_copy: Path, name: str) -> None:
    edit = CASES[name]
    apply(repo_copy, edit)
    _, problems = validate(repo_copy)
    assert problems, f"{name}: validation passed but should fail"
    expect_file = edit.expect_file or edit.file
    shown = (repo_copy / expect_file).read_text(encoding="utf-8")
    line = _line_of(shown, edit.line_of, edit.occurrence)
    matching = [p for p in problems if edit.message in p.message]
    assert matching, f"{name}: no problem mentions {edit.message!r}; got:\n" + "\n".join(map(str, problems))
    assert any(p.location.file == expect_file and p.location.line == line for p in matching), (
        f"{name}: expected {expect_file}:{line}; got:\n" + "\n".join(map(str, matching))
    )


def test_at_least_25_distinct_cases() -> None:
    assert len(CASES) >= 25


def test_all_problems_reported_in_one_run(repo_copy: Path) -> None:
    apply(repo_copy, CASES["prod-replicas-1"])
    apply(repo_copy, CASES["unknown-fallback-target"])
    apply(repo_copy, CASES["literal-api-key"])
    _, problems = validate(repo_copy)
    messages = "\n".join(p.message for p in problems)
    assert "prod needs at least 2 replicas" in messages
    assert "fallback target 'claude-opus'" in messages
    assert "literal secret" in messages
