"""A broken request gets a 4xx, never a 500, and the proxy keeps serving (the hooks' body guard)."""

from __future__ import annotations

import httpx
import openai
import pytest

from litellm_bundle.core.facts import LIVENESS_PATH

from .conftest import Stack

pytestmark = pytest.mark.proxy

NOT_OBJECTS = {
    "null": "null",
    "[]": "a list",
    "[1, 2]": "a list",
    "3": "a number",
    "-0.5": "a number",
    '"hello"': "a string",
    "true": "a boolean",
}
ROUTES = ("/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/v1/completions")


@pytest.mark.parametrize("body", sorted(NOT_OBJECTS))
def test_a_json_body_that_is_not_an_object_is_a_400(dev_stack: Stack, body: str) -> None:
    headers = {"Authorization": f"Bearer {dev_stack.key}", "Content-Type": "application/json"}
    for route in ROUTES:
        response = httpx.post(f"{dev_stack.url}{route}", content=body, headers=headers, timeout=30)
        assert response.status_code == 400, (route, response.text)
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert f"must be a JSON object (got {NOT_OBJECTS[body]})" in error["message"]


def test_the_openai_sdk_gets_a_bad_request_error_and_the_proxy_keeps_serving(dev_stack: Stack) -> None:
    client = openai.OpenAI(base_url=f"{dev_stack.url}/v1", api_key=dev_stack.key, max_retries=0, timeout=60)
    for body in ([{"role": "user", "content": "hi"}], "hi", 0):
        with pytest.raises(openai.BadRequestError) as info:
            client.post("/chat/completions", cast_to=httpx.Response, body=body)
        assert info.value.status_code == 400 and "must be a JSON object" in str(info.value)
    # malformed JSON and missing fields stay LiteLLM's own 400s
    raw = httpx.post(
        f"{dev_stack.url}/v1/chat/completions",
        content="{",
        timeout=30,
        headers={"Authorization": f"Bearer {dev_stack.key}", "Content-Type": "application/json"},
    )
    assert raw.status_code == 400 and "Invalid JSON" in raw.text
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=None)  # type: ignore[arg-type]
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "still there?"}])
    assert answer.choices[0].message.content
    assert httpx.get(f"{dev_stack.url}{LIVENESS_PATH}", timeout=10).status_code == 200
