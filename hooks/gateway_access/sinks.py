"""Where newly generated key values go, once: never into the repository or a log line. No default:
`apply` needs one named (--keys-to).

    - (or stdout)       NAME=value lines on standard output (the caller captures them)
    env-file:PATH       NAME=value lines written into a .env-style file (mode 0600, replaced atomically)
    k8s-secret:NAME     keys of a Kubernetes Secret in the pod's namespace (in-cluster service account)

NAME is LITELLM_KEY_<ALIAS> (upper case, '-' and '.' as '_') in files and on stdout, the alias in a Secret;
aliases that map to the same NAME (a-b, a.b, a_b) are refused, whatever the sink."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def variable(alias: str) -> str:
    return "LITELLM_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", alias).upper()


def variables(aliases: Iterable[str]) -> dict[str, str]:
    """alias -> variable name; ValueError naming the aliases that map to the same name."""
    names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for alias in sorted(aliases):
        name = variable(alias)
        if name in seen:
            raise ValueError(f"keys '{seen[name]}' and '{alias}' both map to {name}: rename one of them")
        names[alias], seen[name] = name, alias
    return names


def to_stdout(alias: str, value: str) -> None:
    print(f"{variable(alias)}={value}", file=sys.stdout, flush=True)


def to_env_file(path: Path) -> Callable[[str, str], None]:
    def write(alias: str, value: str) -> None:
        name = variable(alias)
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        lines = [line for line in lines if not line.startswith(f"{name}=")] + [f"{name}={value}"]
        # a fresh name, never an existing file or a link planted there; replaced into place in one step
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    return write


def to_kubernetes_secret(name: str, account: Path = SERVICE_ACCOUNT) -> Callable[[str, str], None]:
    """Merge keys into Secret `name` of the pod's namespace, creating it if needed (needs a Role that
    may get, create and patch that Secret). The service account is read when a value is written, so
    a sink that cannot work fails where a Kubernetes API refusal would: at delivery, which leaves the
    new key pending for the next run (plan.py)."""

    def request(method: str, path: str, body: dict[str, object], content_type: str) -> None:
        namespace = (account / "namespace").read_text().strip()
        token = (account / "token").read_text().strip()
        context = ssl.create_default_context(cafile=str(account / "ca.crt"))
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        req = urllib.request.Request(
            f"https://{host}:{port}/api/v1/namespaces/{namespace}/secrets{path}",
            method=method,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        )
        with urllib.request.urlopen(req, context=context, timeout=30):
            pass

    def write(alias: str, value: str) -> None:
        data = {alias: base64.b64encode(value.encode()).decode()}
        try:
            request("PATCH", f"/{name}", {"data": data}, "application/merge-patch+json")
        except urllib.error.HTTPError as exc:
            if exc.code != 404:
                raise
            request(
                "POST",
                "",
                {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": "Opaque", "data": data},
                "application/json",
            )

    return write


def sink(spec: str) -> Callable[[str, str], None]:
    """The sink a --keys-to option names."""
    kind, _, target = spec.partition(":")
    if kind in ("-", "stdout") and not target:
        return to_stdout
    if kind == "env-file" and target:
        return to_env_file(Path(target))
    if kind == "k8s-secret" and target:
        return to_kubernetes_secret(target)
    raise ValueError(f"--keys-to {spec!r}: expected -, env-file:PATH or k8s-secret:NAME")
