"""Upgrade: another LiteLLM version checked against this bundle before the pin moves (`make upgrade
TO=X.Y.Z`, docs/upgrading.md). Above the runtime, the import and LiteLLM's surface (it installs,
generates, validates, boots and benchmarks); beside the local Kubernetes; below the CLI. Public interface:

- `venv`: the target's own venv beside the tooling's (`ensure` -> `Venv`, or `Unresolvable` when the
  package index does not serve a requirement: `unresolvable` reads pip's words), `generate_surface`.
- `usage`: the keys, names and secret names the sources (and the rendered configs) take from LiteLLM's
  surface, each at its file:line (`source_usage`, `rendered_usage`, `combined` -> `Usage`).
- `surface_diff`: one version's surface against another's where the sources use it (`surface_diff` ->
  `SurfaceDiff` of `Finding`s: removed, renamed, retyped, secret changes, dropped names; new keys).
- `steps`: each check on the target (`surface`, `validate`, `boot`, `database`, `tests`, `bench`) as an
  `Outcome`: status, summary, markdown.
- `run`: the checks in order, each skippable and timed (`options` -> `Options`, `run` -> `Upgrade` with
  its `verdict`).
- `report`: the markdown report for the pull request (`markdown`) and the printed lines (`short`).
"""
