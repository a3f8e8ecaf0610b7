"""Model: the configuration as loaded, per environment (load, above policy).

The sources of config/ become one config set with positions; an environment's overlay merged in gives
its effective configuration, from which its sizing, shutdown timing and teams and keys are derived.
Checks, renderers and the import read the configuration through this layer. Public interface:

- `configset`: `load_config_set(tree, environments)` -> `ConfigSet` (every source with its YAML
  document; `with_schema_defaults` once schema-valid), `as_map`/`as_list` (shape-safe reads), `schema_name`.
- `effective`: `effective_config(config_set, env)` -> `EffectiveConfig` (merged values, enabled model
  groups and guardrails, and where each value came from).
- `access`: the teams and virtual keys one environment has (`declared`, `metrics_scraper`,
  `scrapes_with_a_key`).
- `team_code`: `load(tree)` -> `TeamCode`, the team's own code (config/code/) as shipped next to config.yaml.
- `sizing`: the pod's shape derived from `sizing: {pod_rps, worker_rps}` (`derive`, `apply`,
  `conflicts`, `explain`).
- `versions`: the LiteLLM version each environment runs (`env_version`, `versions_in_use`, `version_key`).
- `shutdown`: `timing`, the preStop sleep, grace period and rollout derived from the stream timeout.
- `redis_settings`: the environment's `redis:` shape (single node, Redis Cluster, Sentinel group) in
  LiteLLM's settings (`shape`, `router_settings`, `coordination`, `cache_params`, `clients_per_worker`).
- `egress`: where the gateway's traffic goes (`destinations`: every api_base, callback endpoint, Redis and
  database address, classified by its host), the NetworkPolicy values that let it through
  (`policy_values`, `public_block`) and what cannot be known (`unknown_notes`).
"""
