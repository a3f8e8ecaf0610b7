"""With the admin UI turned off (DISABLE_ADMIN_UI, rendered from an environment's `admin_ui: false`),
nothing of it is served: the pinned LiteLLM reads DISABLE_ADMIN_UI only in its SSO login and still
serves the UI's pages at /ui and the password login at /login and /v2/login. This ASGI guard answers
the UI's routes (guards.json: admin_ui) with 404 in OpenAI's error format, whatever the method; the
management API (/key, /team, ...) stays, for the master key and the bundle's access reconciler.

The guard sits in front of the router (asgi.mount) and decides on the path the router routes
(asgi.route_path: the root path of SERVER_ROOT_PATH or SERVER_ROOT_PATHS taken off as Starlette does, so
/<root>/ui is /ui), and on that path normalised as a proxy in front may normalise it (repeated slashes
merged, dot segments resolved, percent-escapes decoded), so neither spelling reaches the UI."""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from gateway_hooks import observability as obs
from gateway_hooks.asgi import App, Receive, Send, answer, error, mount, proxy_app, route_path

PREFIXES: tuple[str, ...] = tuple(
    json.loads((Path(__file__).resolve().parent / "guards.json").read_text(encoding="utf-8"))["admin_ui"]["prefixes"]
)
_MARK = "_gateway_admin_guard"
_PAYLOAD = error(404, "The admin UI is turned off in this environment.")
_DECODE_ROUNDS = 3  # percent-escapes decoded at most this often (an escaped escape, twice over)


def disabled(environ: MutableMapping[str, str] | None = None) -> bool:
    """DISABLE_ADMIN_UI as LiteLLM reads it (true, 1, yes...)."""
    return (environ if environ is not None else os.environ).get("DISABLE_ADMIN_UI", "").strip().lower() in (
        "true",
        "1",
        "yes",
        "on",
    )


def normalised(path: str) -> str:
    """`path` as a normalising proxy would pass it on: escapes decoded, `//` merged, `.` and `..` resolved
    (never above the root), a trailing slash kept."""
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    trailing = path.endswith("/") and len(path) > 1
    path = posixpath.normpath("/" + path.lstrip("/"))
    path = "/" + path.lstrip("/")  # normpath keeps a leading "//"
    return path + "/" if trailing and path != "/" else path


def _under(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


def is_admin_path(path: str) -> bool:
    """Whether a routed path, as it is or normalised, is one of the admin UI's."""
    return _under(path) or _under(normalised(path))


class AdminUIGuard:
    def __init__(self, app: App):
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and is_admin_path(route_path(scope)):
            obs.event("request_rejected", reason="admin_ui_off", path=route_path(scope), method=scope.get("method"))
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
