"""The CustomLogger registered in litellm_settings.callbacks: transforms, then routing, then headers."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from gateway_hooks import observability as obs
from gateway_hooks import rights, settings
from gateway_hooks.routing import API_OF_CALL, Decision, Router
from gateway_hooks.transforms import Pipeline, TransformFailed

# a name the hooks once kept their decision under in the request metadata: a client's value is dropped
ROUTE_KEY = "gateway_route"
# the proxy's per-request object, present in the data of both hooks and never built from client input
_REQUEST_KEY = "litellm_logging_obj"

MayUse = Callable[[str, Any], Awaitable[bool]]


def _call_type(call_type: Any) -> str:
    return str(getattr(call_type, "value", call_type))


class GatewayHooks(CustomLogger):
    def __init__(self, config: dict[str, Any], may_use: MayUse = rights.may_use):
        super().__init__()
        self.config = config
        self.router = Router(config["routing"])
        self.pipeline = Pipeline(config["transforms"])
        self.modes = {name: spec["mode"] for name, spec in config["routing"]["model_groups"].items()}
        self.may_use = may_use
        # decisions by the proxy's request object: nothing a client sends can write or name an entry,
        # and an entry goes when its request does
        self.decisions: weakref.WeakKeyDictionary[Any, Decision] = weakref.WeakKeyDictionary()

    @classmethod
    def from_default_location(cls) -> GatewayHooks:
        return cls(settings.load())

    async def route(self, data: dict[str, Any], api: str = "chat", key: Any = None) -> Decision:
        """The rule's decision, kept only when it stays in the requested group's mode and the key may
        use the target (LiteLLM checked the requested group at auth, not the rule's)."""
        decision = self.router.decide(data, api)
        if not decision.rerouted:
            return decision
        if self.modes.get(decision.requested, "chat") != self.modes.get(decision.target, "chat"):
            return decision.skip("mode")
        if not await self.may_use(decision.target, key):
            return decision.skip("rights")
        return decision

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        started = obs.monotonic()
        try:
            return await self._pre_call(data, _call_type(call_type), user_api_key_dict)
        finally:
            obs.HOOK_SECONDS.labels("pre_call").observe(obs.monotonic() - started)

    async def _pre_call(self, data: dict[str, Any], call_type: str, key: Any) -> dict[str, Any]:
        for bucket in ("metadata", "litellm_metadata"):
            if isinstance(data.get(bucket), dict):
                data[bucket].pop(ROUTE_KEY, None)
        api = API_OF_CALL.get(call_type)
        try:
            data, failed = self.pipeline.apply(data, api)
        except TransformFailed as exc:
            raise HTTPException(status_code=500, detail={"error": str(exc), "transform": exc.name}) from exc
        if api is None:
            return data
        try:
            decision = await self.route(data, api, key)
        except Exception as exc:
            obs.HOOK_ERRORS.labels("routing").inc()
            obs.event("route_error", logging.WARNING, error=type(exc).__name__, model=data.get("model"))
            return data
        if decision.rerouted:
            data["model"] = decision.target
        label = decision.label or "none"
        obs.ROUTE_DECISIONS.labels(label, decision.rule).inc()
        if decision.skipped:
            obs.ROUTE_SKIPPED.labels(decision.rule, decision.skipped).inc()
        obs.event(
            "route",
            api=api,
            rule=decision.rule,
            label=label,
            requested=decision.requested,
            target=decision.target,
            skipped=decision.skipped,
            call_id=data.get("litellm_call_id"),
            failed_transforms=failed or None,
        )
        self._remember(data, decision)
        return data

    def _remember(self, data: dict[str, Any], decision: Decision) -> None:
        request = data.get(_REQUEST_KEY)
        if request is None:
            return
        try:
            self.decisions[request] = decision
        except TypeError:  # not weakly referenceable: no headers for this request
            obs.HOOK_ERRORS.labels("headers").inc()

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        try:
            request = data.get(_REQUEST_KEY) if isinstance(data, dict) else None
            decision = self.decisions.get(request) if request is not None else None
            if decision is None:
                return None
            headers = {
                "x-route-label": decision.label or "none",
                "x-route-rule": decision.rule,
                "x-route-requested-model": decision.requested,
            }
            if decision.skipped:
                headers["x-route-skipped"] = decision.skipped
            return headers
        except Exception as exc:  # after the provider call: a response is never lost to its headers
            obs.HOOK_ERRORS.labels("headers").inc()
            obs.event("route_headers_error", logging.WARNING, error=type(exc).__name__)
            return None
