"""`drift`'s comparison on data shaped as the pinned proxy answers (/model/info, /config/list, /router/settings,
/get/config/callbacks), and the command's failures before any proxy answers. The real proxy's side:
tests/database/test_live_drift.py."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime import processes
from litellm_bundle.runtime.drift_compare import (
    KINDS,
    LiveSetting,
    LiveState,
    callbacks_from,
    compare_callbacks,
    compare_models,
    compare_settings,
    find_drift,
    models_from,
    settings_from,
)
from tests.helpers import checkout_tree

ENV_REF = Policies(checkout_tree()).env_ref

RENDERED: dict[str, Any] = {
    "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY", "proxy_batch_write_at": 60},
    "litellm_settings": {"callbacks": ["gateway_hooks.entry.proxy_hooks", "prometheus"], "drop_params": True},
    "router_settings": {"num_retries": 2, "redis_host": "os.environ/REDIS_HOST"},
    "model_list": [
        {
            "model_name": "gpt-4o",
            "litellm_params": {
                "model": "openai/fake-gpt-4o",
                "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
                "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
                "rpm": 6000,
                "timeout": 30,
            },
            "model_info": {"id": "gpt-4o-fake", "base_model": "gpt-4o", "mode": "chat"},
        }
    ],
}


def live_model(**params: Any) -> dict[str, Any]:
    """A config deployment as /model/info shows it: secrets resolved or hidden, LiteLLM's defaults filled in,
    model_info enriched from the cost map."""
    return {
        "model_name": "gpt-4o",
        "litellm_params": {
            "model": "openai/fake-gpt-4o",
            "api_base": "http://127.0.0.1:4010/v1",
            "rpm": 6000,
            "timeout": 30.0,
            "use_in_pass_through": False,
            "merge_reasoning_content_in_choices": False,
            **params,
        },
        "model_info": {
            "id": "gpt-4o-fake",
            "db_model": False,
            "base_model": "gpt-4o",
            "mode": "chat",
            "input_cost_per_token": 2.5e-06,
        },
    }


DB_MODEL = {
    "model_name": "ui-added",
    "litellm_params": {"model": "openai/x", "api_base": "http://127.0.0.1:1/v1", "use_litellm_proxy": False},
    "model_info": {"id": "probe-id", "db_model": True},
}


def clean_live() -> LiveState:
    return LiveState(
        [live_model()],
        {
            "general_settings": {"store_model_in_db": LiveSetting(None, "unset")},
            "litellm_settings": {"budget_rollover": LiveSetting(False, "default")},
            "router_settings": {
                "num_retries": LiveSetting(2, "config"),
                "retry_after": LiveSetting(0, "default"),
            },
        },
        {("gateway_hooks.entry.proxy_hooks", "success_and_failure"), ("prometheus", "success_and_failure")},
    )


def kinds(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.kind, f.subject) for f in findings]


def test_a_proxy_serving_the_render_has_no_drift_despite_resolved_secrets_and_litellm_defaults() -> None:
    assert find_drift(RENDERED, clean_live(), ENV_REF) == []


def test_a_model_added_through_the_database_is_drift_at_the_model_list() -> None:
    live = clean_live()
    live.models.append(DB_MODEL)
    (found,) = find_drift(RENDERED, live, ENV_REF)
    assert (found.kind, found.subject, found.path) == (
        "model-added-db",
        "model ui-added (id probe-id)",
        ("model_list",),
    )
    assert "stored in the database" in found.message
    assert found.live["litellm_params"] == {"model": "openai/x", "api_base": "http://127.0.0.1:1/v1"}, (
        "no empty defaults"
    )


def test_a_changed_deployment_names_the_parameter_and_both_values_at_its_place() -> None:
    (found,) = compare_models(RENDERED["model_list"], [live_model(rpm=7000)], ENV_REF)
    assert found.kind == "model-changed" and found.path == ("model_list", 0, "litellm_params", "rpm")
    assert (found.rendered, found.live) == (6000, 7000)
    assert "litellm_params.rpm is 6000 in the render, 7000 live" in found.message


def test_secret_references_are_never_compared_and_litellm_s_empty_defaults_never_count() -> None:
    live = live_model(api_base="https://elsewhere.example/v1", use_xai_oauth=False, routing_extra=None)
    assert compare_models(RENDERED["model_list"], [live], ENV_REF) == []


def test_a_value_the_proxy_masks_is_not_compared() -> None:
    rendered = [{"model_name": "m", "litellm_params": {"model": "openai/m", "tenancy": "ocid1.tenancy.oc1..abc"}}]
    live = {"model_name": "m", "litellm_params": {"model": "openai/m", "tenancy": "ocid************..abc"}}
    assert compare_models(rendered, [live], ENV_REF) == []


def test_a_wildcard_deployment_listed_under_the_models_it_matches() -> None:
    rendered = [{"model_name": "anthropic/*", "litellm_params": {"model": "anthropic/*"}, "model_info": {"id": "w"}}]
    rows = {
        "data": [
            {"model_name": name, "litellm_params": {"model": name}, "model_info": {"id": "w", "db_model": False}}
            for name in ("anthropic/claude-a", "anthropic/claude-b")
        ]
    }
    assert compare_models(rendered, models_from(rows), ENV_REF) == []


def test_a_parameter_only_the_proxy_has_counts_when_it_is_set() -> None:
    (found,) = compare_models(RENDERED["model_list"], [live_model(tpm=100)], ENV_REF)
    assert (found.kind, found.rendered, found.live) == ("model-changed", None, 100)


def test_a_rendered_deployment_overridden_from_the_database_and_one_not_served() -> None:
    edited = live_model(rpm=1)
    edited["model_info"]["db_model"] = True
    assert kinds(compare_models(RENDERED["model_list"], [edited], ENV_REF)) == [
        ("model-edited-db", "model gpt-4o (id gpt-4o-fake)"),
        ("model-changed", "model gpt-4o (id gpt-4o-fake)"),
    ]
    (missing,) = compare_models(RENDERED["model_list"], [], ENV_REF)
    assert (missing.kind, missing.path) == ("model-missing", ("model_list", 0))


def test_a_config_deployment_the_render_lacks_and_deployments_without_an_id() -> None:
    other = copy.deepcopy(DB_MODEL)
    other["model_info"]["db_model"] = False
    assert kinds(compare_models(RENDERED["model_list"], [live_model(), other], ENV_REF)) == [
        ("model-config-only", "model ui-added (id probe-id)")
    ]
    no_id = [{"model_name": "m", "litellm_params": {"model": "openai/m"}}]
    hashed = {
        "model_name": "m",
        "litellm_params": {"model": "openai/m"},
        "model_info": {"id": "a1b2", "db_model": False},
    }
    assert compare_models(no_id, [hashed], ENV_REF) == [], "matched by model_name and litellm_params.model"


def test_settings_by_their_source() -> None:
    live = {
        "store_model_in_db": LiveSetting(True, "db", stored_in_db=True),
        "proxy_batch_write_at": LiveSetting(10, "config"),
        "maximum_spend_logs_retention_period": LiveSetting("7d", "config"),
        "master_key": LiveSetting("sk-...", "config"),
        "alerting": LiveSetting(None, "unset"),
    }
    found = compare_settings("general_settings", RENDERED["general_settings"], live, ENV_REF)
    assert kinds(found) == [
        ("setting-config-only", "general_settings.maximum_spend_logs_retention_period"),
        ("setting-changed", "general_settings.proxy_batch_write_at"),
        ("setting-runtime", "general_settings.store_model_in_db"),
    ]
    assert "stored in the database at runtime" in found[2].message and found[2].live is True
    missing = compare_settings("router_settings", {"num_retries": 2}, {"num_retries": LiveSetting(3, "db")}, ENV_REF)
    assert kinds(missing) == [("setting-runtime", "router_settings.num_retries")]
    gone = compare_settings("router_settings", {"num_retries": 2}, {"num_retries": LiveSetting(0, "default")}, ENV_REF)
    assert kinds(gone) == [("setting-missing", "router_settings.num_retries")]
    shadowed = compare_settings("general_settings", {"x": 1}, {"x": LiveSetting(1, "config", True)}, ENV_REF)
    assert kinds(shadowed) == [("setting-shadowed", "general_settings.x")]


def test_callbacks_added_live_and_rendered_ones_missing() -> None:
    live = {("prometheus", "success_and_failure"), ("langfuse", "success")}
    found = compare_callbacks(RENDERED["litellm_settings"], live)
    assert kinds(found) == [
        ("callback-missing", "callback gateway_hooks.entry.proxy_hooks"),
        ("callback-added", "callback langfuse"),
    ]
    assert found[0].path == ("litellm_settings", "callbacks", 0)


def test_the_proxy_s_answers_parsed() -> None:
    assert models_from({"data": [DB_MODEL, DB_MODEL, live_model()]}) == [DB_MODEL, live_model()]
    config_list = [
        {"field_name": "store_model_in_db", "field_value": True, "source": "db", "stored_in_db": True},
        {"field_name": "budget_rollover", "field_value": False, "source": "default", "stored_in_db": None},
    ]
    router = {"current_values": {"retry_after": 5}, "source": {"retry_after": "db"}}
    settings = settings_from(config_list, router, frozenset({"store_model_in_db"}))
    assert settings["general_settings"] == {"store_model_in_db": LiveSetting(True, "db", True)}
    assert settings["litellm_settings"] == {"budget_rollover": LiveSetting(False, "default", False)}
    assert settings["router_settings"] == {"retry_after": LiveSetting(5, "db", False)}
    callbacks = {
        "callbacks": [
            {"name": "prometheus", "type": "success_and_failure"},
            {"name": "GatewayHooks", "type": "success_and_failure", "read_only": True},
        ]
    }
    assert callbacks_from(callbacks) == {("prometheus", "success_and_failure")}


def test_every_kind_is_documented() -> None:
    doc = (checkout_tree().root / "docs" / "operations.md").read_text(encoding="utf-8")
    assert [kind for kind in KINDS if f"`{kind}`" not in doc] == []


def test_an_unreachable_proxy_or_a_missing_key_is_exit_1_with_what_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{processes.free_port()}"
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-test")
    assert main(["drift", "--url", url, "--env", "dev"]) == facts.EXIT_PROBLEMS
    assert f"drift: cannot reach the proxy at {url}" in capsys.readouterr().err
    monkeypatch.delenv("LITELLM_MASTER_KEY")
    assert main(["drift", "--url", url]) == facts.EXIT_PROBLEMS
    assert "$LITELLM_MASTER_KEY is not set" in capsys.readouterr().err


def test_bad_usage_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drift", "--url", "file:///etc/passwd"]) == facts.EXIT_USAGE
    assert "is not an http(s) URL" in capsys.readouterr().err
    assert main(["drift", "--url", "http://127.0.0.1:1", "--env", "nope"]) == facts.EXIT_USAGE
    assert "unknown environment nope" in capsys.readouterr().err
