"""Render: the configuration of an environment turned into the files that run it (render, beside external).

Pure functions from the model (and the policies) to text; nothing here writes a file or runs a tool.
`build.generate` calls them for every output. Public interface:

- `environment`: `render_all(config_set, policies)` / `render_environment` -> LiteLLM's `config.yaml`,
  `hooks.json`, the chart's `values.yaml` and `secrets.md` of one environment; `litellm_config`.
- `access_json`: `access.json`, the teams and keys the access reconciler applies.
- `compose`: the Docker Compose stack (`compose_files`, `STACK_ENV`).
- `env_example`: the local stack's `.env` contract and `.env.example` (`env_example`, its settings).
- `prometheus_config`: `prometheus.yml` of a Compose or local Prometheus (`config_text`).
- `alerts`: the alert rules from the chart's `files/alerts.yaml` as Prometheus rule groups (`groups`,
  `rules_file`).
- `slo`: an environment's `slo:` as a Sloth spec (`spec`), Sloth's committed rules as rule groups
  (`rule_groups`).
- `proxy_args`: a rendered values.yaml's `proxy` section as the proxy's arguments and environment, as
  the chart's Deployment does (`proxy_options`, `surface_env`).
- `reference`: `config_reference`, docs/config-reference.md from the schemas.
"""
