"""Policy: the bundle's policy data, the registry of checks and JSON-Schema checking (above core).

The sources are checked against data, not code: the JSON Schemas, the environment policies, the secret
detectors under policies/, and the registry of checks beside this module. Public interface:

- `policies`: `Policies(tree)` loads each policy file once per run (source schemas and their `$ref`
  registry, `hooks.json`'s schema, environment policies, secret detectors, the environments, the
  `os.environ/NAME` pattern, LiteLLM's surface for the pinned version); `PolicyError`, `HOOKS_SCHEMA`.
- `schemas`: `check`, JSON Schema (draft 2020-12) validation with located
  messages that say what is wrong and what is allowed.
- `schema_defaults`: `with_defaults`, the schemas' `default`s filled into a valid instance (defaults
  are stated in the schemas only).
- `registry`: the registry of checks (checks.yaml here, package data): `load()` -> `Registry` (every
  check by its stable id: severity, stage, command, waivable), `markdown`/`with_table` (the table of
  docs/validation.md).
"""
