"""The admin UI guard in front of a real FastAPI router: with DISABLE_ADMIN_UI the UI's routes and logins
get 404 under every spelling the router (or a normalising proxy in front) routes to them, a root path
(SERVER_ROOT_PATH, and SERVER_ROOT_PATHS' per-request one) included; the API and the management API
reach the app; with the UI on nothing is mounted."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from litellm.proxy.middleware.per_request_root_path_middleware import PerRequestRootPathMiddleware
from starlette._utils import get_route_path
from starlette.routing import Mount

from gateway_hooks import admin_guard
from gateway_hooks.admin_guard import PREFIXES, disabled, install, is_admin_path
from gateway_hooks.asgi import route_path

OFF = "The admin UI is turned off in this environment."
# LiteLLM still passes SERVER_ROOT_PATH as FastAPI's root_path, which FastAPI deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The `root_path` parameter is deprecated")


class Page:
    """An ASGI app standing for whatever LiteLLM serves under a route: 200 and the path it got."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"served"})


def litellm_like(root_path: str = "", per_request: tuple[str, ...] = ()) -> FastAPI:
    """The pinned LiteLLM's shape: FastAPI with SERVER_ROOT_PATH as root_path, the UI's mounts, a few API and
    UI routes, LiteLLM's SERVER_ROOT_PATHS middleware when `per_request` names prefixes."""
    app = FastAPI(root_path=root_path)
    for prefix in ("/ui", "/_next", "/litellm-asset-prefix/_next"):
        app.router.routes.append(Mount(prefix, app=Page()))
    for path in ("/v1/chat/completions", "/key/generate", "/login", "/v3/login", "/sso/key/generate"):
        app.add_api_route(path, lambda: {"ok": True}, methods=["GET", "POST"])
    if per_request:
        app.add_middleware(PerRequestRootPathMiddleware, root_paths=per_request)
    return app


def call(app: Any, method: str, raw: str) -> tuple[int, bytes]:
    """One request as uvicorn hands it over: `raw` is the request target, scope["path"] its decoded form."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw),
        "raw_path": raw.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"gateway")],
        "server": ("gateway", 80),
        "client": ("127.0.0.1", 1),
    }
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


UI_SPELLINGS = [
    "/ui/",
    "/ui",
    "/ui/login/index.html",
    "/prefix/ui/",
    "/prefix/ui",
    "/prefix/ui/login/",
    "/prefix//ui/",
    "//ui/",
    "/ui//",
    "/%75i/",
    "/prefix/%75%69/",
    "/%2575i/",
    "/prefix/./ui/",
    "/prefix/x/../ui/",
    "/prefix/_next/static/app.js",
    "/prefix/litellm-asset-prefix/_next/app.js",
    "/prefix/login",
    "/prefix/v3/login",
    "/prefix/sso/key/generate",
]


@pytest.mark.parametrize("raw", UI_SPELLINGS)
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST"])
def test_every_spelling_of_the_ui_under_the_root_path_is_not_found(raw: str, method: str) -> None:
    app = litellm_like("/prefix")
    install(app)
    status, body = call(app, method, raw)
    assert status == 404 and json.loads(body)["error"]["message"] == OFF


def test_without_the_guard_the_router_serves_the_ui_under_the_root_path() -> None:
    """What the guard is for: the router strips the root path, so /prefix/ui/ is the UI."""
    assert call(litellm_like("/prefix"), "GET", "/prefix/ui/") == (200, b"served")
    assert call(litellm_like("/prefix"), "HEAD", "/ui/")[0] == 200


@pytest.mark.parametrize("raw", ["/tenant-a/ui/", "/tenant-a/login", "/ui/"])
def test_a_per_request_root_path_is_stripped_like_the_router_does(raw: str) -> None:
    """SERVER_ROOT_PATHS: LiteLLM's middleware sets the root path per request, inside the app; the guard sits
    behind it, in front of the router."""
    open_app = litellm_like(per_request=("/tenant-a",))
    assert call(open_app, "GET", raw)[0] == 200
    app = litellm_like(per_request=("/tenant-a",))
    install(app)
    assert call(app, "GET", raw)[0] == 404


@pytest.mark.parametrize(
    "raw",
    ["/prefix/v1/chat/completions", "/v1/chat/completions", "/prefix/key/generate", "/key/generate"],
)
def test_the_api_and_the_management_api_pass(raw: str) -> None:
    app = litellm_like("/prefix")
    install(app)
    assert call(app, "POST", raw) == (200, b'{"ok":true}')


@pytest.mark.parametrize(
    "path", ["/uix", "/loginx", "/v1/ui", "/team/filter/ui", "/spend/logs/ui", "/sso-settings", "/", ""]
)
def test_paths_that_only_look_alike_are_not_admin_paths(path: str) -> None:
    assert not is_admin_path(path)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_prefix_and_what_is_under_it_is_an_admin_path(prefix: str) -> None:
    assert is_admin_path(prefix) and is_admin_path(prefix + "/") and is_admin_path(prefix + "/x/y")
    assert is_admin_path("/" + prefix) and is_admin_path(prefix.replace("/", "//"))


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("/prefix/ui", "/prefix"),
        ("/prefix", "/prefix"),
        ("/prefixui", "/prefix"),
        ("/ui", "/prefix"),
        ("/prefix//ui", "/prefix"),
        ("/a/b/c", "/a/b"),
        ("/ui", ""),
        ("", ""),
    ],
)
def test_route_path_is_starlettes(path: str, root: str) -> None:
    scope = {"type": "http", "path": path, "root_path": root}
    assert route_path(scope) == get_route_path(scope)


def test_disabled_reads_the_switch_like_litellm() -> None:
    assert (
        disabled({"DISABLE_ADMIN_UI": "True"})
        and disabled({"DISABLE_ADMIN_UI": "true"})
        and disabled({"DISABLE_ADMIN_UI": "1"})
    )
    assert not disabled({"DISABLE_ADMIN_UI": "False"}) and not disabled({})


def test_mounted_once_and_only_when_the_ui_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    app = litellm_like()
    assert install(app) is True and install(app) is False
    assert call(app, "GET", "/ui/")[0] == 404
    other = litellm_like()
    monkeypatch.setattr(admin_guard, "proxy_app", lambda: other)
    monkeypatch.setenv("DISABLE_ADMIN_UI", "False")
    admin_guard.install_in_proxy()
    assert call(other, "GET", "/ui/")[0] == 200
    monkeypatch.setenv("DISABLE_ADMIN_UI", "True")
    admin_guard.install_in_proxy()
    assert call(other, "GET", "/ui/")[0] == 404
