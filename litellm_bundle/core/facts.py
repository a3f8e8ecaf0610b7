"""Facts of the bundle, each written once: names, ports, endpoints, the image, LiteLLM's setting keys the
tooling treats specially, the Kubernetes versions, what `render` generates and the exit codes.

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
# where the image finds config.yaml, hooks.json, the hooks package and the team's own code (config/code/)
# side by side: the chart's and Compose's mount; the native stack stages the same layout elsewhere
CONFIG_MOUNT: Final = "/etc/litellm"

# the proxy: its port in the container and on the local stack, and the endpoints the tooling probes
PROXY_PORT: Final = 4000
LIVENESS_PATH: Final = "/health/liveliness"
READINESS_PATH: Final = "/health/readiness"
METRICS_PATH: Final = "/metrics/"

# the fake provider of the local stack and the tests (the only fake): its port (fake_provider.py's default),
# the key the proxy sends it, and its name as a Compose service
# the proxy-facing tests and `make upgrade` run another LiteLLM version's proxy from that version's venv
# (BundleTree.litellm_venv): this variable names the venv; unset, the tooling's own .venv runs the proxy
PROXY_VENV_ENV: Final = "BUNDLE_LITELLM_VENV"
# LiteLLM in its default DEV mode loads the first `.env` above its own package (python-dotenv) into the
# environment, for the checkout's venv the checkout's `.env` of `make up` (whose empty `DATABASE_URL=` turns
# the database on without a server): every LiteLLM the bundle runs or imports runs in PRODUCTION mode and
# is given what it needs (the image has no `.env` either)
NO_DOTENV: Final = {"LITELLM_MODE": "PRODUCTION"}

FAKE_PROVIDER_PORT: Final = 8090
FAKE_PROVIDER_KEY: Final = "fake-key"
FAKE_PROVIDER_SERVICE: Final = "fake-provider"


def fake_provider_api_base(host: str, port: int = FAKE_PROVIDER_PORT) -> str:
    """The fake provider's OpenAI base URL (FAKE_PROVIDER_API_BASE) at host:port."""
    return f"http://{host}:{port}/v1"


# LiteLLM's settings that name callbacks (litellm_settings), and its router's fallback lists. The proxy's
# /active/callbacks lists the callbacks of the first three only (service and audit-log callbacks live elsewhere).
ACTIVE_CALLBACK_KEYS: Final = ("callbacks", "success_callback", "failure_callback")
CALLBACK_KEYS: Final = (*ACTIVE_CALLBACK_KEYS, "service_callback", "audit_log_callbacks")
# the sections of LiteLLM's config.yaml the bundle builds from its sources and config/litellm.yaml merged;
# LiteLLM's other top-level sections are rendered as config/litellm.yaml writes them
MERGED_SECTIONS: Final = (
    "litellm_settings",
    "general_settings",
    "router_settings",
    "environment_variables",
    "callback_settings",
    "credential_list",
    "guardrails",
)
FALLBACK_KINDS: Final = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
# LiteLLM's switch of its Rust core (litellm/rust_bridge/configuration.py), rendered from `rust_core`
RUST_CORE_ENV: Final = "LITELLM_RUST"

# Kubernetes versions the chart is linted against (kubeconform) and the default for `helm template`
KUBE_VERSIONS: Final = ("1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0", "1.34.0", "1.35.0")
DEFAULT_KUBE_VERSION: Final = "1.33.0"
# the local control plane's Kubernetes releases (tools/kube/build.sh builds them), newest first: the default
CONTROL_PLANE_VERSIONS: Final = ("v1.35.4", "v1.30.14")
DEFAULT_CONTROL_PLANE_VERSION: Final = CONTROL_PLANE_VERSIONS[0]

# what `render` generates into a bundle tree (build/output.py): directories every file of which is
# generated, and single files
RENDERED_AREA: Final = "rendered/"
K8S_AREA: Final = "k8s/"
COMPOSE_AREA: Final = "compose/"
ENV_EXAMPLE: Final = ".env.example"
CONFIG_REFERENCE: Final = "docs/config-reference.md"
GENERATED_AREAS: Final = (RENDERED_AREA, K8S_AREA, COMPOSE_AREA, ENV_EXAMPLE, CONFIG_REFERENCE)

# exit codes of every command (docs/validation.md, "Exit codes")
EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1
EXIT_USAGE: Final = 2
EXIT_DRIFT: Final = 3
EXIT_LOCKED: Final = 4  # access apply: another run holds the environment's lease
EXIT_INTERRUPTED: Final = 130  # Ctrl-C (128 + SIGINT, as a shell reports it)
