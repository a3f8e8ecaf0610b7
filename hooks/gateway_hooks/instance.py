"""The one GatewayHooks object of this process, created on first use from hooks.json."""

from __future__ import annotations

from gateway_hooks.proxy import GatewayHooks

_hooks: GatewayHooks | None = None


def proxy_hooks() -> GatewayHooks:
    global _hooks
    if _hooks is None:
        _hooks = GatewayHooks.from_default_location()
    return _hooks
