"""Where things live in the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "config"
ENVIRONMENTS_DIR = CONFIG_DIR / "environments"
POLICIES_DIR = ROOT / "policies"
SCHEMAS_DIR = POLICIES_DIR / "schemas"
ENV_POLICIES_DIR = POLICIES_DIR / "environments"
SECRET_PATTERNS_FILE = POLICIES_DIR / "secret_patterns.json"
RENDERED_DIR = ROOT / "rendered"
VERSION_FILE = ROOT / "LITELLM_VERSION"
HOOKS_DIR = ROOT / "hooks"

ENVIRONMENTS = ("dev", "staging", "prod")

# config file stem -> schema file (environments are handled separately)
CONFIG_FILES = {
    "models": "models.schema.json",
    "routing": "routing.schema.json",
    "guardrails": "guardrails.schema.json",
    "transforms": "transforms.schema.json",
    "secrets": "secrets.schema.json",
}
ENVIRONMENT_SCHEMA = "environment.schema.json"


def rel(path: Path, root: Path = ROOT) -> str:
    """Path as shown in messages: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def pinned_litellm_version(root: Path = ROOT) -> str:
    """The one pinned LiteLLM version: pip package and image tag."""
    return (root / "LITELLM_VERSION").read_text(encoding="utf-8").strip()
