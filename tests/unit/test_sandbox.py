"""runtime/pod.py and runtime/sandbox.py: a workload's pod sandbox derived from the rendered manifests, and a
command run in it with bubblewrap (the chart's uid, read-only root, only the emptyDirs writable)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.facts import RENDERED_AREA
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import pod, sandbox
from tests.helpers import checkout_tree

TREE = checkout_tree()
PROD = TREE.out_dir / "k8s" / "prod" / pod.MANIFESTS


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")) if d]


def with_empty_dir(tmp_path: Path, mount: str) -> Path:
    """prod's manifests with one more emptyDir mounted at `mount` in the Deployment's litellm container."""
    docs = documents(PROD)
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    spec["volumes"].append({"name": "extra", "emptyDir": {}})
    next(c for c in spec["containers"] if c["name"] == "litellm")["volumeMounts"].append(
        {"name": "extra", "mountPath": mount}
    )
    out = tmp_path / "manifests.yaml"
    out.write_text("---\n".join(dump_yaml(d) for d in docs), encoding="utf-8")
    return out


def run(wrapped: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wrapped, capture_output=True, text=True, timeout=60)


def in_pod(box: pod.PodSandbox, tmp_path: Path, script: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    assert sandbox.available(), "bubblewrap is installed by .ci/run (apt-get install bubblewrap)"
    return run(sandbox.pod_command(["sh", "-c", script], box, tmp_path / "scratch", **kwargs))


def test_the_sandbox_is_what_the_rendered_deployment_declares() -> None:
    box = pod.load(PROD, "proxy")
    deployment = next(d for d in documents(PROD) if d["kind"] == "Deployment")["spec"]["template"]["spec"]
    assert (box.uid, box.gid) == (
        deployment["securityContext"]["runAsUser"],
        deployment["securityContext"]["runAsGroup"],
    )
    assert box.read_only_root and box.drop_all and box.no_privilege_escalation
    assert {"/tmp", "/.cache", "/var/lib/litellm/prometheus"} <= set(box.empty_dirs)
    assert box.read_only_mounts == ("/etc/litellm",)
    assert box.writable(box.env["PROMETHEUS_MULTIPROC_DIR"]), "the chart's multiprocess directory is an emptyDir"
    assert "DATABASE_URL" in box.env_refs and "DATABASE_URL" not in box.env
    assert pod.load(PROD, "access").empty_dirs == ("/tmp",)


def test_a_manifest_without_the_workload_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "manifests.yaml"
    out.write_text("---\n".join(dump_yaml(d) for d in documents(PROD) if d["kind"] != "Job"), encoding="utf-8")
    with pytest.raises(pod.ManifestError, match="no Job with a container 'migrations'"):
        pod.load(out, "migrations")


def test_the_pods_user_no_capabilities_and_only_its_empty_dirs_take_writes(tmp_path: Path) -> None:
    box = pod.load(PROD, "proxy")
    script = (
        "id -u; id -g; grep CapEff /proc/self/status;"
        " for d in /tmp /.cache /app/cache /var/lib/litellm/prometheus; do touch $d/probe || exit 9; done;"
        " touch /etc/probe /usr/probe /var/lib/probe; exit 0"
    )
    done = in_pod(box, tmp_path, script)
    assert done.returncode == 0, done.stderr
    uid, gid, caps = done.stdout.split("\n")[:3]
    assert (int(uid), int(gid)) == (box.uid, box.gid)
    assert caps.split()[1] == "0000000000000000"
    assert (sandbox.host_dir(tmp_path / "scratch", "/var/lib/litellm/prometheus") / "probe").exists()
    assert sandbox.refused_writes(done.stderr) == ["/etc/probe", "/usr/probe", "/var/lib/probe"]
    assert sandbox.writes_outside(done.stderr, box) == [
        f"{box.workload}: a write outside the pod's emptyDirs: {path}"
        for path in ("/etc/probe", "/usr/probe", "/var/lib/probe")
    ]


def test_an_empty_dir_added_to_the_manifest_becomes_writable(tmp_path: Path) -> None:
    script = "mkdir -p /srv/data && touch /srv/data/probe"
    before = in_pod(pod.load(PROD, "proxy"), tmp_path, script)
    assert before.returncode != 0 and sandbox.refused_writes(before.stderr), before.stderr
    after = in_pod(pod.load(with_empty_dir(tmp_path, "/srv/data"), "proxy"), tmp_path, script)
    assert after.returncode == 0, after.stderr


def test_the_pods_tmp_is_fresh_and_staged_files_stay_read_only_where_the_run_needs_them(tmp_path: Path) -> None:
    """The checkout or a venv under the host's /tmp stays visible (read-only) under the pod's fresh /tmp; the
    staged config is also at the configMap's mount path."""
    staged = tmp_path / "staged"
    staged.mkdir()
    (staged / "hooks.json").write_text("{}")
    marker = Path(f"/tmp/gateway-sandbox-{tmp_path.name}")
    marker.touch()
    try:
        box = pod.load(PROD, "proxy")
        script = f"cat {staged}/hooks.json /etc/litellm/hooks.json; echo; ls -a /tmp; touch {staged}/x /etc/litellm/x"
        done = in_pod(box, tmp_path, script, visible=[staged], sources={"/etc/litellm": staged})
    finally:
        marker.unlink()
    first, *listed = done.stdout.split()
    assert first == "{}{}", done.stdout + done.stderr
    assert marker.name not in listed, "the host's /tmp shows through the pod's"
    assert sandbox.refused_writes(done.stderr) == [f"{staged}/x", "/etc/litellm/x"]


def test_refused_writes_are_read_from_python_node_and_shell_wording() -> None:
    log = "\n".join(
        [
            "OSError: [Errno 30] Read-only file system: '/app/litellm/proxy/_experimental/out/index.html'",
            "PermissionError: [Errno 13] Permission denied: '/.cache/prisma'",
            "Error: EROFS: read-only file system, mkdir '/root/.npm/_cacache'",
            "touch: cannot touch '/etc/x': Read-only file system",
        ]
    )
    assert sandbox.refused_writes(log) == [
        "/app/litellm/proxy/_experimental/out/index.html",
        "/.cache/prisma",
        "/root/.npm/_cacache",
        "/etc/x",
    ]


def test_only_the_known_refusal_of_a_container_is_expected() -> None:
    """The migrations Job's `prisma generate` into site-packages is LiteLLM's log-only step; the same write
    by the proxy is a failure."""
    generate = "OSError: [Errno 30] Read-only file system: '/venv/lib/python3.11/site-packages/prisma/actions.py'"
    assert sandbox.writes_outside(generate, pod.load(PROD, "migrations")) == []
    assert sandbox.writes_outside(generate, pod.load(PROD, "proxy"))


def test_the_environment_is_the_containers_over_the_native_one() -> None:
    box = pod.load(PROD, "proxy")
    native = {"PATH": "/bin", "HOME": "/root", "TMPDIR": "/var/tmp/x", "XDG_CACHE_HOME": "/h", "LITELLM_LOG": "DEBUG"}
    env = box.environment(native)
    assert env["HOME"] == pod.POD_HOME and "TMPDIR" not in env and "XDG_CACHE_HOME" not in env
    assert env["LITELLM_LOG"] == box.env["LITELLM_LOG"] and env["PATH"] == "/bin"
    assert box.environment(native, keep=["LITELLM_LOG"])["LITELLM_LOG"] == "DEBUG"


def test_the_non_root_variant_can_write_where_litellm_writes_as_non_root(tmp_path: Path) -> None:
    """The non_root image sets LITELLM_NON_ROOT=true: LiteLLM then copies its admin UI and caches logos under
    /var/lib/litellm (its source names the directories); the chart's non_root values make them emptyDirs
    (read-only, the sandboxed proxy logged `[Errno 30] Read-only file system: '/var/lib/litellm'`)."""
    import importlib.util
    import re

    from litellm_bundle.external import kube

    spec = importlib.util.find_spec("litellm")
    assert spec is not None and spec.origin is not None
    source = (Path(spec.origin).parent / "proxy" / "proxy_server.py").read_text(encoding="utf-8")
    non_root_dirs = set(re.findall(r'"(/var/lib/litellm/[^"]+)"', source))
    assert non_root_dirs, "LiteLLM names no /var/lib/litellm directory any more: revisit ci/non-root-values.yaml"
    values = (TREE.out_dir / RENDERED_AREA / "dev" / "values.yaml").read_text(encoding="utf-8")
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(kube.helm_template(TREE, values, [TREE.chart_dir / "ci" / "non-root-values.yaml"]))
    for workload in ("proxy", "migrations"):
        box = pod.load(manifests, workload)
        assert [d for d in sorted(non_root_dirs) if not box.writable(d)] == [], box.workload
