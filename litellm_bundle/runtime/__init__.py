"""Runtime: the gateway run locally (above build; beside the import and LiteLLM's surface).

Real processes on this machine: the pinned proxy on a staged rendered environment with the hooks next
to it, the fake provider, Redis, PostgreSQL, Prometheus, haproxy and k6. Public interface:

- `processes`: process control with psutil (`spawn`, `stop_group`, `wait_port`, `wait_healthy`,
  `free_port`).
- `launch`: a rendered environment staged with the hooks (`stage_files`, `Staged`), the proxy's
  environment (`proxy_env`) and the starters (`start_proxy`, `start_fake_provider`, `start_redis`).
- `localenv`: the `.env` file (`ensure_env_file`, `read_env_file`, `local_secrets`).
- `postgres`: a private PostgreSQL (`Postgres`, `initialise`, `start`, `stop`, `prisma_env`).
- `local_prometheus`: a Prometheus with the bundle's alert rules (`write_files`, `start`, `PrometheusAPI`).
- `load_balancer`: haproxy in front of instances (`HAProxy`, `Server`).
- `redis_topology`: a Redis Cluster or a Sentinel group on loopback (`running` -> `Topology`: its
  `redis()` shape, `failover`, `kill`), for the tests.
- `stack`: `make up` / `make down` / `make logs` (`up`, `down`, `logs`; progress and the banner through
  the caller's `say`, failures as `StackError`).
- `boot_check`: `make check-config`, the pinned proxy booted on every rendered environment
  (`check_environments` -> a `Boot` per environment; `python -m litellm_bundle check-config`).
- `k6`: bounded k6 runs of scripts/load.js (`run` -> `LoadResult`); its variables (`load_env`) and path
  (`script`) for the callers that run k6 themselves (the benchmark, a background run).
- `metrics`: the proxy's /metrics/ answer read with prometheus_client's parser (`samples`, `total`).
- `access`: `reconcile` (`access plan|apply` as a `Result`: the plan, drift, what it refused) through
  `reconciler`, the gateway_access package loaded in this process; `access_import`: `run` (`access import`:
  a live proxy's users, teams and keys into access.yaml, adopted), `select` (which, pure) -> `Selection`.
- `live_drift`: `check` (`drift`: the running proxy against a rendered config.yaml, as a `Result` and its
  findings), `details` (them for JSON); the comparison in `drift_compare` (`find_drift`, `Finding`, `KINDS`).
- `migrations`: the database part of an upgrade on a private PostgreSQL (`database_upgrade_check` ->
  `DatabaseCheck`: its `findings`, `ok`, `summary` and `markdown`); `start_proxy` of a venv, migrating at
  start or not (`SCHEMA_UPDATE_SWITCH`, the chart's serving pods). Built on `migration_job` (one version's
  migrations run as the chart's Job runs them, `schema_diff`), `db_snapshot` (row counts, sampled rows,
  Prisma's ledger, `lost`, `ledger_problems`), `migrations_traffic` (what it sends through the proxy) and
  `migrations_result` (`DatabaseCheck`, `Finding`, `Probe`, the report section).
- `pod`: a workload's pod sandbox from the rendered manifests (`load`, `committed`, `PodSandbox`);
  `sandbox`: a command run in it with bubblewrap (`pod_command`, `available`, `terminate`) and the writes
  it was refused outside the emptyDirs (`writes_outside`).
"""
