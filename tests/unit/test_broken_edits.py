"""Each broken edit fails validation (or warns) with file:line and a message naming the problem.

The table covers every class of docs/validation.md: inputs that must never crash, what validate
accepts must render and run, secrets anywhere, the right line, every problem once, messages that
say what is allowed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from litellm_bundle.checks import validate as validation
from litellm_bundle.core.problems import Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.policy.policies import Policies


@dataclass
class Edit:
    file: str
    old: str | None  # None: append `new` at the end of the file
    new: str | bytes  # bytes: the whole file becomes these bytes
    line_of: str | int  # text on the line the problem must point at (in the expected file), or the line number
    message: str  # substring of the problem message ("@@" stands for the line of `first_of`)
    occurrence: int = 1
    expect_file: str | None = None  # where the problem points, when not the edited file
    severity: str = "error"
    only: bool = False  # the whole run reports exactly this one problem (no cascade)
    first_of: str | None = None
    whole: bool = False  # `new` replaces the whole file


ENV_DEV, ENV_STAGING, ENV_PROD = (f"config/environments/{e}.yaml" for e in ("dev", "staging", "prod"))
MODELS, ROUTING, GUARDRAILS, TRANSFORMS, SECRETS, ACCESS = (
    f"config/{f}.yaml" for f in ("models", "routing", "guardrails", "transforms", "secrets", "access")
)
DETECTORS = (  # the list in config/guardrails.yaml, as written
    "[openai_key, anthropic_key, aws_access_key_id, private_key, jwt, url_password, github_token,\n"
    "                aws_secret_access_key, github_fine_grained_token, gitlab_token, slack_token, slack_webhook,\n"
    "                stripe_key, google_api_key, azure_storage_key, huggingface_token, pgp_private_key]"
)
RANDOM = bytes((i * 37 + 11) % 256 for i in range(4096))  # arbitrary bytes, a NUL among them
EXTRA_GROUP = (
    "  mistral-large:\n    description: Not enabled anywhere yet.\n    deployments:\n      - id: mistral-large-api\n"
    "        provider: mistral\n        model: mistral-large-latest\n        api_key: os.environ/OPENAI_API_KEY\n"
)

CASES: dict[str, Edit] = {
    # --- the first 36 -------------------------------------------------------------------------
    "yaml-syntax": Edit(ROUTING, "num_retries: 2", "num_retries: [2", "num_retries: [2", "YAML syntax error"),
    "duplicate-key": Edit(
        ROUTING,
        "allowed_fails: 3",
        "allowed_fails: 3\nallowed_fails: 4",
        "allowed_fails: 4",
        "duplicate key 'allowed_fails'",
    ),
    "unknown-key-typo": Edit(
        ENV_PROD, "replicas: 3", "replicasCount: 3", "replicasCount: 3", "unknown key 'replicasCount'"
    ),
    "wrong-type": Edit(ENV_PROD, "replicas: 3", "replicas: two", "replicas: two", "expected integer, got string"),
    "unknown-fallback-target": Edit(
        ROUTING,
        "gpt-4o: [claude-sonnet]",
        "gpt-4o: [claude-opus]",
        "gpt-4o: [claude-opus]",
        "fallback target 'claude-opus' is not a model group (known: claude-sonnet,",
    ),
    "fallback-cycle": Edit(
        ROUTING,
        "gpt-4o: [claude-sonnet]",
        "gpt-4o: [claude-sonnet]\n  claude-sonnet: [gpt-4o-mini]",
        "claude-sonnet: [gpt-4o-mini]",
        "fallbacks cycle: claude-sonnet -> gpt-4o-mini -> gpt-4o -> claude-sonnet",
    ),
    "fallback-to-self": Edit(
        ROUTING,
        "gpt-4o-mini: [gpt-4o]",
        "gpt-4o-mini: [gpt-4o-mini]",
        "gpt-4o-mini: [gpt-4o-mini]",
        "falls back to itself",
    ),
    "undeclared-secret": Edit(
        MODELS,
        "api_key: os.environ/OPENAI_API_KEY\n        rpm: 5000",
        "api_key: os.environ/OPENAI_KEY\n        rpm: 5000",
        "os.environ/OPENAI_KEY",
        "secret reference OPENAI_KEY is not declared",
    ),
    "secret-without-source": Edit(
        SECRETS,
        "      prod: {external: {store: vault-backend, key: prod/llm-providers, property: gemini}}\n",
        "",
        "api_key: os.environ/GEMINI_API_KEY",
        "has no source for environment 'prod'",
        expect_file=MODELS,
    ),
    "literal-api-key": Edit(
        MODELS,
        "api_key: os.environ/ANTHROPIC_API_KEY",
        "api_key: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "sk-ant-api03-",
        "literal secret (Anthropic API key",
    ),
    "literal-key-in-description": Edit(
        MODELS,
        "description: Cheap, fast chat model.",
        "description: key is sk-proj-abcdefghijklmnopqrstuvwxyz123456",
        "description: key is sk-proj",
        "literal secret (OpenAI API key",
    ),
    "password-in-url": Edit(
        MODELS,
        "api_base: os.environ/AZURE_API_BASE",
        "api_base: https://admin:hunter2secret@example.openai.azure.com",
        "hunter2secret",
        "literal secret (Password inside a URL",
    ),
    "prod-image-main-latest": Edit(
        ENV_PROD,
        "repository: ghcr.io/berriai/litellm-database",
        "repository: ghcr.io/berriai/litellm-database\n  tag: main-latest",
        "tag: main-latest",
        "rolling tags such as main-latest",
    ),
    "image-tag-drift": Edit(
        ENV_STAGING,
        "repository: ghcr.io/berriai/litellm-database",
        "repository: ghcr.io/berriai/litellm-database\n  tag: 1.90.0",
        "tag: 1.90.0",
        "drifts from the environment's LiteLLM version",
    ),
    "unofficial-image": Edit(
        ENV_DEV,
        "repository: ghcr.io/berriai/litellm",
        "repository: docker.io/someone/litellm",
        "docker.io/someone",
        'is not allowed (allowed: "ghcr.io/berriai/litellm"',
    ),
    "prod-replicas-1": Edit(ENV_PROD, "replicas: 3", "replicas: 1", "replicas: 1", "prod needs at least 2 replicas"),
    # a policy about a key points at that key (`cache`), not at the top of the file
    "prod-without-redis": Edit(
        ENV_PROD,
        "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: os.environ/REDIS_PASSWORD\n",
        "",
        "cache:",
        "`cache` needs `redis`",
    ),
    "replicas-without-redis": Edit(
        ENV_STAGING,
        "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: "
        "os.environ/REDIS_PASSWORD\ndatabase:",
        "database:",
        "replicas: 2",
        "more than one replica needs `redis`",
    ),
    "prod-no-redaction": Edit(
        ENV_PROD,
        "guardrails: [redact-secrets, banned-keywords]",
        "guardrails: [banned-keywords]",
        "guardrails: [banned-keywords]",
        "prod must run the secret-redaction guardrail",
    ),
    "prod-no-salt-key": Edit(
        ENV_PROD,
        "salt_key: os.environ/LITELLM_SALT_KEY\n",
        "",
        "description:",
        "prod takes the master key and salt key from secret references",
    ),
    "literal-master-key": Edit(
        ENV_DEV,
        "master_key: os.environ/LITELLM_MASTER_KEY",
        "master_key: my-admin-password",
        "master_key: my-admin-password",
        "must be a reference os.environ/NAME",
    ),
    "prod-debug-logs": Edit(
        ENV_PROD, "log_level: WARNING", "log_level: DEBUG", "log_level: DEBUG", "prod must not log at DEBUG"
    ),
    "unknown-model-group-in-env": Edit(
        ENV_STAGING,
        "model_groups: [gpt-4o,",
        "model_groups: [gpt-5,",
        "model_groups: [gpt-5,",
        "model group 'gpt-5' does not exist",
    ),
    "group-without-deployment-in-env": Edit(
        MODELS,
        "environments: [staging, prod]\n        provider: gemini",
        "environments: [staging]\n        provider: gemini",
        "model_groups: [gpt-4o,",
        "has no deployment for environment 'prod'",
        expect_file=ENV_PROD,
    ),
    "duplicate-deployment-id": Edit(
        MODELS,
        "id: gpt-4o-mini-openai",
        "id: gpt-4o-openai",
        "id: gpt-4o-openai",
        "duplicate deployment id 'gpt-4o-openai'",
        occurrence=2,
    ),
    "duplicate-deployment-target": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o\n        api_base_typo_free: x",
        "api_base_typo_free",
        "unknown key 'api_base_typo_free'",
    ),
    "unknown-rule-label": Edit(
        ROUTING, "label: tools", "label: toolz", "label: toolz", "yields label 'toolz', which is not declared in labels"
    ),
    "label-to-unknown-group": Edit(
        ROUTING,
        "cheap: gpt-4o-mini",
        "cheap: gpt-3.5",
        "cheap: gpt-3.5",
        "label 'cheap' maps to 'gpt-3.5', which is not a model group",
    ),
    "route-loop": Edit(
        ROUTING,
        "# Label used when no rule matches",
        "  - name: mini-to-big\n    when: {models: [gpt-4o-mini], has_tools: false}\n    label: tools\n  - name: "
        "big-to-mini\n    when: {models: [gpt-4o]}\n    label: cheap\n# Label used when no rule matches",
        "label: cheap",
        "routing rules form a loop: gpt-4o -> gpt-4o-mini -> gpt-4o",
        occurrence=2,
    ),
    "unknown-guardrail-in-env": Edit(
        ENV_DEV,
        "guardrails: [redact-secrets, banned-keywords]",
        "guardrails: [redact-secrets, pii-masking]",
        "guardrails: [redact-secrets, pii-masking]",
        "guardrail 'pii-masking' is not defined",
    ),
    "unknown-strategy": Edit(
        ROUTING,
        "strategy: simple-shuffle",
        "strategy: round-robin",
        "strategy: round-robin",
        '"round-robin" is not allowed (allowed: "simple-shuffle"',
    ),
    "negative-cooldown": Edit(ROUTING, "cooldown_time: 30", "cooldown_time: -5", "cooldown_time: -5", "cooldown_time"),
    "guardrail-unknown-detector-key": Edit(
        GUARDRAILS, "action: redact", "action: redact\n    detector: [jwt]", "detector: [jwt]", "unknown key 'detector'"
    ),
    "custom-transform-without-path": Edit(
        TRANSFORMS,
        "type: default_temperature",
        "type: custom",
        "- name: default-temperature",
        "missing required key 'path'",
    ),
    "autoscaling-min-over-max": Edit(
        ENV_STAGING,
        "min_replicas: 2\n  max_replicas: 4",
        "min_replicas: 5\n  max_replicas: 4",
        "min_replicas: 5",
        "min_replicas is larger than max_replicas",
    ),
    "unknown-environment-file": Edit(
        "config/environments/qa.yaml", None, "replicas: 1\n", "replicas: 1", "unknown environment 'qa'"
    ),
    # --- never a traceback: any input gives a located problem ----------------------------------
    "empty-file": Edit(MODELS, None, "", 1, "missing required key 'model_groups'", whole=True, only=True),
    "comment-only-file": Edit(
        GUARDRAILS,
        None,
        "# nothing here yet\n# (guardrails come later)\n",
        1,
        "missing required key 'guardrails'",
        whole=True,
        only=True,
    ),
    "date-like-api-version": Edit(
        MODELS,
        'api_version: "2024-10-21"',
        "api_version: 2024-10-21",
        "api_version: 2024-10-21",
        'is read as a date; quote it to mean the text: "2024-10-21"',
        only=True,
    ),
    "date-in-description": Edit(
        ENV_STAGING,
        "description: Shared pre-production cluster.",
        "description: 2025-01-31",
        "description: 2025-01-31",
        "is read as a date",
        only=True,
    ),
    "merge-key-brings-unknown-key": Edit(
        ENV_DEV,
        "limits:\n  request_timeout: 60\nresources:\n",
        "limits: &limits\n  request_timeout: 60\nresources:\n  <<: *limits\n",
        "<<: *limits",
        "unknown key 'request_timeout' in resources",
        only=True,
    ),
    "merge-key-of-a-scalar": Edit(
        ENV_DEV, "resources:\n", "resources:\n  <<: 5\n", "<<: 5", "a merge key `<<` takes a mapping", only=True
    ),
    "binary-file": Edit(ROUTING, None, b"strategy: simple-shuffle\n\x00\x01\x02binary", 2, "file is binary", only=True),
    "not-utf8": Edit(SECRETS, None, b"# ok\nreferences:\n  X: caf\xe9\n", 3, "not UTF-8 text (byte 0xe9", only=True),
    "utf16-file": Edit(
        TRANSFORMS,
        None,
        "slow_threshold_ms: 5\n".encode("utf-16"),
        1,
        "file is UTF-16 text; save it as UTF-8",
        only=True,
    ),
    "fifty-megabyte-file": Edit(
        GUARDRAILS, None, b"# padding\n" * 5_000_000, 1, "a config file may be at most 1024 KB", only=True
    ),
    "deep-nesting": Edit(
        ROUTING,
        "labels:",
        "deep: " + "[" * 100 + "]" * 100 + "\nlabels:",
        "deep: [[[",
        "nesting deeper than 64 levels",
        only=True,
    ),
    "very-deep-nesting": Edit(
        ROUTING,
        "labels:",
        "deep: " + "{a: " * 5000 + "1" + "}" * 5000 + "\nlabels:",
        "deep: {a: {a:",
        "nesting deeper than 64 levels",
        only=True,
    ),
    "random-bytes": Edit(
        ENV_STAGING, None, RANDOM, RANDOM[: RANDOM.find(b"\0")].count(b"\n") + 1, "file is binary", only=True
    ),
    "control-character": Edit(
        ENV_DEV,
        "description: Local stack",
        "description: Local\x07 stack",
        "description: Local",
        "character #x0007 is not allowed in YAML",
        only=True,
    ),
    "custom-tag": Edit(
        ROUTING,
        "timeout: 60",
        "timeout: !secret 60",
        "timeout: !secret 60",
        "is read as a value tagged !secret; remove the tag",
        only=True,
    ),
    "recursive-alias": Edit(
        ROUTING, "labels:\n", "labels: &labels\n  loop: *labels\n", "labels: &labels", "a recursive alias", only=True
    ),
    "undefined-alias": Edit(
        ROUTING,
        "num_retries: 2",
        "num_retries: *retries",
        "num_retries: *retries",
        "found undefined alias 'retries'",
        only=True,
    ),
    "tab-indentation": Edit(
        ENV_DEV,
        "  host: os.environ/REDIS_HOST",
        "\thost: os.environ/REDIS_HOST",
        "\thost:",
        "YAML syntax error",
        only=True,
    ),
    "infinite-number": Edit(
        ROUTING, "cooldown_time: 30", "cooldown_time: .inf", "cooldown_time: .inf", "is not a finite number", only=True
    ),
    # --- what validate accepts must render and run ----------------------------------------------
    "custom-transform-outside-hooks": Edit(
        TRANSFORMS,
        "type: clamp_max_tokens\n    params:\n      max: 4096",
        "type: custom\n    path: my_transforms.tag_team",
        "path: my_transforms.tag_team",
        "no module my_transforms: the proxy finds code in the team's code (config/code/",
        only=True,
    ),
    "custom-transform-missing-callable": Edit(
        TRANSFORMS,
        "type: clamp_max_tokens\n    params:\n      max: 4096",
        "type: custom\n    path: gateway_hooks.transforms.tag_team",
        "path: gateway_hooks.transforms",
        "hooks/gateway_hooks/transforms.py defines no 'tag_team'",
        only=True,
    ),
    "custom-transform-missing-module": Edit(
        TRANSFORMS,
        "type: clamp_max_tokens\n    params:\n      max: 4096",
        "type: custom\n    path: gateway_hooks.mine.tag_team",
        "path: gateway_hooks.mine",
        "hooks/gateway_hooks/mine.py does not exist",
        only=True,
    ),
    "custom-transform-not-callable": Edit(
        TRANSFORMS,
        "type: clamp_max_tokens\n    params:\n      max: 4096",
        "type: custom\n    path: gateway_hooks.settings.CONFIG_ENV",
        "path: gateway_hooks.settings",
        "is a value, not a function",
        only=True,
    ),
    "unknown-detector": Edit(
        GUARDRAILS,
        DETECTORS,
        "[openai_key, mailgun_key]",
        "detectors: [openai_key, mailgun_key]",
        "unknown detector 'mailgun_key' (known: anthropic_key, aws_access_key_id,",
        only=True,
    ),
    "misspelled-detector": Edit(
        GUARDRAILS, DETECTORS, "[openai_keys]", "detectors: [openai_keys]", "did you mean 'openai_key'?", only=True
    ),
    "empty-detector-list": Edit(
        GUARDRAILS,
        DETECTORS,
        "[]",
        "detectors: []",
        "name at least one detector, or leave `detectors` out to run all of them (known: anthropic_key,",
        only=True,
    ),
    "azure-without-endpoint": Edit(
        MODELS,
        "        api_base: os.environ/AZURE_API_BASE\n",
        "",
        "provider: azure",
        "deployment needs `api_base`",
        only=True,
    ),
    "context-window-fallback-smaller": Edit(
        ROUTING,
        "gpt-4o: [long-context]",
        "gpt-4o: [gpt-4o-mini]",
        "gpt-4o: [gpt-4o-mini]",
        "'gpt-4o-mini' accepts 8000 input tokens, no more than 'gpt-4o' (128000)",
        only=True,
    ),
    "context-window-unknown": Edit(
        MODELS,
        "    max_input_tokens: 1000000\n",
        "",
        "gpt-4o-mini: [long-context]",
        "'long-context' declares no max_input_tokens",
        expect_file=ROUTING,
        severity="warning",
    ),
    "fallback-to-embedding-group": Edit(
        ROUTING,
        "gpt-4o-mini: [gpt-4o]",
        "gpt-4o-mini: [text-embedding]",
        "gpt-4o-mini: [text-embedding]",
        "serves embedding calls, 'gpt-4o-mini' serves chat",
        only=True,
    ),
    "rule-after-catch-all": Edit(
        ROUTING,
        "rules:\n",
        "rules:\n  - name: everything-cheap\n    when: {models: ['*']}\n    label: cheap\n",
        "- name: long-prompts",
        "rule 'long-prompts' can never match: rule 'everything-cheap' (rules[0]) comes first",
        severity="warning",
    ),
    "rule-shadowed-by-broader-rule": Edit(
        ROUTING,
        "# Label used when no rule matches",
        "  - name: order-tool\n    when: {tool_name: lookup_order}\n    label: cheap\n# Label used when no rule "
        "matches",
        "- name: order-tool",
        "rule 'order-tool' can never match: rule 'tool-calls'",
        severity="warning",
        only=True,
    ),
    "rule-needs-more-tokens-than-target": Edit(
        ROUTING,
        "min_prompt_tokens: 6000\n    label: long_context",
        "min_prompt_tokens: 300000\n    label: reasoning",
        "min_prompt_tokens: 300000",
        "sends prompts of at least 300000 tokens to 'claude-sonnet', and no group it can reach accepts that many",
        only=True,
    ),
    "rule-routes-to-embedding-group": Edit(
        ROUTING,
        "tools: gpt-4o",
        "tools: text-embedding",
        "label: tools",
        "rule 'tool-calls' routes to 'text-embedding', an embedding group; rules route chat calls only",
        severity="warning",
        only=True,
    ),
    "model-group-not-enabled-anywhere": Edit(
        MODELS,
        "  text-embedding:\n",
        EXTRA_GROUP + "  text-embedding:\n",
        "mistral-large:",
        "model group 'mistral-large' is not enabled in any environment",
        severity="warning",
        only=True,
    ),
    "guardrail-not-enabled-anywhere": Edit(
        GUARDRAILS,
        None,
        "  - name: more-keywords\n    type: banned_keywords\n    keywords: [forbidden phrase]\n",
        "- name: more-keywords",
        "guardrail 'more-keywords' is not enabled in any environment",
        severity="warning",
        only=True,
    ),
    "replicas-outside-autoscaling": Edit(
        ENV_STAGING,
        "replicas: 2",
        "replicas: 6",
        "replicas: 6",
        "replicas 6 is outside the autoscaling range 2–4",
        severity="warning",
        only=True,
    ),
    "request-over-limit": Edit(
        ENV_STAGING,
        "requests: {cpu: 500m, memory: 1Gi}",
        "requests: {cpu: 500m, memory: 3Gi}",
        "requests: {cpu: 500m, memory: 3Gi}",
        "resources.requests.memory 3Gi is more than resources.limits.memory 2Gi",
        only=True,
    ),
    # --- secrets anywhere ---------------------------------------------------------------------------
    "secret-in-comment": Edit(
        MODELS,
        "# Model groups:",
        "# old key sk-proj-abcdefghijklmnopqrstuvwxyz0123 (rotated)\n# Model groups:",
        "# old key sk-proj",
        "in a comment",
        only=True,
    ),
    "redis-url-empty-user": Edit(
        ROUTING,
        "# Labels name",
        "# shared cache: redis://:s3cr3tpassw0rd@redis.internal:6379/0\n# Labels name",
        "redis://:s3cr3t",
        "literal secret (Password inside a URL",
        only=True,
    ),
    "postgres-url-in-value": Edit(
        ENV_STAGING,
        "description: Shared pre-production cluster.",
        "description: db at postgresql://app:pa55word@db.internal/app",
        "postgresql://app",
        "literal secret (Password inside a URL",
        only=True,
    ),
    "password-in-query-string": Edit(
        MODELS,
        "api_base: os.environ/AZURE_API_BASE",
        "api_base: https://example.openai.azure.com/?password=hunter22",
        "?password=hunter22",
        "literal secret (Password inside a URL",
        only=True,
    ),
    "secret-as-a-key": Edit(
        MODELS,
        "  gpt-4o-mini:\n",
        "  sk-proj-abcdefghijklmnopqrstuvwxyz0123:\n    deployments: []\n  gpt-4o-mini:\n",
        "sk-proj-abcdef",
        "literal secret (OpenAI API key",
    ),
    "secret-in-unparseable-file": Edit(
        ROUTING,
        "num_retries: 2",
        "num_retries: [2  # token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
        "ghp_0123",
        "literal secret (GitHub token",
    ),
    # --- the right line ---------------------------------------------------------------------------
    "bad-model-group-name": Edit(
        MODELS,
        "  claude-sonnet:\n",
        "  Claude-Sonnet:\n",
        "Claude-Sonnet:",
        'key "Claude-Sonnet" is not allowed: must be a string matching',
        only=False,
    ),
    "unknown-source-environment": Edit(
        SECRETS,
        "      dev: {env: OPENAI_API_KEY}",
        "      production: {env: OPENAI_API_KEY}",
        "production:",
        'key "production" is not allowed (allowed: "dev", "staging", "prod")',
    ),
    "bad-fallback-key": Edit(
        ROUTING,
        "  gpt-4o-mini: [gpt-4o]",
        "  GPT-4o-mini: [gpt-4o]",
        "GPT-4o-mini: [gpt-4o]",
        'key "GPT-4o-mini" is not allowed',
    ),
    "second-yaml-document": Edit(
        ENV_PROD, None, "---\nreplicas: 5\n", "---", "a second YAML document starts here", only=True
    ),
    "duplicate-key-first-occurrence": Edit(
        SECRETS,
        "  REDIS_PORT:",
        "  OPENAI_API_KEY:\n    sources: {}\n  REDIS_PORT:",
        "OPENAI_API_KEY:",
        "duplicate key 'OPENAI_API_KEY' (first defined at line @@)",
        occurrence=2,
        first_of="OPENAI_API_KEY:",
        only=True,
    ),
    "policy-about-cache-key": Edit(
        ENV_STAGING,
        "redis:\n  host: os.environ/REDIS_HOST\n  port: os.environ/REDIS_PORT\n  password: os.environ/REDIS_PASSWORD\n",
        "",
        "cache:",
        "`cache` needs `redis`",
    ),
    "path-on-builtin-transform": Edit(
        TRANSFORMS,
        "    type: clamp_max_tokens\n",
        "    type: clamp_max_tokens\n    path: gateway_hooks.transforms.clamp_max_tokens\n",
        "path: gateway_hooks",
        "key 'path' is allowed only when type is \"custom\"",
        only=True,
    ),
    "merged-key-positions": Edit(
        ENV_STAGING,
        "resources:\n  requests: {cpu: 500m, memory: 1Gi}\n",
        "resources:\n  <<: {requests: {cpu: lots, memory: 1Gi}}\n",
        "<<: {requests",
        'resources.requests.cpu: "lots" does not match the required pattern',
        only=True,
    ),
    # --- every problem once ----------------------------------------------------------------------
    "every-unknown-key": Edit(
        ENV_DEV,
        "workers: 1",
        "workrs: 1\nlog_levl: INFO",
        "log_levl: INFO",
        "unknown key 'log_levl' in (top level); did you mean 'log_level'?",
    ),
    "duplicate-key-no-cascade": Edit(
        MODELS,
        "    max_input_tokens: 8000\n",
        "    max_input_tokens: 8000\n    max_input_tokens: 9000\n",
        "max_input_tokens: 9000",
        "duplicate key 'max_input_tokens'",
        only=True,
    ),
    "syntax-error-no-cascade": Edit(MODELS, "rpm: 5000", "rpm: [5000", "rpm: [5000", "YAML syntax error", only=True),
    "scalar-for-a-list": Edit(
        ENV_DEV,
        "model_groups: [gpt-4o, gpt-4o-mini, claude-sonnet, long-context, text-embedding]",
        "model_groups: gpt-4o",
        "model_groups: gpt-4o",
        'model_groups: expected list, got string "gpt-4o"',
        only=True,
    ),
    "scalar-for-guardrail-list": Edit(
        ENV_PROD,
        "guardrails: [redact-secrets, banned-keywords]",
        "guardrails: redact-secrets",
        "guardrails: redact-secrets",
        "expected list, got string",
        only=True,
    ),
    "scalar-for-deployment-environments": Edit(
        MODELS,
        "environments: [prod]",
        "environments: prod",
        "environments: prod",
        'expected list, got string "prod"',
        only=True,
    ),
    "same-problem-in-every-environment": Edit(
        MODELS,
        "api_key: os.environ/OPENAI_API_KEY\n        rpm: 10000\n        tpm",
        "api_key: os.environ/OPENAI_KEY\n        rpm: 10000\n        tpm",
        "os.environ/OPENAI_KEY",
        "secret reference OPENAI_KEY is not declared",
        only=True,
    ),
    "literal-instead-of-reference-once": Edit(
        ENV_DEV,
        "master_key: os.environ/LITELLM_MASTER_KEY",
        "master_key: sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        "master_key: sk-proj",
        "literal secret (OpenAI API key",
        only=True,
    ),
    # --- messages say what is allowed ----------------------------------------------------------
    "one-of-names-alternatives": Edit(
        ENV_DEV,
        "port: os.environ/REDIS_PORT",
        "port: not-a-port",
        "port: not-a-port",
        "allowed: a reference os.environ/NAME or an integer 1–65535",
        only=True,
    ),
    "enum-did-you-mean": Edit(
        ROUTING,
        "strategy: simple-shuffle",
        "strategy: simple-shufle",
        "strategy: simple-shufle",
        'did you mean "simple-shuffle"?',
        only=True,
    ),
    "yes-is-not-a-boolean": Edit(
        ENV_DEV, "prometheus: true", "prometheus: yes", "prometheus: yes", "write true or false", only=True
    ),
    "quoted-number": Edit(
        ENV_PROD,
        "replicas: 3",
        'replicas: "3"',
        'replicas: "3"',
        "a quoted number is text: remove the quotes",
        only=True,
    ),
    "policy-shows-offending-value": Edit(
        ENV_PROD,
        "guardrails: [redact-secrets, banned-keywords]",
        "guardrails: [banned-keywords]",
        "guardrails: [banned-keywords]",
        "(got [banned-keywords])",
        only=True,
    ),
    "exactly-one-source": Edit(
        SECRETS,
        "      dev: {env: OPENAI_API_KEY}",
        "      dev: {env: OPENAI_API_KEY, external: {store: vault-backend, key: k}}",
        "dev: {env: OPENAI_API_KEY, external",
        "give exactly one of env, external, kubernetes_secret (got env, external)",
        only=True,
    ),
    "listed-twice": Edit(
        ENV_DEV,
        "model_groups: [gpt-4o, gpt-4o-mini,",
        "model_groups: [gpt-4o, gpt-4o, gpt-4o-mini,",
        "model_groups: [gpt-4o, gpt-4o,",
        '"gpt-4o" is listed more than once',
        only=True,
    ),
    "file-is-a-list": Edit(
        ROUTING,
        None,
        "- strategy: simple-shuffle\n",
        1,
        "(top level): expected mapping, got list",
        whole=True,
        only=True,
    ),
    # --- what prod serves besides the API (issue: production safety) -------------------------
    "metrics-scraper-key-removed": Edit(
        ACCESS,
        "    allowed_routes: [/metrics]\n",
        "",
        "service_monitor: true",
        "prod keeps /metrics/ behind a key (require_auth_for_metrics_endpoint) and its ServiceMonitor has none to send",
        expect_file=ENV_PROD,
    ),
    "metrics-scraper-key-generated": Edit(
        ACCESS,
        "    value: os.environ/LITELLM_METRICS_KEY\n",
        "",
        "service_monitor: true",
        "staging keeps /metrics/ behind a key",
        expect_file=ENV_STAGING,
    ),
    "prod-metrics-open": Edit(
        ENV_PROD,
        "require_auth_for_metrics_endpoint: true",
        "require_auth_for_metrics_endpoint: false",
        "require_auth_for_metrics_endpoint: false",
        "prod must keep /metrics/ behind a key",
    ),
    "prod-admin-ui-on": Edit(
        ENV_PROD,
        "admin_ui: false",
        "admin_ui: true",
        "admin_ui: true",
        "prod must not serve LiteLLM's admin UI or API docs",
    ),
    "prod-cors-any-origin": Edit(
        ENV_PROD,
        "cors_origins: [https://chat.prod.example.internal]",
        "cors_origins: ['*']",
        "cors_origins: ['*']",
        "prod must name the browser origins it allows",
    ),
    "cors-origin-with-path": Edit(
        ENV_STAGING,
        "api_docs: false",
        "api_docs: false\ncors_origins: [https://chat.example.internal/app]",
        "cors_origins: [https://chat.example.internal/app]",
        "does not match",
    ),
    "ingress-body-size-unit": Edit(
        ENV_PROD, "max_body_size: 20m", "max_body_size: 20MB", "max_body_size: 20MB", "does not match"
    ),
    "scraper-route-not-a-path": Edit(
        ACCESS, "allowed_routes: [/metrics]", "allowed_routes: [metrics]", "allowed_routes: [metrics]", "does not match"
    ),
    # --- access as code (config/access.yaml) ------------------------------------------------
    "access-key-of-unknown-team": Edit(
        ACCESS,
        "    team: platform\n    description: The gateway's CI",
        "    team: platfrom\n    description: The gateway's CI",
        "team: platfrom",
        "key 'platform-ci' belongs to team 'platfrom', which is not declared for dev (teams there: platform, search)",
    ),
    "access-model-not-enabled": Edit(
        ACCESS,
        "models: [gpt-4o, gpt-4o-mini, text-embedding]",
        "models: [gpt-4o, gpt-5, text-embedding]",
        "models: [gpt-4o, gpt-5, text-embedding]",
        "team 'platform' may call 'gpt-5', which is not a model group enabled in dev",
    ),
    "access-key-outside-its-team": Edit(
        ACCESS,
        "    models: [gpt-4o-mini]\n    max_budget: 5",
        "    models: [gpt-4o-mini, claude-sonnet]\n    max_budget: 5",
        "models: [gpt-4o-mini, claude-sonnet]",
        "key 'platform-ci' may call claude-sonnet, which its team 'platform' may not",
    ),
    "access-key-limit-above-team": Edit(
        ACCESS,
        "    rpm_limit: 60\n",
        "    rpm_limit: 6000\n",
        "rpm_limit: 6000",
        "key 'platform-ci' rpm_limit 6000 is above its team's (600)",
        severity="warning",
    ),
    "access-literal-key-value": Edit(
        ACCESS,
        "    rpm_limit: 60\n",
        "    rpm_limit: 60\n    value: sk-proj-abcdefghijklmnopqrstuvwxyz123456\n",
        "value: sk-proj",
        "literal secret (OpenAI API key",
    ),
    "access-undeclared-key-reference": Edit(
        ACCESS,
        "    rpm_limit: 60\n",
        "    rpm_limit: 60\n    value: os.environ/PLATFORM_CI_KEY\n",
        "value: os.environ/PLATFORM_CI_KEY",
        "secret reference PLATFORM_CI_KEY is not declared",
    ),
    "access-bad-duration": Edit(
        ACCESS, "budget_duration: 1d", "budget_duration: daily", "budget_duration: daily", "budget_duration"
    ),
    "access-override-unknown-field": Edit(
        ACCESS,
        "      platform-ci: {max_budget: 1}",
        "      platform-ci: {max_budgte: 1}",
        "platform-ci: {max_budgte: 1}",
        "unknown key 'max_budgte'",
    ),
    "access-without-database": Edit(
        ENV_DEV,
        "database:\n  url: os.environ/DATABASE_URL\n  connection_pool_limit: 5\n",
        "",
        2,
        "teams and keys (config/access.yaml) need `database`",
    ),
    "database-connection-budget": Edit(
        ENV_STAGING,
        "  connection_pool_limit: 10\n",
        "  connection_pool_limit: 30\n",
        "connection_pool_limit: 30",
        "the database pools need up to 240 connections",
    ),
    # --- LiteLLM's own surface: config/litellm.yaml, overlays' `litellm:`, deployments' LiteLLM keys ----
    "litellm-general-settings-typo": Edit(
        "config/litellm.yaml",
        None,
        "general_settings:\n  disable_spend_log: true\n",
        "disable_spend_log",
        "unknown key 'disable_spend_log' in general_settings; did you mean 'disable_spend_logs'?",
        only=True,
    ),
    "litellm-settings-wrong-type": Edit(
        "config/litellm.yaml",
        "  drop_params: true",
        "  drop_params: sometimes",
        "drop_params: sometimes",
        "allowed: true or false or a reference os.environ/NAME",
        only=True,
    ),
    "deployment-litellm-param-typo": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o-eu\n        aws_regoin_name: eu-west-1",
        "aws_regoin_name",
        "did you mean 'aws_region_name'?",
        only=True,
    ),
    "deployment-literal-client-secret": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o-eu\n        client_secret: not-a-reference-value",
        "client_secret:",
        "must be a reference os.environ/NAME",
        only=True,
    ),
    "model-info-typo": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o-eu\n        model_info: {input_cost_per_tokn: 0.000001}",
        "input_cost_per_tokn",
        "did you mean 'input_cost_per_token'?",
        only=True,
    ),
    "model-info-id-twice": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o-eu\n        model_info: {id: other}",
        "model_info: {id: other}",
        "is the deployment's `id`",
        only=True,
    ),
    "unknown-provider-did-you-mean": Edit(
        MODELS, "provider: azure", "provider: azur", "provider: azur", 'did you mean "azure"?', only=True
    ),
    "unknown-credential": Edit(
        MODELS,
        "model: gpt-4o-eu",
        "model: gpt-4o-eu\n        litellm_credential_name: azure-west",
        "litellm_credential_name: azure-west",
        "credential 'azure-west' is not in credential_list",
        only=True,
    ),
    "owned-master-key": Edit(
        "config/litellm.yaml",
        None,
        "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n",
        "master_key:",
        "is rendered from `master_key` in config/environments/<env>.yaml",
        only=True,
    ),
    "owned-router-setting": Edit(
        "config/litellm.yaml",
        None,
        "router_settings:\n  num_retries: 5\n",
        "num_retries: 5",
        "is rendered from config/routing.yaml",
        only=True,
    ),
    "owned-redis": Edit(
        "config/litellm.yaml",
        None,
        "router_settings:\n  redis_host: os.environ/REDIS_HOST\n",
        "redis_host:",
        "is rendered from `redis` in config/environments/<env>.yaml",
        only=True,
    ),
    "prometheus-callback-twice": Edit(
        "config/litellm.yaml",
        None,
        "  callbacks: [prometheus]\n",
        "callbacks: [prometheus]",
        "is rendered from `prometheus: true`",
        only=True,
    ),
    "unknown-callback": Edit(
        "config/litellm.yaml",
        None,
        "  success_callback: [langfuze]\n",
        "success_callback: [langfuze]",
        "unknown callback 'langfuze'; did you mean 'langfuse'?",
        only=True,
    ),
    "redis-cache-params-twice": Edit(
        "config/litellm.yaml",
        None,
        "  cache_params: {type: redis, host: os.environ/REDIS_HOST}\n",
        "cache_params:",
        "a Redis response cache is `cache` (with `redis`)",
    ),
    "sensitive-env-var-literal": Edit(
        "config/litellm.yaml",
        None,
        "environment_variables:\n  LANGFUSE_SECRET_KEY: plain-text-value\n",
        "LANGFUSE_SECRET_KEY",
        "environment variable LANGFUSE_SECRET_KEY carries a secret by LiteLLM's rule",
        only=True,
    ),
    "alias-to-unknown-group": Edit(
        "config/litellm.yaml",
        None,
        "router_settings:\n  model_group_alias: {gpt-4: gpt-5}\n",
        "model_group_alias",
        "model_group_alias 'gpt-4' points to 'gpt-5', which is not a model group",
        only=True,
    ),
    "unknown-guardrail-integration": Edit(
        "config/litellm.yaml",
        None,
        "guardrails:\n  - guardrail_name: pii\n    litellm_params: {guardrail: presido, mode: pre_call}\n",
        "guardrail: presido",
        "unknown guardrail integration 'presido'; did you mean 'presidio'?",
    ),
    "native-guardrail-not-enabled": Edit(
        "config/litellm.yaml",
        None,
        "guardrails:\n  - guardrail_name: pii\n    litellm_params: {guardrail: presidio, mode: pre_call}\n",
        "- guardrail_name: pii",
        "guardrail 'pii' is not enabled in any environment",
        severity="warning",
        only=True,
    ),
    "prod-set-verbose": Edit(
        ENV_PROD,
        None,
        "litellm:\n  litellm_settings:\n    set_verbose: true\n",
        "set_verbose: true",
        "prod must not turn on LiteLLM's verbose logging",
        only=True,
    ),
    "prod-store-model-in-db-without-waiver": Edit(
        ENV_PROD,
        None,
        "litellm:\n  general_settings:\n    store_model_in_db: true\n",
        "store_model_in_db: true",
        "waive the check store-model-in-db for prod in config/waivers.yaml",
        only=True,
    ),
}


def _line_of(text: str, needle: str, occurrence: int) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"test bug: {needle!r} not found {occurrence} time(s)")


def apply(root: Path, edit: Edit) -> None:
    target = root / edit.file
    if isinstance(edit.new, bytes):
        target.write_bytes(edit.new)
        return
    text = target.read_text(encoding="utf-8") if target.exists() else ""
    if edit.whole:
        text = edit.new
    elif edit.old is None:
        text = text + edit.new
    else:
        assert edit.old in text, f"test bug: {edit.old!r} not in {edit.file}"
        text = text.replace(edit.old, edit.new, 1)
    target.write_text(text, encoding="utf-8")


def problems_of(root: Path) -> list[Problem]:
    """Every problem (errors and warnings); a check that trips over malformed data raises."""
    return validation.run(Policies(BundleTree.at(root)), debug=True).problems


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_edit_is_reported_with_file_and_line(repo_copy: Path, name: str) -> None:
    edit = CASES[name]
    apply(repo_copy, edit)
    problems = problems_of(repo_copy)
    assert problems, f"{name}: validation passed without a word but should report"
    expect_file = edit.expect_file or edit.file
    if isinstance(edit.line_of, int):
        line = edit.line_of
    else:
        line = _line_of((repo_copy / expect_file).read_text(encoding="utf-8"), edit.line_of, edit.occurrence)
    message = edit.message
    if edit.first_of:
        message = message.replace(
            "@@", str(_line_of((repo_copy / expect_file).read_text(encoding="utf-8"), edit.first_of, 1))
        )
    matching = [p for p in problems if message in p.message]
    listing = "\n".join(map(str, problems))
    assert matching, f"{name}: no problem mentions {message!r}; got:\n{listing}"
    assert any(
        p.location.file == expect_file and p.location.line == line and p.severity == edit.severity for p in matching
    ), f"{name}: expected an {edit.severity} at {expect_file}:{line}; got:\n" + "\n".join(map(str, matching))
    if edit.only:
        assert len(problems) == 1, f"{name}: expected exactly this one problem, got:\n{listing}"


def test_at_least_60_distinct_cases() -> None:
    assert len(CASES) >= 60
    assert {c.severity for c in CASES.values()} == {"error", "warning"}


def test_all_problems_reported_in_one_run(repo_copy: Path) -> None:
    apply(repo_copy, CASES["prod-replicas-1"])
    apply(repo_copy, CASES["unknown-fallback-target"])
    apply(repo_copy, CASES["literal-api-key"])
    messages = "\n".join(p.message for p in problems_of(repo_copy))
    assert "prod needs at least 2 replicas" in messages
    assert "fallback target 'claude-opus'" in messages
    assert "literal secret" in messages
