"""The admin UI guard on its own: with DISABLE_ADMIN_UI the UI's pages and logins get 404, the API and
the management API reach the app; with the UI on nothing is mounted."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from gateway_hooks import admin_guard
from gateway_hooks.admin_guard import AdminUIGuard, disabled, install


class App:
    """An ASGI app that answers 200 and records the paths it saw."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def get(app: Any, path: str, method: str = "GET") -> tuple[int, bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": method, "path": path, "headers": []}, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    "path",
    [
        "/ui",
        "/ui/",
        "/ui/login/index.html",
        "/_next/static/app.js",
        "/login",
        "/v2/login",
        "/sso/key/generate",
        "/fallback/login",
    ],
)
def test_the_admin_ui_and_its_logins_are_not_found(path: str) -> None:
    app = App()
    status, body = get(AdminUIGuard(app), path, method="POST" if "login" in path else "GET")
    assert status == 404 and json.loads(body)["error"]["message"] == "The admin UI is turned off in this environment."
    assert app.paths == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/chat/completions",
        "/chat/completions",
        "/key/generate",
        "/team/new",
        "/metrics/",
        "/health/liveliness",
        "/uix",
        "/loginx",
    ],
)
def test_the_api_and_the_management_api_pass(path: str) -> None:
    app = App()
    assert get(AdminUIGuard(app), path) == (200, b"ok")
    assert app.paths == [path]


def test_disabled_reads_the_switch_like_litellm() -> None:
    assert (
        disabled({"DISABLE_ADMIN_UI": "True"})
        and disabled({"DISABLE_ADMIN_UI": "true"})
        and disabled({"DISABLE_ADMIN_UI": "1"})
    )
    assert not disabled({"DISABLE_ADMIN_UI": "False"}) and not disabled({})


class FastAPILike:
    def __init__(self) -> None:
        self.middleware_stack = None
        self.inner = App()

    def build_middleware_stack(self) -> Any:
        return self.inner


def test_mounted_once_and_only_when_the_ui_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    app = FastAPILike()
    assert install(app) is True and install(app) is False
    assert get(app.build_middleware_stack(), "/ui/")[0] == 404
    other = FastAPILike()
    monkeypatch.setattr(admin_guard, "proxy_app", lambda: other)
    monkeypatch.setenv("DISABLE_ADMIN_UI", "False")
    admin_guard.install_in_proxy()
    assert get(other.build_middleware_stack(), "/ui/")[0] == 200
    monkeypatch.setenv("DISABLE_ADMIN_UI", "True")
    admin_guard.install_in_proxy()
    assert get(other.build_middleware_stack(), "/ui/")[0] == 404
