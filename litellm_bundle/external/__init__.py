"""External tools: helm, kubeconform and the security scanners, run as subprocesses (beside render).

The tools come from .tools/bin (`make setup`) or PATH; a missing one is `ToolMissing`. Public interface:

- `kube`: `helm_template` (the chart with an environment's values fed on stdin), `manifests`,
  `documents`, `kubeconform`, `server_validate` and `lint` (what `lint-k8s` runs, for every environment
  and chart scenario on every Kubernetes version), `tool`, `ToolMissing`.
- `scan`: `gitleaks` (history, sources and generated files) and `checkov` (the rendered manifests, with
  the waivers in policies/checkov-waivers.yaml), as located problems.
"""
