"""Real highly available Redis topologies on loopback, for the tests: a Redis Cluster (3 primaries, a
replica each, so a primary can fail over) and a Sentinel group (1 primary, 1 replica, 3 Sentinels).

No persistence, free ports, every process in its own group and stopped on exit. Controlled with
`redis-cli` (the tooling does not import a Redis client). Each topology also says how the
environment's `redis:` points at it (LiteLLM's names, litellm_bundle/model/redis_settings.py)."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime import processes

SERVICE_NAME = "gateway"
# quick failure detection on loopback; production keeps Redis' defaults
NODE_TIMEOUT_MS = 2000
EPHEMERAL = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]


@dataclass
class Topology:
    kind: str
    ports: list[int]  # the data nodes
    sentinel_ports: list[int] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def redis(self, max_connections: int | None = None) -> dict[str, Any]:
        """The environment's `redis:` for this topology (literal values: a test's rendered config)."""
        shape: dict[str, Any]
        if self.kind == "cluster":
            shape = {"startup_nodes": [{"host": "127.0.0.1", "port": p} for p in self.ports]}
        else:
            shape = {"sentinel_nodes": [["127.0.0.1", p] for p in self.sentinel_ports], "service_name": SERVICE_NAME}
        return shape if max_connections is None else {**shape, "max_connections": max_connections}

    def primaries(self) -> list[int]:
        if self.kind == "sentinel":
            return [self.sentinel_primary()]
        return [p for p in self.ports if "role:master" in cli(p, "info", "replication")]

    def sentinel_primary(self) -> int:
        reply = cli(self.sentinel_ports[0], "sentinel", "get-master-addr-by-name", SERVICE_NAME).split()
        return int(reply[1])

    def failover(self, kill: bool = False) -> tuple[int, int]:
        """Move a primary to its replica and wait until the topology serves writes again: (old primary, new
        primary). `kill`: the primary dies (SIGKILL; the replica takes over once the cluster or the
        Sentinels see it down, NODE_TIMEOUT_MS), else a coordinated failover (CLUSTER FAILOVER on the
        replica, SENTINEL FAILOVER)."""
        if self.kind == "cluster":
            old = self.primaries()[0]
            new = next(p for p in self.ports if f"master_port:{old}" in cli(p, "info", "replication"))
            if kill:
                self.kill(old)
            else:
                cli(new, "cluster", "failover")
            wait_until(lambda: "role:master" in cli(new, "info", "replication"), 30, 0.1, "the replica promoted")
            if not kill:
                wait_until(lambda: "role:slave" in cli(old, "info", "replication"), 30, 0.1, "the old one demoted")
            wait_until(lambda: "cluster_state:ok" in cli(new, "cluster", "info"), 30, 0.1, "the cluster ok")
            return old, new
        old = self.sentinel_primary()
        if kill:
            self.kill(old)
        else:
            cli(self.sentinel_ports[0], "sentinel", "failover", SERVICE_NAME)
        wait_until(lambda: self.sentinel_primary() != old, 30, 0.1, "Sentinel to name a new primary")
        new = self.sentinel_primary()
        wait_until(lambda: "role:master" in cli(new, "info", "replication"), 30, 0.1, "the new primary")
        return old, new

    def get(self, key: str) -> str:
        """A key's value as the primary holding it has it ("" when absent)."""
        if self.kind == "cluster":
            return cli(self.ports[0], "-c", "get", key).strip()  # -c: follow the cluster's redirection
        return cli(self.sentinel_primary(), "get", key).strip()

    def kill(self, port: int) -> None:
        proc = self.procs[self.ports.index(port)]  # the data nodes start first, in port order
        proc.kill()
        proc.wait(timeout=10)


def binaries() -> tuple[str, str] | None:
    server, client = shutil.which("redis-server"), shutil.which("redis-cli")
    return (server, client) if server and client else None


def cli(port: int, *args: str) -> str:
    found = binaries()
    assert found is not None
    out = subprocess.run([found[1], "-p", str(port), *args], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout


def _server(work: Path, name: str, args: list[str], topology: Topology) -> None:
    found = binaries()
    assert found is not None
    node_dir = work / name
    node_dir.mkdir(parents=True, exist_ok=True)
    proc = processes.spawn([found[0], *args, "--dir", str(node_dir)], work / f"{name}.log")
    topology.procs.append(proc)


def _wait_ports(ports: list[int], topology: Topology) -> None:
    for port in ports:
        processes.wait_port(port, 20)
    for proc in topology.procs:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {proc.returncode}")


def _start_cluster(work: Path, topology: Topology) -> None:
    for port in topology.ports:
        args = ["--port", str(port), "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf"]
        args += ["--cluster-port", str(processes.free_port())]  # not port + 10000: a free port may be > 55535
        _server(work, f"node-{port}", [*args, "--cluster-node-timeout", str(NODE_TIMEOUT_MS), *EPHEMERAL], topology)
    _wait_ports(topology.ports, topology)
    nodes = [f"127.0.0.1:{p}" for p in topology.ports]
    found = binaries()
    assert found is not None
    create = [found[1], "--cluster", "create", *nodes, "--cluster-replicas", "1", "--cluster-yes"]
    subprocess.run(create, capture_output=True, text=True, timeout=60, check=True)

    def ready() -> bool:
        return all("cluster_state:ok" in cli(p, "cluster", "info") for p in topology.ports) and (
            len(topology.primaries()) == len(topology.ports) // 2
        )

    wait_until(ready, 60, 0.2, "the cluster to be ok with every replica attached")


def _start_sentinel(work: Path, topology: Topology) -> None:
    primary, replica = topology.ports
    _server(work, f"node-{primary}", ["--port", str(primary), *EPHEMERAL], topology)
    _server(
        work,
        f"node-{replica}",
        ["--port", str(replica), "--replicaof", "127.0.0.1", str(primary), *EPHEMERAL],
        topology,
    )
    _wait_ports(topology.ports, topology)
    for port in topology.sentinel_ports:
        conf = work / f"sentinel-{port}.conf"  # a Sentinel rewrites its own configuration file
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {work}\n"
            f"sentinel monitor {SERVICE_NAME} 127.0.0.1 {primary} 2\n"
            f"sentinel down-after-milliseconds {SERVICE_NAME} {NODE_TIMEOUT_MS}\n"
            f"sentinel failover-timeout {SERVICE_NAME} 10000\n"
        )
        _server(work, f"sentinel-{port}", [str(conf), "--sentinel"], topology)
    _wait_ports(topology.sentinel_ports, topology)

    def ready() -> bool:
        synced = "master_link_status:up" in cli(replica, "info", "replication")
        known = all(
            str(replica) in cli(p, "sentinel", "replicas", SERVICE_NAME)
            and "num-other-sentinels\n2" in cli(p, "sentinel", "master", SERVICE_NAME)
            for p in topology.sentinel_ports
        )
        return synced and known

    wait_until(ready, 60, 0.2, "the replica synced and every Sentinel to know it and the others")


@contextlib.contextmanager
def running(kind: str, work: Path) -> Iterator[Topology]:
    """A Redis Cluster (`cluster`: 6 nodes) or a Sentinel group (`sentinel`: 2 nodes, 3 Sentinels), stopped on exit."""
    if binaries() is None:
        raise RuntimeError("redis-server and redis-cli are not installed (apt-get install redis-server)")
    data = 6 if kind == "cluster" else 2
    topology = Topology(kind, [processes.free_port() for _ in range(data)])
    if kind == "sentinel":
        topology.sentinel_ports = [processes.free_port() for _ in range(3)]
    try:
        (_start_cluster if kind == "cluster" else _start_sentinel)(work, topology)
        yield topology
    finally:
        for proc in topology.procs:
            processes.stop(proc)
