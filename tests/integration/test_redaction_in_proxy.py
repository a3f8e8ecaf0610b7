"""Secret redaction inside the real LiteLLM proxy, driven by the OpenAI SDK: the detectors of
policies/secret_patterns.json (the ones `make validate` runs over config/) catch passwords in
URLs (empty user, user:password, '@' in the password, query strings) in every place a prompt can
hide, nothing secret reaches the provider or the proxy's log, and block mode refuses the request."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from litellm_bundle.core.facts import METRICS_PATH
from litellm_bundle.runtime import localenv, metrics
from tests.helpers import ROOT

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

SECRETS = {
    "redis://:Red1sPassw0rd@redis.internal:6379/0": "redis://[REDACTED:url_password]@redis.internal:6379/0",
    "postgresql://app:Pgpa55word@db.internal:5432/app": "postgresql://[REDACTED:url_password]@db.internal:5432/app",
    "mysql://root:My@ssword@mysql.internal/x": "mysql://[REDACTED:url_password]@mysql.internal/x",
    "https://api.example.com/v1?user=me&password=Qp4ssw0rd": "https://api.example.com/v1?user=me&password=[REDACTED:url_password]",
}
PASSWORDS = ("Red1sPassw0rd", "Pgpa55word", "My@ssword", "Qp4ssw0rd")


def client(stack: Stack) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.url}/v1", api_key=stack.key, max_retries=0, timeout=60)


def assert_nowhere(stack: Stack, *texts: str) -> None:
    """None of `texts` reached the provider or the proxy's log."""
    received = json.dumps(stack.fake_requests())
    log = stack.log.read_text(errors="replace")
    for text in texts:
        assert text not in received, f"{text} reached the provider"
        assert text not in log, f"{text} is in the proxy log"


def test_url_passwords_reach_the_provider_redacted(dev_stack: Stack) -> None:
    dev_stack.clear()
    prompt = "connect with " + " and ".join(SECRETS)
    reply = client(dev_stack).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    assert reply.choices[0].message.content == "Fake answer from fake-gpt-4o."
    [request] = dev_stack.fake_requests()
    sent = request["body"]["messages"][-1]["content"]
    assert sent == "connect with " + " and ".join(SECRETS.values())
    assert_nowhere(dev_stack, *PASSWORDS)


def test_url_password_in_tool_arguments_streaming_and_embeddings(dev_stack: Stack) -> None:
    dev_stack.clear()
    url = "redis://:Red1sPassw0rd@redis.internal:6379/0"
    messages = [
        {"role": "user", "content": [{"type": "text", "text": f"use {url}"}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "connect", "arguments": json.dumps({"url": url})}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": f"connected to {url}"},
    ]
    with client(dev_stack).chat.completions.with_streaming_response.create(
        model="gpt-4o", messages=messages, stream=True
    ) as response:
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == "Fake answer from fake-gpt-4o."
    embedding = client(dev_stack).embeddings.create(model="text-embedding", input=[f"index {url}", "plain text"])
    assert len(embedding.data) == 2
    bodies = [r["body"] for r in dev_stack.fake_requests()]
    assert len(bodies) == 2
    assert "redis://[REDACTED:url_password]@redis.internal:6379/0" in json.dumps(bodies)
    assert bodies[1]["input"][1] == "plain text"
    assert_nowhere(dev_stack, "Red1sPassw0rd")


def test_redactions_are_counted_per_detector(dev_stack: Stack) -> None:
    def count() -> float:
        text = httpx.get(f"{dev_stack.url}{METRICS_PATH}", timeout=10).text
        return metrics.total(text, "gateway_guardrail_actions_total", detector="url_password", action="redacted")

    before = count()
    client(dev_stack).chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "user", "content": "db: postgresql://app:Pgpa55word@db/app, cache: redis://:Red1sPassw0rd@r/0"}
        ],
    )
    assert count() == before + 2


@pytest.fixture(scope="module")
def blocking_stack(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    """The rendered dev config with the redaction guardrail in block mode (action: block)."""
    secrets = localenv.local_secrets(fake_provider, redis_server)
    workdir = tmp_path_factory.mktemp("blocking")
    staged = stage_dev(workdir, secrets)
    hooks = json.loads((workdir / "hooks.json").read_text())
    hooks["guardrails"]["redact-secrets"]["action"] = "block"
    (workdir / "hooks.json").write_text(json.dumps(hooks))
    with running_proxy(staged.config, secrets, fake_provider) as stack:
        yield stack


def test_block_mode_refuses_a_url_password_without_echoing_it(blocking_stack: Stack) -> None:
    blocking_stack.clear()
    with pytest.raises(openai.BadRequestError) as info:
        client(blocking_stack).chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": "try redis://:Red1sPassw0rd@redis.internal:6379"}]
        )
    assert "Request blocked by guardrail 'redact-secrets'" in str(info.value)
    assert "url_password" in str(info.value)
    assert "Red1sPassw0rd" not in str(info.value)
    assert blocking_stack.fake_requests() == []
    assert_nowhere(blocking_stack, "Red1sPassw0rd")
    # a prompt without secrets still goes through
    assert (
        client(blocking_stack)
        .chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
        .choices
    )


def test_long_prompts_neither_stall_the_proxy_nor_pass_unscanned(dev_stack: Stack) -> None:
    """A prompt of JWT-like fragments (the text that made the old JWT detector quadratic) just under the
    guardrails' max_scan_chars (4 M characters) is scanned to its end in steps, and small requests sent after
    it complete while it is still in flight; a longer one is refused with 413 before anything is scanned."""
    hooks = json.loads((ROOT / "rendered" / "dev" / "hooks.json").read_text())
    limit = min(g["max_scan_chars"] for g in hooks["guardrails"].values())
    unit = "eyJhbGciOiJIUzI1NiJ9-"
    token = json.loads((ROOT / "tests" / "secret_samples.json").read_text())["secrets"]["jwt"][0]["text"]
    big = unit * ((limit - 10_000) // len(unit)) + " " + token  # room for the system prompt the transforms add
    dev_stack.clear()
    with pytest.raises(openai.APIStatusError) as info:
        client(dev_stack).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": big + "x" * (limit + 1 - len(big))}]
        )
    assert info.value.status_code == 413 and "max_scan_chars" in str(info.value)
    assert dev_stack.fake_requests() == []

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            client(dev_stack).chat.completions.create,
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": big}],
        )
        while_in_flight = 0
        while not pending.done():
            small = client(dev_stack).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert small.choices
            while_in_flight += not pending.done()
        assert pending.result().choices
    assert while_in_flight >= 1
    sent = [r["body"]["messages"][-1]["content"] for r in dev_stack.fake_requests()]
    forwarded = next(text for text in sent if len(text) > 1000)
    assert forwarded == big.replace(token, "[REDACTED:jwt]")
