"""A real load balancer in front of native proxy instances: haproxy (Debian's package), configured
like a Kubernetes Service in front of a Deployment. Servers enter the rotation when their readiness
passes and leave it when they are taken away (the endpoint removal of a terminating pod); nothing is
retried or redispatched, so a request sent to an instance that stopped accepting fails visibly."""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from litellm_bundle.core.facts import READINESS_PATH
from litellm_bundle.runtime import processes


def binary() -> str | None:
    return shutil.which("haproxy")


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    enabled: bool = True  # False: in maintenance until enable() (a pod that is not ready yet)


BACKEND = "gateway"


def config_text(port: int, servers: list[Server], socket_path: Path, check_interval_ms: int = 1000) -> str:
    lines = [
        "global",
        f"  stats socket {socket_path} mode 600 level admin",
        "  maxconn 2000",
        "  log stdout format raw local0",
        "defaults",
        "  mode http",
        "  log global",
        "  option httplog",
        "  option dontlog-normal",  # errors only: status >= 500, refused or cut connections
        "  timeout connect 2s",
        "  timeout check 5s",  # like the chart's readiness probe: a slow answer under load is not a failure
        "  timeout client 120s",
        "  timeout server 120s",
        "  retries 0",  # no second chance: a refused connection reaches the client
        "frontend gateway_in",
        f"  bind 127.0.0.1:{port}",
        f"  default_backend {BACKEND}",
        f"backend {BACKEND}",
        "  balance roundrobin",
        f"  option httpchk GET {READINESS_PATH}",
        "  http-check expect status 200",
        f"  default-server inter {check_interval_ms}ms fall 3 rise 1",
    ]
    lines += [f"  server {s.name} 127.0.0.1:{s.port} check" + ("" if s.enabled else " disabled") for s in servers]
    return "\n".join(lines) + "\n"


class HAProxy:
    def __init__(self, directory: Path, port: int, servers: list[Server]) -> None:
        found = binary()
        if found is None:
            raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
        directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.socket_path = directory / "haproxy.sock"
        self.config = directory / "haproxy.cfg"
        self.config.write_text(config_text(port, servers, self.socket_path), encoding="utf-8")
        check = subprocess.run([found, "-c", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration: {check.stdout}{check.stderr}")
        self.log = directory / "haproxy.log"
        self.proc = processes.spawn([found, "-db", "-f", str(self.config)], self.log)
        processes.wait_port(port, 10, self.proc, self.log)

    def command(self, text: str) -> str:
        """One command on the runtime API (stats socket)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket_path))
            sock.sendall(text.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """server name -> UP, DOWN, MAINT, DRAIN (from `show stat`)."""
        rows = [line.split(",") for line in self.command("show stat").splitlines() if line and not line.startswith("#")]
        return {row[1]: row[17] for row in rows if row[0] == BACKEND and row[1] not in ("FRONTEND", "BACKEND")}

    def enable(self, name: str) -> None:
        """Into the rotation (a pod became ready): health checks decide from here on."""
        self.command(f"set server {BACKEND}/{name} state ready")

    def remove(self, name: str) -> None:
        """Out of the rotation (a pod turned Terminating): no new request goes to it."""
        self.command(f"set server {BACKEND}/{name} state maint")

    def stop(self) -> None:
        processes.stop(self.proc)
