"""With the admin UI turned off (DISABLE_ADMIN_UI, rendered from an environment's `admin_ui: false`),
nothing of it is served: the pinned LiteLLM reads DISABLE_ADMIN_UI only in its SSO login and still
serves the UI's pages at /ui and the password login at /login and /v2/login. This ASGI guard answers
those paths with 404 in OpenAI's error format; the management API (/key, /team, ...) stays, for the
master key and the bundle's access reconciler."""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from typing import Any

from gateway_hooks import observability as obs
from gateway_hooks.asgi import App, Receive, Send, answer, mount, proxy_app

# the admin UI's pages and assets, and the logins that hand out a UI session
PREFIXES = ("/ui", "/_next", "/litellm-asset-prefix", "/sso", "/login", "/v2/login", "/fallback/login", "/onboarding")
_MARK = "_gateway_admin_guard"
_PAYLOAD = json.dumps(
    {
        "error": {
            "message": "The admin UI is turned off in this environment.",
            "type": "invalid_request_error",
            "param": None,
            "code": "404",
        }
    }
).encode()


def disabled(environ: MutableMapping[str, str] | None = None) -> bool:
    """DISABLE_ADMIN_UI as LiteLLM reads it (true, 1, yes...)."""
    return (environ if environ is not None else os.environ).get("DISABLE_ADMIN_UI", "").strip().lower() in (
        "true",
        "1",
        "yes",
        "on",
    )


def is_admin_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


class AdminUIGuard:
    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and is_admin_path(str(scope.get("path") or "")):
            obs.event("request_rejected", reason="admin_ui_off", path=scope.get("path"))
            await answer(send, 404, _PAYLOAD)
            return
        await self.app(scope, receive, send)


def install(app: Any) -> bool:
    return mount(app, _MARK, AdminUIGuard)


def install_in_proxy() -> None:
    """Guard the running proxy when the admin UI is off (a no-op outside the proxy or with the UI on)."""
    app = proxy_app()
    if app is not None and disabled():
        install(app)
