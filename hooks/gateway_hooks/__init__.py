"""Gateway hooks for the LiteLLM proxy: routing rules, request transforms, guardrails, observability.

Mounted next to the proxy's config.yaml (with the rendered hooks.json) and registered by the
rendered config as `gateway_hooks.entry.proxy_hooks` (callbacks) and
`gateway_hooks.entry.<Guardrail>` (guardrails). Depends only on what the official LiteLLM
image has: litellm, its dependencies, and the standard library. Never imports the bundle's tooling.
"""
