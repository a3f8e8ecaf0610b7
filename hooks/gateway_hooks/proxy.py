"""The CustomLogger registered in litellm_settings.callbacks: transforms, then routing, then headers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from gateway_hooks import observability as obs
from gateway_hooks import settings
from gateway_hooks.routing import Decision, Router
from gateway_hooks.transforms import Pipeline, TransformFailed

CHAT_CALLS = frozenset({"completion", "acompletion"})
ROUTE_KEY = "gateway_route"  # in data["metadata"]: the decision, for headers and logs


class GatewayHooks(CustomLogger):
    def __init__(self, config: dict[str, Any]):
        super().__init__()
        self.config = config
        self.router = Router(config["routing"])
        self.pipeline = Pipeline(config["transforms"])
        self.modes = {name: spec["mode"] for name, spec in config["routing"]["model_groups"].items()}

    @classmethod
    def from_default_location(cls) -> GatewayHooks:
        return cls(settings.load())

    def route(self, data: dict[str, Any]) -> Decision:
        decision = self.router.decide(data)
        if decision.rerouted and self.modes.get(decision.requested, "chat") != self.modes.get(decision.target, "chat"):
            decision = Decision(decision.rule, decision.label, decision.requested, decision.requested)
        return decision

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        started = obs.monotonic()
        try:
            return self._pre_call(data, call_type)
        finally:
            obs.HOOK_SECONDS.labels("pre_call").observe(obs.monotonic() - started)

    def _pre_call(self, data: dict[str, Any], call_type: Any) -> dict[str, Any]:
        try:
            data, failed = self.pipeline.apply(data)
        except TransformFailed as exc:
            raise HTTPException(status_code=500, detail={"error": str(exc), "transform": exc.name}) from exc
        if str(call_type) not in CHAT_CALLS:
            return data
        try:
            decision = self.route(data)
        except Exception as exc:
            obs.HOOK_ERRORS.labels("routing").inc()
            obs.event("route_error", logging.WARNING, error=type(exc).__name__, model=data.get("model"))
            return data
        if decision.rerouted:
            data["model"] = decision.target
        label = decision.label or "none"
        obs.ROUTE_DECISIONS.labels(label, decision.rule).inc()
        obs.event(
            "route",
            rule=decision.rule,
            label=label,
            requested=decision.requested,
            target=decision.target,
            call_id=data.get("litellm_call_id"),
            failed_transforms=failed or None,
        )
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = data["metadata"] = {}
        metadata[ROUTE_KEY] = {
            "label": label,
            "rule": decision.rule,
            "requested": decision.requested,
            "target": decision.target,
        }
        return data

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        route = ((data or {}).get("metadata") or {}).get(ROUTE_KEY)
        if not isinstance(route, dict):
            return None
        return {
            "x-route-label": str(route["label"]),
            "x-route-rule": str(route["rule"]),
            "x-route-requested-model": str(route["requested"]),
        }
