"""tests/boot_packing.py: which rendered configs may share one proxy start of the boot check, and how a
boot's failures are compared with the data file's."""

from __future__ import annotations

import json

import pytest

from litellm_bundle.runtime import boot_check
from tests.boot_packing import TRACEBACK, Collides, Rendered, join, merge, pack, said


def test_merge_joins_configs_only_where_nothing_collides() -> None:
    one = {
        "model_list": [{"model_name": "a", "litellm_params": {"model": "openai/a"}, "model_info": {"id": "a-1"}}],
        "litellm_settings": {"callbacks": ["x"], "drop_params": True},
        "mcp_servers": {"s": {"url": "http://127.0.0.1:9/mcp"}},
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }
    two = {
        "model_list": [{"model_name": "b", "litellm_params": {"model": "openai/b"}, "model_info": {"id": "b-1"}}],
        "litellm_settings": {"callbacks": ["y", "x"], "drop_params": True},
        "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
    }
    joined = merge(one, two)
    assert [m["model_name"] for m in joined["model_list"]] == ["a", "b"]
    assert joined["litellm_settings"] == {"callbacks": ["x", "y"], "drop_params": True}
    assert joined["mcp_servers"] == one["mcp_servers"]
    for clash in (
        {"model_list": [{"model_name": "a", "litellm_params": {"model": "openai/other"}}]},  # a group of one's
        {"model_list": one["model_list"]},  # the same group: never shared either
        {"model_list": [{"model_name": "c", "litellm_params": {}, "model_info": {"id": "a-1"}}]},
        {"litellm_settings": {"drop_params": False}},
        {"mcp_servers": {"s": {"url": "http://127.0.0.1:10/mcp"}}},
        {"general_settings": {"background_health_checks": True}},  # proxy-wide: only with the same keys
    ):
        with pytest.raises(Collides):
            merge(one, clash)
    assert merge(one, {"guardrails": [{"guardrail_name": "g"}]})["guardrails"] == [{"guardrail_name": "g"}]
    # a proxy-wide setting left off (false, null) is off as in a config without it
    assert merge(one, {"general_settings": {"background_health_checks": False}})["general_settings"] == {
        "master_key": "os.environ/LITELLM_MASTER_KEY",
        "background_health_checks": False,
    }
    # the team's code and the hooks' config: the same file twice is one, a different one collides
    auth = Rendered(one, '{"a": 2}', {"custom_auth.py": "A = 1\n"})
    assert join(auth, Rendered(two, '{"a": 2}', {"custom_auth.py": "A = 1\n", "x.py": ""})).code == {
        "custom_auth.py": "A = 1\n",
        "x.py": "",
    }
    hooks = Rendered(two, '{"routing": {"model_groups": {"b": {}}}}')
    assert json.loads(join(Rendered(one, '{"routing": {"model_groups": {"a": {}}}}'), hooks).hooks) == {
        "routing": {"model_groups": {"a": {}, "b": {}}}
    }
    for other in (Rendered(two, "{}", {"custom_auth.py": "A = 2\n"}), Rendered(two, '{"a": 1}')):
        with pytest.raises(Collides):
            join(auth, other)
    assert [names for names, _ in pack({"one": auth, "two": Rendered(two, "{}"), "three": Rendered(two, "{}")})] == [
        ["one", "two"],
        ["three"],
    ]


def test_said_is_each_failure_by_its_first_line_and_a_traceback_by_its_exception() -> None:
    result = boot_check.Boot("x", failures=["model group a is not listed on /v1/models (listed: none)"])
    result.failures.append(
        f'{TRACEBACK}\n    Traceback (most recent call last):\n      File "/x/y.py", line 1, in f\n'
        "        raise ValueError(\n    ValueError: GCS Bucket logging is a premium feature.\n    Pricing: ..."
    )
    assert said(result) == [
        "model group a is not listed on /v1/models (listed: none)",
        f"{TRACEBACK} ValueError: GCS Bucket logging is a premium feature.",
    ]
