"""A bundle tree: where the sources, policies, chart and hooks of one bundle live, and where its
generated files go. Every command works on one BundleTree; no module knows a path of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from litellm_bundle.core.facts import CHART, HOOKS_PACKAGE

VERSION_FILE = "LITELLM_VERSION"
CONSTRAINTS_FILE = "constraints.txt"  # what the tooling and LiteLLM pull in, pinned (`make lock`)


class TreeError(Exception):
    """The directories given do not form a bundle tree (a usage error)."""


@dataclass(frozen=True)
class BundleTree:
    """root: policies, chart, hooks, LITELLM_VERSION; config_dir: the YAML sources (default
    root/config); out_dir: where generated files are written (default root); tools_dir: helm,
    kubeconform and caches (default root/.tools; a tree extracted from a git ref borrows the
    working tree's)."""

    root: Path
    config_dir: Path = field(default=Path())
    out_dir: Path = field(default=Path())
    tools_dir: Path = field(default=Path())

    @classmethod
    def at(
        cls, root: Path, config_dir: Path | None = None, out_dir: Path | None = None, tools_dir: Path | None = None
    ) -> BundleTree:
        root = root.resolve()
        if not (root / VERSION_FILE).is_file() or not (root / "policies").is_dir():
            raise TreeError(f"{root} is not a bundle tree (needs {VERSION_FILE} and policies/); pass --root DIR")
        config = (config_dir or root / "config").resolve()
        if not config.is_dir():
            raise TreeError(f"config directory {config} does not exist")
        return cls(root, config, (out_dir or root).resolve(), (tools_dir or root / ".tools").resolve())

    # sources
    @property
    def environments_dir(self) -> Path:
        return self.config_dir / "environments"

    @property
    def code_dir(self) -> Path:
        """The team's own Python modules and files (callbacks, guardrails, custom auth, custom providers,
        prompt directories), mounted next to the rendered config.yaml in every target."""
        return self.config_dir / "code"

    # policies (data)
    @property
    def policies_dir(self) -> Path:
        return self.root / "policies"

    @property
    def schemas_dir(self) -> Path:
        return self.policies_dir / "schemas"

    @property
    def env_policies_dir(self) -> Path:
        return self.policies_dir / "environments"

    @property
    def litellm_schemas_dir(self) -> Path:
        """LiteLLM's configuration surface for the pinned version (`make litellm-schema`)."""
        return self.policies_dir / "litellm" / self.pinned_version()

    @property
    def secret_patterns_file(self) -> Path:
        return self.policies_dir / "secret_patterns.json"

    @property
    def compose_spec_file(self) -> Path:
        return self.policies_dir / "external" / "compose-spec.json"

    # what runs locally
    @property
    def run_dir(self) -> Path:
        """The local stack's state (pid files, logs, the staged config) and, under cluster/, the local
        Kubernetes'; `--state-dir` overrides it."""
        return self.root / ".run"

    @property
    def env_file(self) -> Path:
        """The local stack's environment file (created from the generated .env.example)."""
        return self.root / ".env"

    # what runs
    @property
    def chart_dir(self) -> Path:
        return self.root / "helm" / CHART

    @property
    def alerts_file(self) -> Path:
        """The gateway's alert rules (one source for the chart, the local Prometheus and the tests)."""
        return self.chart_dir / "files" / "alerts.yaml"

    @property
    def slo_dir(self) -> Path:
        """The SLIs (slis.yaml) and Sloth's rules per environment (rules/<env>.yaml, `make slo`)."""
        return self.policies_dir / "slo"

    @property
    def dashboards_dir(self) -> Path:
        """Grafana dashboards the chart ships (and Compose's Grafana mounts)."""
        return self.chart_dir / "files" / "dashboards"

    @property
    def crd_schemas_dir(self) -> Path:
        return self.root / "helm" / "crd-schemas"

    @property
    def hooks_package(self) -> Path:
        return self.root / "hooks" / HOOKS_PACKAGE

    @property
    def fake_provider(self) -> Path:
        return self.root / "fake_provider" / "fake_provider.py"

    def litellm_surface_dir(self, version: str) -> Path:
        """LiteLLM's configuration surface of one version (policies/litellm/<version>/)."""
        return self.policies_dir / "litellm" / version

    def litellm_venv(self, version: str) -> Path:
        """A virtual environment with `litellm[proxy]==version` and the bundle beside the tooling's .venv
        (`make upgrade`, the proxy-facing tests of another version in use): tools_dir/litellm/<version>."""
        return self.tools_dir / "litellm" / version

    def constraints(self) -> Path:
        """pip's constraints for every venv that runs LiteLLM here: the transitive dependencies pinned."""
        return self.root / CONSTRAINTS_FILE

    def pinned_version(self) -> str:
        """The one pinned LiteLLM version: pip package and image tag."""
        return (self.root / VERSION_FILE).read_text(encoding="utf-8").strip()

    def shown(self, path: Path) -> str:
        """A path as messages show it: relative to the root, else to the working directory, else absolute."""
        resolved = path.resolve() if path.is_absolute() or path.exists() else (Path.cwd() / path)
        for base in (self.root, Path.cwd().resolve()):
            try:
                return str(resolved.relative_to(base))
            except ValueError:
                continue
        return str(resolved)


def find_root(start: Path) -> Path:
    """The nearest directory at or above `start` that holds a bundle (LITELLM_VERSION and policies/)."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / VERSION_FILE).is_file() and (candidate / "policies").is_dir():
            return candidate
    raise TreeError(f"no bundle tree at or above {start} (needs {VERSION_FILE} and policies/); pass --root DIR")
