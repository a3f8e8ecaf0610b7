"""LiteLLM's surface: JSON Schemas of LiteLLM's configuration, derived from the installed, pinned litellm.

Beside the runtime and the import (it needs litellm installed; nothing below imports it). Its output,
policies/litellm/<LITELLM_VERSION>/, is policy data the checks and the import read through
`policy.policies`. Public interface:

- `generator`: `generate` (the schemas in memory), `stale` (which committed ones differ; a test fails
  when any does), `write` (`make litellm-schema`: `python -m litellm_bundle litellm-schema`).
"""
