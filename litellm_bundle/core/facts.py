"""Facts of the bundle, each written once: names, ports, endpoints, the image, LiteLLM's setting keys the
tooling treats specially, the Kubernetes versions and the exit codes.

What cannot import this module (the chart, the Makefile, scripts/load.js, the hooks) reads the fact from
a file or is held equal to it by tests/unit/test_facts.py."""

from __future__ import annotations

from typing import Final

# the chart, its release and the namespace the rendered manifests and the tests install into
CHART: Final = "litellm-gateway"
RELEASE: Final = CHART
NAMESPACE: Final = "llm-gateway"
# the Secret the chart's pods read their environment from
ENV_SECRET_NAME: Final = f"{CHART}-env"

# the official image (the `-database` variant runs LiteLLM's migrations itself)
IMAGE_REPOSITORY: Final = "ghcr.io/berriai/litellm"
DATABASE_IMAGE_REPOSITORY: Final = f"{IMAGE_REPOSITORY}-database"

# the hooks package mounted next to the rendered config, and what the rendered config names in it
HOOKS_PACKAGE: Final = "gateway_hooks"
ACCESS_PACKAGE: Final = "gateway_access"
HOOKS_CALLBACK: Final = f"{HOOKS_PACKAGE}.entry.proxy_hooks"
GUARDRAIL_CLASSES: Final = {
    "secret_redaction": f"{HOOKS_PACKAGE}.entry.SecretRedactionGuardrail",
    "banned_keywords": f"{HOOKS_PACKAGE}.entry.BannedKeywordsGuardrail",
}
HOOKS_CONFIG_ENV: Final = "GATEWAY_HOOKS_CONFIG"

# the proxy: its port in the container and on the local stack, and the endpoints the tooling probes
PROXY_PORT: Final = 4000
LIVENESS_PATH: Final = "/health/liveliness"
READINESS_PATH: Final = "/health/readiness"
METRICS_PATH: Final = "/metrics/"

# the fake provider of the local stack and the tests (the only fake)
FAKE_PROVIDER_PORT: Final = 8090
FAKE_PROVIDER_KEY: Final = "fake-key"

# LiteLLM's settings that name callbacks (litellm_settings), and its router's fallback lists
CALLBACK_KEYS: Final = ("callbacks", "success_callback", "failure_callback", "service_callback", "audit_log_callbacks")
FALLBACK_KINDS: Final = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")

# Kubernetes versions the chart is linted against (kubeconform) and the default for `helm template`
KUBE_VERSIONS: Final = ("1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0", "1.35.0")
DEFAULT_KUBE_VERSION: Final = "1.33.0"

# exit codes of every command (docs/validation.md, "Exit codes")
EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1
EXIT_USAGE: Final = 2
EXIT_DRIFT: Final = 3
