"""Where newly generated key values go, once: never into the repository or a log line.

    stdout              NAME=value lines on standard output (the caller captures them)
    env-file:PATH       NAME=value lines written into a .env-style file (mode 0600)
    k8s-secret:NAME     keys of a Kubernetes Secret in the pod's namespace (in-cluster service account)

NAME is LITELLM_KEY_<ALIAS> (upper case, '-' and '.' as '_') in files and on stdout, the alias in a Secret."""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def variable(alias: str) -> str:
    return "LITELLM_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", alias).upper()


def to_stdout(alias: str, value: str) -> None:
    print(f"{variable(alias)}={value}", file=sys.stdout, flush=True)


def to_env_file(path: Path) -> Callable[[str, str], None]:
    def write(alias: str, value: str) -> None:
        name = variable(alias)
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        lines = [line for line in lines if not line.startswith(f"{name}=")] + [f"{name}={value}"]
        fd = os.open(path.with_name(path.name + ".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.replace(path.with_name(path.name + ".tmp"), path)

    return write


def to_kubernetes_secret(name: str, account: Path = SERVICE_ACCOUNT) -> Callable[[str, str], None]:
    """Merge keys into Secret `name` of the pod's namespace, creating it if needed (needs a Role that
    may get, create and patch that Secret)."""
    namespace = (account / "namespace").read_text().strip()
    token = (account / "token").read_text().strip()
    context = ssl.create_default_context(cafile=str(account / "ca.crt"))
    host = os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    base = f"https://{host}:{port}/api/v1/namespaces/{namespace}/secrets"

    def request(method: str, url: str, body: dict[str, object], content_type: str) -> None:
        req = urllib.request.Request(
            url,
            method=method,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        )
        with urllib.request.urlopen(req, context=context, timeout=30):
            pass

    def write(alias: str, value: str) -> None:
        data = {alias: base64.b64encode(value.encode()).decode()}
        try:
            request("PATCH", f"{base}/{name}", {"data": data}, "application/merge-patch+json")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
            request(
                "POST",
                base,
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "data": data},
                "application/json",
            )

    return write


def sink(spec: str) -> Callable[[str, str], None]:
    """The sink a --keys-to option names."""
    kind, _, target = spec.partition(":")
    if kind == "stdout" and not target:
        return to_stdout
    if kind == "env-file" and target:
        return to_env_file(Path(target))
    if kind == "k8s-secret" and target:
        return to_kubernetes_secret(target)
    raise ValueError(f"--keys-to {spec!r}: expected stdout, env-file:PATH or k8s-secret:NAME")
