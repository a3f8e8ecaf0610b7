"""May the key behind a request use a model group? LiteLLM's own model-access checks, reused.

LiteLLM checks model access at auth, against the model the client asked for; a routing rule then
picks another group. Before the hooks move a request there, `may_use` asks the question LiteLLM asks
before a router fallback (`litellm.proxy.auth.fallback_model_access.is_model_authorized_for_token`:
the key's models, access groups and `all-team-models`, its team's models and the member's own scope,
the project, the end user), plus the check auth makes for a personal key's owner
(`can_user_call_model`). The lookups go through LiteLLM's caches, which auth has just filled; a
lookup that fails answers no (the request stays on the group the client asked for).
"""

from __future__ import annotations

import logging
from typing import Any

from gateway_hooks import observability as obs


def _aliased_away(key: Any, model: str) -> bool:
    """A key alias applies before the hooks run: the rule's group would bypass it, so it is not used."""
    aliases = getattr(key, "aliases", None)
    return isinstance(aliases, dict) and model in aliases and aliases[model] != model


async def _owner_may_use(model: str, key: Any, proxy: Any, router: Any) -> bool:
    """A personal key (no team) is also bounded by its user's models, as auth's common checks do."""
    from litellm.proxy._types import LitellmUserRoles  # noqa: PLC0415  (the proxy's modules, loaded on use)
    from litellm.proxy.auth.auth_checks import can_user_call_model, get_user_object  # noqa: PLC0415

    if key.team_id is not None or key.user_id is None or key.user_role == LitellmUserRoles.PROXY_ADMIN:
        return True
    if proxy.prisma_client is None:
        return True
    try:
        user = await get_user_object(
            user_id=key.user_id,
            prisma_client=proxy.prisma_client,
            user_api_key_cache=proxy.user_api_key_cache,
            user_id_upsert=False,
            parent_otel_span=key.parent_otel_span,
            proxy_logging_obj=proxy.proxy_logging_obj,
        )
    except Exception:
        user = None  # as auth: a user that cannot be read imposes no list of its own
    try:
        await can_user_call_model(model=model, llm_router=router, user_object=user)
    except Exception:
        return False
    return True


async def may_use(model: str, key: Any) -> bool:
    """True when `key` (the proxy's UserAPIKeyAuth; None outside the proxy) may call model group `model`."""
    if key is None:
        return True
    try:
        if _aliased_away(key, model):
            return False
        from litellm.proxy import proxy_server  # noqa: PLC0415  (already loaded inside the proxy)
        from litellm.proxy.auth.fallback_model_access import is_model_authorized_for_token  # noqa: PLC0415

        router = proxy_server.llm_router
        if not await is_model_authorized_for_token(model=model, valid_token=key, llm_router=router):
            return False
        return await _owner_may_use(model, key, proxy_server, router)
    except Exception as exc:
        obs.HOOK_ERRORS.labels("route_rights").inc()
        obs.event("route_rights_error", logging.WARNING, model=model, error=type(exc).__name__)
        return False
