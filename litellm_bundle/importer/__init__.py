"""Import: an existing LiteLLM config.yaml as bundle sources (beside the runtime and LiteLLM's surface).

`python -m litellm_bundle import CONFIG.yaml --into DIR` reads the config against the pinned LiteLLM's
types, writes a complete config directory, and proves the round trip before writing. Public interface:

- `convert`: `import_config` (-> `ImportResult`: the `Imported` sources, or none and the problems located
  in CONFIG.yaml), `write_files`, `write`.
- `roundtrip`: `differences(original, rendered)`, whether a rendered config is the same configuration
  as the original.
"""
