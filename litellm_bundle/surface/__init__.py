"""LiteLLM's surface: JSON Schemas of LiteLLM's configuration, derived from the installed litellm.

Beside the runtime and the import (it needs litellm installed; nothing below imports it). Its output,
policies/litellm/<version>/, is policy data the checks and the import read through `policy.policies`.
Public interface:

- `generator`: `generate` (the schemas in memory; for the pinned version, or any installed one),
  `stale` (which committed ones differ; a test fails when any does), `write` (`make litellm-schema`:
  `python -m litellm_bundle litellm-schema [--out DIR]`), `installed_version`.

Its modules: `convert` (type hints as JSON Schema), `reads` (what LiteLLM's code reads, statically),
`settings` (the settings sections, secrets), `integrations` (guardrail integrations, callback settings),
`proxy_sections` (every other top-level section, the whole config).
"""
