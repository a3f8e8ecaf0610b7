"""What the boot check (litellm_bundle/runtime/boot_check.py) concludes from a config and the proxy's
answers; the boots themselves are in tests/integration/test_boot_check.py."""

from __future__ import annotations

from litellm_bundle.runtime import boot_check


def test_placeholders_point_nowhere_and_fill_redis() -> None:
    assert boot_check.placeholder("AZURE_API_BASE", "api_base", 6390, "pw") == boot_check.UNREACHABLE
    assert boot_check.placeholder("LANGFUSE_HOST", "LANGFUSE_HOST", 6390, "pw") == boot_check.UNREACHABLE
    assert boot_check.placeholder("REDIS_HOST", "redis_host", 6390, "pw") == "127.0.0.1"
    assert boot_check.placeholder("REDIS_PORT", "port", 6390, "pw") == "6390"
    assert boot_check.placeholder("REDIS_PASSWORD", "password", 6390, "pw") == "pw"
    assert boot_check.placeholder("OPENAI_API_KEY", "api_key", 6390, "pw") == "boot-check-openai-api-key"


def test_expected_lists_groups_aliases_callbacks_guardrails() -> None:
    config = {
        "model_list": [{"model_name": "gpt-4o"}, {"model_name": "gpt-4o"}, {"model_name": "anthropic/*"}],
        "router_settings": {"model_group_alias": {"gpt-4": "gpt-4o", "old": {"model": "gpt-4o", "hidden": True}}},
        "litellm_settings": {
            "callbacks": ["gateway_hooks.entry.proxy_hooks", "otel"],
            "success_callback": ["langfuse", "otel"],
        },
        "guardrails": [{"guardrail_name": "pii"}],
    }
    assert boot_check.expected(config) == (
        ["gpt-4o", "anthropic/*", "gpt-4"],
        ["gateway_hooks.entry.proxy_hooks", "otel", "langfuse"],
        ["pii"],
    )


def test_a_callback_counts_as_loaded_by_name_or_by_its_class() -> None:
    active = [
        "langfuse",
        "<litellm.integrations.opentelemetry.OpenTelemetry object at 0x1>",
        "<gateway_hooks.proxy.GatewayHooks object at 0x2>",
    ]
    classes = {"otel": "OpenTelemetry", "datadog": "DataDogLogger"}
    assert boot_check._loaded("langfuse", active, classes)
    assert boot_check._loaded("otel", active, classes)
    assert boot_check._loaded("gateway_hooks.entry.proxy_hooks", active, classes)
    assert not boot_check._loaded("datadog", active, classes)
    assert not boot_check._loaded("s3", active, classes)


def test_a_wildcard_group_is_listed_by_what_it_expands_to() -> None:
    assert boot_check._listed("gpt-4o", ["gpt-4o"], ["gpt-4o"])
    assert boot_check._listed("anthropic/*", ["gpt-4o", "claude-sonnet-4-5"], ["gpt-4o"])
    assert not boot_check._listed("anthropic/*", ["gpt-4o"], ["gpt-4o"])
    assert not boot_check._listed("gpt-4o-mini", ["gpt-4o"], ["gpt-4o", "gpt-4o-mini"])
