"""Checks: everything `validate` finds, and the validation pipeline itself (check, above model).

Each check module reads the model and returns located problems; `validate` runs them in stages
(literal secrets -> JSON Schema -> cross-references and what rendering and running need -> environment
policies) and settles the result (each problem once, causes first). Public interface:

- `validate`: `run(policies, envs)` -> `Result` (the config set and its settled problems), `validate`.
- `secret_scan`: no literal secret anywhere in the sources (`scan`, `matches`).
- `references`: names that must exist in another file, cycles (`find_cycle`), secret references and
  their sources per environment.
- `runnable`: what the renderer, Kubernetes and the proxy need, and configuration that can never take
  effect (warnings); `covers`.
- `litellm_settings`: LiteLLM's own settings (callbacks, guardrail classes, secrets by LiteLLM's
  sensitive-key rule: `sensitive`).
- `chart_env`: no environment sets a variable the chart's Deployment sets itself (`check_chart_env`,
  `chart_env`: the names, from the chart's values.schema.json).
- `access`: the teams and keys of an environment, the ServiceMonitor's key, the database connections.
- `network`: what the NetworkPolicy derived from the sources would block (`check_egress`).
- `redis_pool`: every worker's Redis pools at the most replicas within the servers' maxclients
  (`check_redis_connections`).
- `hooks_index`: `HooksIndex`, what the hooks package defines, read statically (the tooling never
  imports the hooks); `ModuleIndex` (the modules of one directory), `Resolver`.
- `team_code`: `CodePaths`, every dotted path and file LiteLLM's settings name resolved against the hooks,
  the team's code (config/code/) and LiteLLM's package (`code_paths`, `check_team_code`, `check_loaded_code`).
- `dashboards`: the chart's Grafana dashboards: their queries (`queries`, `concrete`) and a lint.
- `versions`: each environment's LiteLLM version has a committed surface and follows promotion order
  (`check_versions`; `surfaces_to_check`, `only_in_version` for the schema pass per version in use).
- `waivers`: config/waivers.yaml, problems accepted by check id (`apply`, `matches`).
"""
