"""Every route the proxy serves a model on, through the real proxy: a URL password hidden in each of the
format's places (hooks/gateway_hooks/request_shapes.json) reaches the fake provider redacted, and what the
provider receives keeps its structure (an object stays an object, arguments stay a JSON string). The
pass-through routes run the default-on guardrails too (docs/hooks.md, "Which routes are scanned")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import localenv

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

PASSWORD = "S3cretPassw0rd"
SECRET = f"postgres://admin:{PASSWORD}@db.internal:5432/app"
REDACTED = "postgres://[REDACTED:url_password]@db.internal:5432/app"
IMAGE = f"https://viewer:{PASSWORD}@img.example/cat.png"
IMAGE_REDACTED = "https://[REDACTED:url_password]@img.example/cat.png"
GEMINI = "gemini-flash"  # a Gemini model group of this test's own


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    """The rendered dev config and guardrails, plus a Gemini group; the fake deployments lend their keys to
    the pass-through routes (use_in_pass_through), which point at the fake. No routing rules or transforms:
    each request reaches the deployment of the group it names, in that deployment's format."""
    secrets = {
        **localenv.local_secrets(fake_provider, redis_server),
        "ANTHROPIC_API_BASE": fake_provider,
        "GEMINI_API_BASE": fake_provider,
        "OPENAI_API_BASE": fake_provider,
    }
    workdir = tmp_path_factory.mktemp("shapes")
    staged = stage_dev(workdir, secrets)
    config = YAML(typ="safe").load(staged.config.read_text())
    config["model_list"].append(
        {
            "model_name": GEMINI,
            "litellm_params": {
                "model": "gemini/fake-gemini",
                "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
                "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            },
        }
    )
    for deployment in config["model_list"]:
        deployment["litellm_params"]["use_in_pass_through"] = True
    staged.config.write_text(dump_yaml(config))
    hooks = json.loads((workdir / "hooks.json").read_text())
    hooks["routing"]["rules"], hooks["transforms"]["pipeline"] = [], []
    (workdir / "hooks.json").write_text(json.dumps(hooks))
    with running_proxy(staged.config, secrets, fake_provider) as running:
        yield running


def post(stack: Stack, path: str, body: dict[str, Any], **params: str) -> Any:
    """POST through the proxy; the one request the provider received (its body)."""
    stack.clear()
    answer = httpx.post(
        f"{stack.url}{path}",
        json=body,
        params=params,
        headers={"Authorization": f"Bearer {stack.key}"},
        timeout=60,
    )
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
    received = stack.fake_requests()
    assert len(received) == 1, [(r["path"], r["kind"]) for r in received]
    sent = json.dumps(received[0]["body"])
    assert PASSWORD not in sent, f"{path}: the password reached the provider"
    return received[0]["body"]


def anthropic_body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 50,
        "system": [{"type": "text", "text": f"the database is {SECRET}"}],
        "tools": [{"name": "query", "description": f"runs SQL on {SECRET}", "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "count the users"}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t1", "name": "query", "input": {"dsn": SECRET, "limit": 10}}],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": f"connected to {SECRET}: 42"},
                    {"type": "image", "source": {"type": "url", "url": IMAGE}},
                ],
            },
        ],
    }


def assert_anthropic_redacted(sent: dict[str, Any]) -> None:
    assert sent["system"][0]["text"] == f"the database is {REDACTED}"
    assert sent["tools"][0]["description"] == f"runs SQL on {REDACTED}"
    assert sent["messages"][1]["content"][0]["input"] == {"dsn": REDACTED, "limit": 10}
    assert sent["messages"][2]["content"][0]["content"] == f"connected to {REDACTED}: 42"
    assert sent["messages"][2]["content"][1]["source"]["url"] == IMAGE_REDACTED


def gemini_body() -> dict[str, Any]:
    return {
        "systemInstruction": {"parts": [{"text": f"the database is {SECRET}"}]},
        "tools": [{"functionDeclarations": [{"name": "query", "description": f"runs SQL on {SECRET}"}]}],
        "contents": [
            {"role": "user", "parts": [{"text": f"count the users of {SECRET}"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "query", "args": {"dsn": SECRET, "limit": 10}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "query", "response": {"log": f"connected to {SECRET}"}}}],
            },
        ],
    }


def assert_gemini_redacted(sent: dict[str, Any]) -> None:
    assert sent["systemInstruction"]["parts"][0]["text"] == f"the database is {REDACTED}"
    assert sent["contents"][0]["parts"][0]["text"] == f"count the users of {REDACTED}"
    assert sent["contents"][1]["parts"][0]["functionCall"]["args"] == {"dsn": REDACTED, "limit": 10}
    assert sent["contents"][2]["parts"][0]["functionResponse"]["response"] == {"log": f"connected to {REDACTED}"}
    assert sent["tools"][0]["functionDeclarations"][0]["description"] == f"runs SQL on {REDACTED}"


def test_chat_completions(stack: Stack) -> None:
    body = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"use {SECRET}"},
                    {"type": "image_url", "image_url": {"url": IMAGE}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "query", "arguments": json.dumps({"dsn": SECRET})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": f"connected to {SECRET}"},
        ],
        "tools": [{"type": "function", "function": {"name": "query", "description": f"on {SECRET}", "parameters": {}}}],
    }
    sent = post(stack, "/v1/chat/completions", body)
    assert sent["messages"][0]["content"][0]["text"] == f"use {REDACTED}"
    assert sent["messages"][0]["content"][1]["image_url"]["url"] == IMAGE_REDACTED
    assert json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"]) == {"dsn": REDACTED}
    assert sent["messages"][2]["content"] == f"connected to {REDACTED}"
    assert sent["tools"][0]["function"]["description"] == f"on {REDACTED}"


def test_legacy_completions_and_embeddings(stack: Stack) -> None:
    # the fake has no legacy /v1/completions: an Anthropic deployment gets the prompt as a message
    sent = post(stack, "/v1/completions", {"model": "claude-sonnet", "prompt": f"use {SECRET}", "max_tokens": 20})
    assert sent["messages"][0]["content"][0]["text"] == f"use {REDACTED}"
    sent = post(stack, "/v1/embeddings", {"model": "text-embedding", "input": [f"index {SECRET}", "plain"]})
    assert sent["input"] == [f"index {REDACTED}", "plain"]


def test_responses(stack: Stack) -> None:
    body = {
        "model": "gpt-4o",
        "instructions": f"the database is {SECRET}",
        "tools": [{"type": "function", "name": "query", "description": f"on {SECRET}", "parameters": {}}],
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": f"count the users of {SECRET}"}]},
            {"type": "function_call", "call_id": "c1", "name": "query", "arguments": json.dumps({"dsn": SECRET})},
            {"type": "function_call_output", "call_id": "c1", "output": f"connected to {SECRET}"},
            {"role": "user", "content": [{"type": "input_image", "image_url": IMAGE}]},
        ],
    }
    sent = post(stack, "/v1/responses", body)
    assert sent["instructions"] == f"the database is {REDACTED}"
    assert sent["tools"][0]["description"] == f"on {REDACTED}"
    items = {item.get("type", "message"): item for item in sent["input"]}
    assert json.loads(items["function_call"]["arguments"]) == {"dsn": REDACTED}
    assert items["function_call_output"]["output"] == f"connected to {REDACTED}"
    assert sent["input"][3]["content"][0]["image_url"] == IMAGE_REDACTED


def test_anthropic_messages(stack: Stack) -> None:
    # claude-sonnet's dev deployment speaks Anthropic's API: the body reaches the fake in that format
    assert_anthropic_redacted(post(stack, "/v1/messages", anthropic_body("claude-sonnet")))


def test_gemini_generate_content(stack: Stack) -> None:
    # a gemini/ deployment gets the body in Gemini's own format
    assert_gemini_redacted(post(stack, f"/v1beta/models/{GEMINI}:generateContent", gemini_body()))


def test_pass_through_routes(stack: Stack) -> None:
    assert_anthropic_redacted(post(stack, "/anthropic/v1/messages", anthropic_body("fake-claude-sonnet")))
    chat = {"model": "fake-gpt-4o", "messages": [{"role": "user", "content": f"use {SECRET}"}]}
    assert post(stack, "/openai/v1/chat/completions", chat)["messages"][0]["content"] == f"use {REDACTED}"
    assert_gemini_redacted(
        post(stack, "/gemini/v1beta/models/fake-gemini:generateContent", gemini_body(), key=stack.key)
    )
