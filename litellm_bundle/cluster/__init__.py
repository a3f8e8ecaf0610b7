"""Cluster: a real local Kubernetes control plane for `helm install` tests (above the runtime).

etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok's fake nodes, built from pinned
Go modules (tools/kube/build.sh). Public interface:

- `control_plane`: `ControlPlane` (`start`, `stop`), `FAIL_ANNOTATION` (the versions it runs:
  `core.facts.CONTROL_PLANE_VERSIONS`); `build`, `up` -> `Up`, `down` -> `Down` for
  `python -m litellm_bundle cluster build|up|down` (`make cluster-up`).
- `crds`: the pinned CustomResourceDefinitions of the chart's optional objects (`crd_files`, `install`).
"""
