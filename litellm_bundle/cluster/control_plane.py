"""A real local Kubernetes control plane without a container runtime, for `helm install` tests.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built by tools/kube/build.sh into
.tools/kube/), all on 127.0.0.1 with free ports, and kwok playing the kubelets of a few fake nodes:
it marks pods Ready at once, completes Job pods, and fails pods annotated FAIL_ANNOTATION.

    python -m litellm_bundle cluster build [VERSION ...]
    python -m litellm_bundle cluster up [--state-dir .run/cluster] [--version v1.35.4]
    python -m litellm_bundle cluster down [--state-dir .run/cluster]

(`build`, `up` and `down` below; the CLI prints what they return.)

Every process runs in its own session (process group) with its log in <state>/logs/ and its pid
in <state>/pids/, so `down` (or ControlPlane.stop) stops exactly what was started.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import ssl
import subprocess
import time
from base64 import b64encode
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import psutil

from litellm_bundle.core.facts import CONTROL_PLANE_VERSIONS, DEFAULT_CONTROL_PLANE_VERSION
from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime import processes
from litellm_bundle.runtime.processes import free_port, group_alive, stop_group, wait_port

FAIL_ANNOTATION = "kwok.gateway.test/fail"  # value "true": kwok ends the pod Failed, exit code 1
NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")  # the nodes kwok manages
ZONES = ("a", "b", "c")  # one fake node per zone
NODE_ALLOCATABLE = {"cpu": "32", "memory": "128Gi", "pods": "110", "ephemeral-storage": "500Gi"}
SERVICE_CIDR = "10.96.0.0/16"
SERVICE_IP = "10.96.0.1"  # first address of SERVICE_CIDR: the `kubernetes` Service
POD_CIDR = "10.244.0.0/16"  # pod IPs kwok hands out
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
STOP_GRACE = 10.0
STOP_ORDER = (("kwok", "kube-scheduler", "kube-controller-manager"), ("kube-apiserver",), ("etcd",))
BUILD_HINT = "run `make cluster-build`"


@dataclass(frozen=True)
class Tools:
    """Binaries and kwok stage files built by tools/kube/build.sh (default root: <repo>/.tools/kube)."""

    root: Path
    version: str

    def binary(self, name: str) -> Path:
        per_version = name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
        return (self.root / self.version / "bin" if per_version else self.root / "bin") / name

    @property
    def kubectl(self) -> Path:
        return self.binary("kubectl")

    @property
    def stages(self) -> list[Path]:
        return sorted((self.root / "stages").glob("*.yaml"))

    def check(self) -> None:
        if self.version not in CONTROL_PLANE_VERSIONS:
            raise RuntimeError(f"Kubernetes {self.version} is not pinned (pinned: {', '.join(CONTROL_PLANE_VERSIONS)})")
        wanted = [self.binary(name) for name in (*COMPONENTS, "kubectl")]
        missing = [str(path) for path in wanted if not path.is_file()] + (
            [] if self.stages else [str(self.root / "stages")]
        )
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise RuntimeError(
                f"local Kubernetes {self.version} is not built ({missing[0]}{more} missing): {BUILD_HINT}"
            )


@dataclass(frozen=True)
class Pki:
    """Certificates and keys under <state>/pki/, all signed by one throwaway CA."""

    dir: Path

    def crt(self, name: str) -> Path:
        return self.dir / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.dir / f"{name}.key"

    @property
    def sa_public(self) -> Path:
        return self.dir / "sa.pub"

    @property
    def complete(self) -> Path:
        return self.dir / ".complete"


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int

    @classmethod
    def pick(cls) -> Ports:
        chosen: list[int] = []
        while len(chosen) < 5:  # free_port() may hand out the same port twice in a row
            port = free_port()
            if port not in chosen:
                chosen.append(port)
        return cls(*chosen)


# --- PKI -------------------------------------------------------------------------------------

CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\n"
LEAF_EXT = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
SERVER_EXT = LEAF_EXT + "extendedKeyUsage=serverAuth\n"
CLIENT_EXT = LEAF_EXT + "extendedKeyUsage=clientAuth\n"

# client certificate name -> subject (RBAC: system:masters is cluster-admin; the two system users have default bindings)
CLIENT_CERTS = {
    "admin": "/O=system:masters/CN=kubernetes-admin",
    "kube-controller-manager": "/CN=system:kube-controller-manager",
    "kube-scheduler": "/CN=system:kube-scheduler",
}


def openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], check=False, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {result.stderr.strip()}")


def new_key(path: Path) -> None:
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path), cwd=path.parent)
    path.chmod(0o600)


def sign(pki: Pki, name: str, subject: str, extensions: str) -> None:
    """A certificate for <name>.key signed by the CA (or self-signed when name is "ca")."""
    new_key(pki.key(name))
    ext = pki.dir / f"{name}.ext"
    ext.write_text(extensions)
    csr = pki.dir / f"{name}.csr"
    openssl("req", "-new", "-key", str(pki.key(name)), "-subj", subject, "-out", str(csr), cwd=pki.dir)
    issuer = (
        ["-signkey", str(pki.key("ca"))] if name == "ca" else ["-CA", str(pki.crt("ca")), "-CAkey", str(pki.key("ca"))]
    )
    openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        *issuer,
        "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")),
        "-days",
        "3650",
        "-sha256",
        "-extfile",
        str(ext),
        "-out",
        str(pki.crt(name)),
        cwd=pki.dir,
    )
    csr.unlink()
    ext.unlink()


def generate_pki(pki_dir: Path) -> Pki:
    """CA, apiserver serving cert (127.0.0.1 and the service IP), client certs, SA key pair.
    Kept across restarts of the same state directory (the data in etcd refers to the CA)."""
    pki = Pki(pki_dir)
    if pki.complete.exists():
        return pki
    pki_dir.mkdir(parents=True, exist_ok=True)
    sign(pki, "ca", "/CN=local-kubernetes-ca", CA_EXT)
    names = [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "localhost",
    ]
    san = ",".join(["IP:127.0.0.1", f"IP:{SERVICE_IP}", *(f"DNS:{n}" for n in names)])
    sign(pki, "apiserver", "/CN=kube-apiserver", SERVER_EXT + f"subjectAltName={san}\n")
    for name, subject in CLIENT_CERTS.items():
        sign(pki, name, subject, CLIENT_EXT)
    new_key(pki.key("sa"))
    openssl("pkey", "-in", str(pki.key("sa")), "-pubout", "-out", str(pki.sa_public), cwd=pki_dir)
    pki.complete.touch()
    return pki


def write_kubeconfig(path: Path, server: str, pki: Pki, user: str) -> Path:
    """A kubeconfig with the credentials inline (JSON is valid kubeconfig YAML)."""

    def data(file: Path) -> str:
        return b64encode(file.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "local", "cluster": {"server": server, "certificate-authority-data": data(pki.crt("ca"))}}
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": data(pki.crt(user)), "client-key-data": data(pki.key(user))},
            }
        ],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": user, "namespace": "default"}}],
        "current-context": "local",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


# --- processes -------------------------------------------------------------------------------


def pid_file(state_dir: Path, name: str) -> Path:
    return state_dir / "pids" / f"{name}.pid"


def start_component(
    state_dir: Path, name: str, cmd: Sequence[str | Path], env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start one component in its own session, log to <state>/logs/<name>.log, record its pid."""
    log = state_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%dT%H:%M:%S')} {shlex.join(map(str, cmd))}\n")
    proc = processes.spawn([str(c) for c in cmd], log, env={**os.environ, **(env or {})})
    pid_file(state_dir, name).parent.mkdir(parents=True, exist_ok=True)
    pid_file(state_dir, name).write_text(f"{proc.pid}\n")
    return proc


def ours(pid: int, state_dir: Path) -> bool:
    """The recorded pid is still one of this control plane's processes (not a reused pid):
    every component's command line names a file under the state directory."""
    try:
        argv = psutil.Process(pid).cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    marker = str(state_dir.resolve()) + os.sep
    return any(marker in arg for arg in argv)


def recorded_pids(state_dir: Path) -> dict[str, int]:
    found = {}
    for name in COMPONENTS:
        try:
            found[name] = int(pid_file(state_dir, name).read_text().strip())
        except (OSError, ValueError):
            continue
    return found


def log_tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


# --- component command lines -----------------------------------------------------------------


def etcd_cmd(tools: Tools, state_dir: Path, ports: Ports) -> list[str | Path]:
    client, peer = f"http://127.0.0.1:{ports.etcd_client}", f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        tools.binary("etcd"),
        "--name",
        "local",
        "--data-dir",
        state_dir / "etcd",
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        client,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        f"local={peer}",
        "--unsafe-no-fsync",
        "--log-level",
        "warn",
    ]


def apiserver_cmd(tools: Tools, state_dir: Path, ports: Ports, pki: Pki) -> list[str | Path]:
    return [
        tools.binary("kube-apiserver"),
        "--etcd-servers",
        f"http://127.0.0.1:{ports.etcd_client}",
        "--bind-address",
        "127.0.0.1",
        "--advertise-address",
        "127.0.0.1",
        "--secure-port",
        str(ports.apiserver),
        "--tls-cert-file",
        pki.crt("apiserver"),
        "--tls-private-key-file",
        pki.key("apiserver"),
        "--client-ca-file",
        pki.crt("ca"),
        "--cert-dir",
        pki.dir / "apiserver",
        "--authorization-mode",
        "Node,RBAC",
        "--allow-privileged=true",
        "--service-cluster-ip-range",
        SERVICE_CIDR,
        "--endpoint-reconciler-type",
        "none",
        "--service-account-issuer",
        "https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file",
        pki.sa_public,
        "--service-account-signing-key-file",
        pki.key("sa"),
        "--profiling=false",
        "--v=1",
    ]


def _serving_component(name: str, state_dir: Path, port: int, pki: Pki) -> list[str | Path]:
    """The arguments the controller manager and the scheduler share: their kubeconfig for the API server
    and for authn/authz, and a loopback secure port with certificates of their own."""
    kubeconfig = state_dir / "kubeconfigs" / name
    return [
        "--kubeconfig",
        kubeconfig,
        "--authentication-kubeconfig",
        kubeconfig,
        "--authorization-kubeconfig",
        kubeconfig,
        "--bind-address",
        "127.0.0.1",
        "--secure-port",
        str(port),
        "--cert-dir",
        pki.dir / name,
    ]


def controller_manager_cmd(tools: Tools, state_dir: Path, ports: Ports, pki: Pki) -> list[str | Path]:
    return [
        tools.binary("kube-controller-manager"),
        *_serving_component("kube-controller-manager", state_dir, ports.controller_manager, pki),
        "--controllers",
        "*",
        "--use-service-account-credentials",
        "--leader-elect=false",
        "--service-account-private-key-file",
        pki.key("sa"),
        "--root-ca-file",
        pki.crt("ca"),
        "--cluster-signing-cert-file",
        pki.crt("ca"),
        "--cluster-signing-key-file",
        pki.key("ca"),
        "--service-cluster-ip-range",
        SERVICE_CIDR,
        "--cluster-name",
        "local",
        # the HPA acts within a second of a change instead of up to 15 s (the default): the tests wait for it
        "--horizontal-pod-autoscaler-sync-period=1s",
        "--profiling=false",
        "--v=1",
    ]


def scheduler_cmd(tools: Tools, state_dir: Path, ports: Ports, pki: Pki) -> list[str | Path]:
    return [
        tools.binary("kube-scheduler"),
        *_serving_component("kube-scheduler", state_dir, ports.scheduler, pki),
        "--leader-elect=false",
        "--profiling=false",
        "--v=1",
    ]


def kwok_config(path: Path) -> Path:
    """kwok exits unless its parallelism options are spelled out."""
    options = {
        "cidr": POD_CIDR,
        "nodeIP": "10.0.0.1",
        "podPlayStageParallelism": 4,
        "nodePlayStageParallelism": 2,
        "nodeLeaseParallelism": 2,
        "podsOnNodeSyncParallelism": 1,
        "enablePodsOnNodeSyncListPager": True,
        "enablePodsOnNodeSyncStreamWatch": False,
    }
    config = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        "metadata": {"name": "local"},
        "options": options,
    }
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


def kwok_cmd(tools: Tools, state_dir: Path) -> list[str | Path]:
    configs: list[str | Path] = []
    for file in [kwok_config(state_dir / "kwok" / "kwok.yaml"), *tools.stages]:
        configs += ["--config", file]
    key, value = NODE_ANNOTATION
    return [
        tools.binary("kwok"),
        "--kubeconfig",
        state_dir / "kubeconfig",
        *configs,
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={key}={value}",
        "--node-lease-duration-seconds",
        "40",
    ]


# --- talking to the API server ---------------------------------------------------------------


class Api:
    """A minimal client for the API server: TLS verified against the generated CA, the admin's client
    certificate. Connection errors raise httpx.TransportError; any HTTP status is returned."""

    def __init__(self, server: str, pki: Pki) -> None:
        context = ssl.create_default_context(cafile=str(pki.crt("ca")))
        context.load_cert_chain(str(pki.crt("admin")), str(pki.key("admin")))
        self.client = httpx.Client(base_url=server, verify=context, timeout=5)

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.client.close()

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = self.client.request(method, path, json=body)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def status(self, path: str) -> int:
        return self.get(path)[0]


def fake_node(zone: str) -> dict[str, Any]:
    name = f"kwok-node-{zone}"
    key, value = NODE_ANNOTATION
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {key: value, "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": "local",
                "type": "kwok",
            },
        },
        "spec": {},
        "status": {"allocatable": NODE_ALLOCATABLE, "capacity": NODE_ALLOCATABLE},
    }


def create_nodes(api: Api) -> None:
    for zone in ZONES:
        status, body = api.request("POST", "/api/v1/nodes", fake_node(zone))
        if status not in (201, 409):  # 409: kept from a previous start of this state dir
            raise RuntimeError(f"creating node kwok-node-{zone} failed: {status} {body}")


def nodes_ready(api: Api) -> bool:
    status, body = api.get("/api/v1/nodes")
    if status != 200:
        return False
    items = body["items"]
    ready = [
        n
        for n in items
        if any(c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", []))
    ]
    return len(ready) >= len(ZONES)


# --- the control plane -----------------------------------------------------------------------


@dataclass
class ControlPlane:
    state_dir: Path
    version: str
    kubectl_path: Path
    server: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    started_in: float = 0.0

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @classmethod
    def start(cls, state_dir: Path, version: str, tools_dir: Path, timeout: float = 120.0) -> ControlPlane:
        """Start etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok; return once
        the API server is ready, the fake nodes are Ready and the `default` ServiceAccount exists."""
        tools = Tools(tools_dir, version)
        tools.check()
        state_dir = state_dir.resolve()
        running = [name for name, pid in recorded_pids(state_dir).items() if group_alive(pid) and ours(pid, state_dir)]
        if running:
            raise RuntimeError(
                f"a control plane is already running in {state_dir} ({', '.join(running)}): stop it first"
            )
        plane = cls(state_dir, version, tools.kubectl)
        began = time.monotonic()
        try:
            plane._launch(tools, timeout)
        except BaseException:
            plane.stop()
            raise
        plane.started_in = time.monotonic() - began
        return plane

    def _launch(self, tools: Tools, timeout: float) -> None:
        state = self.state_dir
        (state / "kwok").mkdir(parents=True, exist_ok=True)
        (state / "version").write_text(self.version + "\n")
        pki = generate_pki(state / "pki")
        ports = Ports.pick()
        self.server = f"https://127.0.0.1:{ports.apiserver}"
        write_kubeconfig(self.kubeconfig, self.server, pki, "admin")
        for user in ("kube-controller-manager", "kube-scheduler"):
            write_kubeconfig(state / "kubeconfigs" / user, self.server, pki, user)

        self._spawn("etcd", etcd_cmd(tools, state, ports))
        self._spawn("kube-apiserver", apiserver_cmd(tools, state, ports, pki))
        with Api(self.server, pki) as api:
            self._until("kube-apiserver /readyz", lambda: api.status("/readyz") == 200, timeout)
            self._spawn("kube-controller-manager", controller_manager_cmd(tools, state, ports, pki))
            self._spawn("kube-scheduler", scheduler_cmd(tools, state, ports, pki))
            self._spawn("kwok", kwok_cmd(tools, state), env={"KWOK_WORKDIR": str(state / "kwok")})
            create_nodes(api)
            self._until("the fake nodes to be Ready (kwok)", lambda: nodes_ready(api), timeout)
            sa = "/api/v1/namespaces/default/serviceaccounts/default"
            self._until("the default ServiceAccount (kube-controller-manager)", lambda: api.status(sa) == 200, timeout)
        wait_port(ports.scheduler, timeout, self.processes["kube-scheduler"])

    def _until(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        """Poll check() until it is true; fail early when a component exited. A refused or reset
        connection is "not yet" (the API server is not listening yet)."""

        def ready() -> bool:
            dead = self._exited()
            if dead:
                raise RuntimeError(f"while waiting for {what}: {dead}")
            return check()

        wait_until(ready, timeout, 0.2, what, ignore=(OSError, httpx.TransportError))

    def _spawn(self, name: str, cmd: Sequence[str | Path], env: dict[str, str] | None = None) -> None:
        proc = start_component(self.state_dir, name, cmd, env)
        self.processes[name] = proc
        self.pids[name] = proc.pid

    def _exited(self) -> str | None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                log = self.state_dir / "logs" / f"{name}.log"
                return f"{name} exited with code {proc.returncode}; the end of {log}:\n{log_tail(log)}"
        return None

    @classmethod
    def attach(cls, state_dir: Path, tools_dir: Path) -> ControlPlane:
        """The control plane recorded in state_dir's pid files (started by another process)."""
        state_dir = state_dir.resolve()
        pids = {name: pid for name, pid in recorded_pids(state_dir).items() if ours(pid, state_dir)}
        recorded = state_dir / "version"
        version = recorded.read_text().strip() if recorded.exists() else DEFAULT_CONTROL_PLANE_VERSION
        return cls(state_dir, version, Tools(tools_dir, version).kubectl, pids=pids)

    def alive(self) -> list[str]:
        return [name for name, pid in self.pids.items() if group_alive(pid)]

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop exactly the recorded processes: SIGTERM each process group, SIGKILL what is left after
        `grace` seconds. Clients of the API server first (together), then kube-apiserver, then etcd:
        with its clients gone each exits in about a second instead of waiting for the others."""
        targets = {name: pid for name, pid in self.pids.items() if name in self.processes or ours(pid, self.state_dir)}
        for phase in STOP_ORDER:
            pids = [pid for name, pid in targets.items() if name in phase]
            with ThreadPoolExecutor(max_workers=max(1, len(pids))) as pool:
                list(pool.map(lambda pid: stop_group(pid, grace), pids))
        for proc in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for name in targets:
            pid_file(self.state_dir, name).unlink(missing_ok=True)
        self.processes.clear()
        self.pids.clear()

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """Run the pinned kubectl against this control plane."""
        cmd = [str(self.kubectl_path), "--kubeconfig", str(self.kubeconfig), *args]
        result = subprocess.run(cmd, check=False, input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def env(self) -> dict[str, str]:
        """The environment for helm and other tools: KUBECONFIG pointing at this control plane."""
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}


def start(state_dir: Path, version: str, tools_dir: Path, timeout: float = 120.0) -> ControlPlane:
    return ControlPlane.start(state_dir, version, tools_dir, timeout)


# --- what `cluster build|up|down` do ---------------------------------------------------------


def build(repo_root: Path, versions: Sequence[str] = ()) -> None:
    """tools/kube/build.sh for `versions` (default: every pinned one); its output goes to the terminal."""
    script = repo_root / "tools" / "kube" / "build.sh"
    if not script.is_file():
        raise RuntimeError(f"{script} not found")
    result = subprocess.run(["bash", str(script), *versions], check=False, cwd=repo_root)
    if result.returncode != 0:
        raise RuntimeError(f"{script.relative_to(repo_root)} failed with exit code {result.returncode} (output above)")


@dataclass(frozen=True)
class Up:
    """What `up` found or started: `already` names the components found running (nothing was started)."""

    plane: ControlPlane
    already: list[str]


def up(state_dir: Path, version: str, tools_dir: Path, timeout: float = 120.0) -> Up:
    """A control plane left running in state_dir: the one recorded there if it runs, else a new one."""
    state_dir = state_dir.resolve()
    existing = ControlPlane.attach(state_dir, tools_dir)
    running = existing.alive()
    if running:
        return Up(existing, running)
    return Up(ControlPlane.start(state_dir, version, tools_dir, timeout), [])


@dataclass(frozen=True)
class Down:
    """What `down` stopped (nothing when `stopped` is empty) and how long it took."""

    stopped: list[str]
    seconds: float


def down(state_dir: Path, tools_dir: Path) -> Down:
    """Stop the control plane recorded in state_dir (by its pid files); its state is kept."""
    plane = ControlPlane.attach(state_dir.resolve(), tools_dir)
    running = plane.alive()
    if not running:
        return Down([], 0.0)
    began = time.monotonic()
    plane.stop()
    return Down(running, time.monotonic() - began)
