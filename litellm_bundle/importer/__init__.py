"""Import: an existing LiteLLM config.yaml as bundle sources (beside the runtime and LiteLLM's surface).

`python -m litellm_bundle import CONFIG.yaml --into DIR` reads the config against the pinned LiteLLM's
types, applies what the bundle requires beyond LiteLLM, writes a complete config directory and its import
report, and proves the round trip before writing. Public interface:

- `convert`: `import_config` (-> `ImportResult`: the `Imported` sources with their `report`, or none and
  the problems located in CONFIG.yaml), `build`, `write_files`, `write`.
- `report`: `ImportReport` (its `changes`, each a `Change` with reason and source; `lines`, `markdown`,
  `data`), `REPORT_FILE`.
- `state`: `ImportState` (one import: the config read, references, changes), `import_validator`,
  `surface_sections` (the top-level sections the pinned LiteLLM reads).
- `adjust`: `normalize`, `adjust`: what the bundle requires beyond LiteLLM, applied to the config.
- `environments`: `policy_fixes` (-> `Fix`es): what each environment's policies require of its copy.
- `roundtrip`: `verify(original, rendered, changes)`, `apply`, `differences`, `shows`: a rendering against
  the original changed by exactly the listed changes.
- `code`: `collect` (-> `Brought`: the team's code the config names, for config/code/), `merged`,
  `code_files` (`import --code DIR`), `mount_paths` (relative file paths as the proxy has them).
"""
