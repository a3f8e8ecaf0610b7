"""The hooks' ASGI guards in the real proxy served under a root path (SERVER_ROOT_PATH): with the admin
UI off, none of its routes answers under any spelling or method, with or without the root path; a body
LiteLLM would parse as JSON that is not an object is a 400 whatever its content type or method; the API
itself still answers under the root path."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from gateway_hooks.admin_guard import PREFIXES
from litellm_bundle.runtime import localenv

from .conftest import Stack, running_proxy, stage_dev

pytestmark = pytest.mark.proxy

ROOT_PATH = "/prefix"
OFF = "The admin UI is turned off in this environment."


@pytest.fixture(scope="module")
def rooted(tmp_path_factory: pytest.TempPathFactory, fake_provider: str, redis_server: int) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("rooted")
    secrets = localenv.local_secrets(fake_provider, redis_server)
    staged = stage_dev(work / "runtime", secrets)
    # LiteLLM rewrites the UI's files for a root path where they are: a copy of its own, not the venv's
    env = {**secrets, "SERVER_ROOT_PATH": ROOT_PATH, "LITELLM_UI_PATH": str(work / "ui")}
    with running_proxy(staged.config, env, fake_provider) as stack:
        yield stack


def raw(stack: Stack, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None) -> int:
    """The request target sent as it is (no client normalises `//`, `.` or escapes); the status."""
    address = urlsplit(stack.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        connection.request(method, target, body=body or None, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
    finally:
        connection.close()
    if response.status == 404 and method != "HEAD":
        assert json.loads(payload)["error"]["message"] == OFF, (target, payload)
    return response.status


def test_no_route_of_the_admin_ui_answers_under_any_spelling_or_method(rooted: Stack) -> None:
    answered = {
        (method, target): status
        for prefix in PREFIXES
        for target in (ROOT_PATH + prefix, ROOT_PATH + prefix + "/", prefix, ROOT_PATH + "/" + prefix)
        for method in ("GET", "HEAD", "OPTIONS", "POST")
        if (status := raw(rooted, method, target)) != 404
    }
    spellings = ["/prefix/%75i/", "//ui/", "/prefix/./ui/", "/prefix/x/../ui/", "/prefix/ui/login/", "/%2575i/"]
    answered |= {("GET", t): status for t in spellings if (status := raw(rooted, "GET", t)) != 404}
    assert answered == {}


def test_the_api_answers_under_the_root_path(rooted: Stack) -> None:
    headers = {"Authorization": f"Bearer {rooted.key}"}
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    for path in (f"{ROOT_PATH}/v1/chat/completions", "/v1/chat/completions"):
        response = httpx.post(f"{rooted.url}{path}", json=body, headers=headers, timeout=60)
        assert response.status_code == 200, response.text
    assert httpx.get(f"{rooted.url}{ROOT_PATH}/key/info", headers=headers, timeout=30).status_code != 404


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body"),
    [
        ("POST", "/v1/chat/completions", "text/plain", b"[1]"),
        ("POST", "/v1/chat/completions", None, b"null"),
        ("POST", "/v1/embeddings", "application/x-ndjson", b'"text"'),
        ("GET", "/v1/models", "application/json", b"[1]"),
        ("POST", "/v1/chat/completions", "application/json", b"[" * 100_000),
        ("POST", "/v1/chat/completions", "text/plain", b"NaN"),
    ],
)
def test_a_body_litellm_parses_that_is_not_an_object_is_a_400(
    rooted: Stack, method: str, path: str, content_type: str | None, body: bytes
) -> None:
    headers = {"Authorization": f"Bearer {rooted.key}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    for prefix in (ROOT_PATH, ""):
        response = httpx.request(method, f"{rooted.url}{prefix}{path}", content=body, headers=headers, timeout=30)
        assert response.status_code == 400, (prefix, response.text)
        assert "must be a JSON object" in response.json()["error"]["message"]
