"""`drift --url URL --env ENV`: the running proxy read through its management API (its master key, the
variable the rendered config's `general_settings.master_key` names) and compared with the environment's
rendered config.yaml (drift_compare), as a result the CLI reports: one note per difference at its place
in the render, drift when there is any. A proxy that cannot be reached or refuses the key raises
RuntimeError with what to check (docs/operations.md, "Live drift")."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from litellm_bundle.core.facts import RENDERED_AREA
from litellm_bundle.core.problems import Result
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import YamlDocument, load_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.runtime.drift_compare import (
    Finding,
    LiveState,
    callbacks_from,
    find_drift,
    models_from,
    settings_from,
)

# the management endpoints read (LiteLLM's, proxy_server.py and management_endpoints/ of the pinned version)
MODELS = "/model/info"
GENERAL_SETTINGS = "/config/list?config_type=general_settings"
ROUTER_SETTINGS = "/router/settings"
CALLBACKS = "/get/config/callbacks"
NO_DATABASE = "DB not connected"  # how /config/list answers without a database (CommonProxyErrors)
TIMEOUT = 30.0


class Proxy:
    """GET requests to one proxy with its master key; every failure a RuntimeError that says what to check."""

    def __init__(self, url: str, master_key: str, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self.key = master_key
        self.timeout = timeout

    def get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")[:300]
            if exc.code in (401, 403):
                raise RuntimeError(
                    f"the proxy at {self.url} refused the master key ({exc.code} on {path}): {body}"
                ) from exc
            raise ProxyAnswer(exc.code, f"{self.url}{path}", body) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(f"cannot reach the proxy at {self.url} ({reason})") from exc
        except json.JSONDecodeError as exc:
            raise RuntimeError(f"{self.url}{path} did not answer JSON: is {self.url} a LiteLLM proxy?") from exc


class ProxyAnswer(RuntimeError):
    def __init__(self, status: int, where: str, body: str):
        super().__init__(f"{where} answered {status}: {body}")
        self.status = status
        self.body = body


def read_live(proxy: Proxy, general_keys: frozenset[str]) -> tuple[LiveState, list[str]]:
    """The proxy's deployments, settings and callbacks; notes on what it could not tell."""
    notes = []
    models = models_from(proxy.get(MODELS))
    try:
        config_list: Any = proxy.get(GENERAL_SETTINGS)
    except ProxyAnswer as exc:
        if NO_DATABASE not in exc.body:
            raise
        notes.append("the proxy has no database: no setting can have changed at runtime; general_settings not read")
        config_list = []
    settings = settings_from(config_list, proxy.get(ROUTER_SETTINGS), general_keys)
    return LiveState(models, settings, callbacks_from(proxy.get(CALLBACKS))), notes


def http_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def rendered_config(tree: BundleTree, env: str) -> Path:
    return tree.out_dir / RENDERED_AREA / env / "config.yaml"


def check(
    tree: BundleTree, policies: Policies, url: str, environ: Mapping[str, str], config: Path
) -> tuple[Result, list[Finding], YamlDocument]:
    """The proxy at `url` against the rendered `config` (rendered/<env>/config.yaml, or a staged copy)."""
    if not http_url(url):
        raise ValueError(f"{url} is not an http(s) URL")
    doc, problems = load_yaml(config, tree.shown(config))
    if doc is None or not isinstance(doc.data, dict):
        raise RuntimeError(f"{tree.shown(config)} is not a rendered config: {'; '.join(map(str, problems))}")
    reference = str((doc.data.get("general_settings") or {}).get("master_key", ""))
    named = policies.env_ref.fullmatch(reference)
    if named is None:
        raise RuntimeError(f"{doc.file}: general_settings.master_key is not an os.environ/NAME reference")
    master_key = environ.get(named.group(1))
    if not master_key:
        raise RuntimeError(f"${named.group(1)} is not set (the proxy's master key, as {doc.file} names it)")
    schema = policies.litellm_schemas.get("general_settings.schema.json", {})
    live, notes = read_live(Proxy(url, master_key), frozenset(schema.get("properties", {})))
    findings = find_drift(doc.data, live, policies.env_ref)
    lines = [f"{doc.locate(f.path)}: {f.message} [{f.kind}]" for f in findings]
    return Result(notes=[*notes, *lines], drift=bool(findings)), findings, doc


def details(findings: list[Finding], doc: YamlDocument, url: str) -> dict[str, Any]:
    """The findings for --format json."""
    located = []
    for finding in findings:
        where = doc.locate(finding.path)
        data = {k: v for k, v in asdict(finding).items() if k != "path"}
        located.append({**data, "file": where.file, "line": where.line})
    return {"url": url, "rendered": doc.file, "findings": located}
