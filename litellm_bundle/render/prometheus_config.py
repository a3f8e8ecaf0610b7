"""prometheus.yml of a local or Compose Prometheus next to the gateway: the scrape job the alerts
select and the rule files."""

from __future__ import annotations

from typing import Any

from litellm_bundle.core.facts import METRICS_PATH
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.render import alerts

# the version the native stack and the tests run (Debian bookworm's package); Compose runs the same one
VERSION = "2.42.0"
IMAGE = f"prom/prometheus:v{VERSION}"
CONFIG_FILE = "prometheus.yml"
RULES_FILE = "alerts.yml"


def config(
    targets: list[str], rule_files: list[str], scrape_interval: str = "15s", evaluation_interval: str = "15s"
) -> dict[str, Any]:
    """prometheus.yml: the gateway's targets under the scrape job the alerts select, and the rule files."""
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
        "rule_files": rule_files,
        "scrape_configs": [
            {
                "job_name": alerts.LOCAL_JOB,
                "metrics_path": METRICS_PATH,
                "scrape_interval": scrape_interval,
                "static_configs": [{"targets": targets}],
            }
        ],
    }


def config_text(targets: list[str], rule_files: list[str], comment: str, **intervals: str) -> str:
    return f"# {comment}\n" + dump_yaml(config(targets, rule_files, **intervals))
