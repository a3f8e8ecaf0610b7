"""A real Prometheus next to a local gateway: its configuration (shared with the Compose stack), the
Debian `prometheus` binary started natively with the bundle's alert rules, and its HTTP API."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm_bundle.render.prometheus_config import CONFIG_FILE, RULES_FILE, config_text
from litellm_bundle.runtime import processes


def binary() -> str | None:
    """Debian's prometheus (apt-get install prometheus), or None."""
    return shutil.which("prometheus")


@dataclass
class Files:
    config: Path
    rules: Path
    data: Path


def write_files(directory: Path, targets: list[str], rules_text: str, **intervals: str) -> Files:
    """<dir>/prometheus.yml, <dir>/alerts.yml and an empty <dir>/data for one local Prometheus."""
    directory.mkdir(parents=True, exist_ok=True)
    rules = directory / RULES_FILE
    rules.write_text(rules_text, encoding="utf-8")
    conf = directory / CONFIG_FILE
    conf.write_text(
        config_text(targets, [str(rules)], "Local Prometheus for the gateway (written at start).", **intervals),
        encoding="utf-8",
    )
    data = directory / "data"
    if data.exists():
        shutil.rmtree(data)
    return Files(conf, rules, data)


def start(files: Files, port: int, log: Path, executable: str | None = None) -> subprocess.Popen[bytes]:
    """Prometheus on 127.0.0.1:port with a throwaway TSDB; raises RuntimeError when it is not installed."""
    found = executable or binary()
    if found is None:
        raise RuntimeError("prometheus is not installed (apt-get install prometheus)")
    cmd = [
        found,
        f"--config.file={files.config}",
        f"--storage.tsdb.path={files.data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=1d",
    ]
    return processes.spawn(cmd, log)


def wait_ready(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, log: Path | None = None) -> None:
    processes.wait_healthy(f"http://127.0.0.1:{port}/-/ready", timeout, proc, log)


class PrometheusAPI:
    """The few HTTP API calls the tests and `make up` need."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def _get(self, path: str, **params: str) -> Any:
        import httpx  # noqa: PLC0415  (a runtime dependency; the CLI imports this module without it)

        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        body = response.json()
        if body.get("status") != "success":
            raise RuntimeError(f"prometheus {path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query: the result vector (a query that does not parse raises RuntimeError)."""
        data = self._get("/api/v1/query", query=expr)
        return list(data["result"]) if data["resultType"] == "vector" else [{"metric": {}, "value": data["result"]}]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/alerts")["alerts"])

    def rules(self) -> list[dict[str, Any]]:
        return [rule for group in self._get("/api/v1/rules")["groups"] for rule in group["rules"]]

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/targets")["activeTargets"])
