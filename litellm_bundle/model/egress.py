"""Where one environment's gateway sends traffic, read from its sources (data: egress.yaml beside this
module): every api_base and other address of its deployments and of LiteLLM's settings (callback
endpoints, guardrail services, MCP servers, credentials), Redis and the database. An address held by a
secret reference (os.environ/NAME) is unknown unless the environment declares it (`network.egress`).

Each destination is classified by its host: loopback, an in-cluster Service, a literal IP, a host of a
private zone, a public host, a link-local address (never opened) or unknown. `policy_values` turns them
into the chart's NetworkPolicy values (render/environment.py); checks/egress.py reports what the policy
would block."""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from ruamel.yaml import YAML

from litellm_bundle.core.problems import PathKey
from litellm_bundle.core.yamlio import load_yaml
from litellm_bundle.model.configset import as_list, as_map
from litellm_bundle.model.effective import EffectiveConfig

DATA_FILE = Path(__file__).with_name("egress.yaml")

Kind = Literal["loopback", "service", "ip", "private", "public", "never", "unknown"]
Role = Literal["redis", "database", "endpoint"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
_LABEL = r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?"
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_PORT = re.compile(r"^[0-9]{1,5}$")
NETWORK = ("environment", "network")


@functools.cache
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(DATA_FILE.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Target:
    """Where an address points. `port` None: it cannot be told (a host without one, an unknown scheme)."""

    kind: Kind
    host: str | None = None
    port: int | None = None
    namespace: str | None = None  # a Service's namespace; None: the release's own


@dataclass(frozen=True)
class Destination:
    what: str  # how messages name it: "deployment 'gpt-4o-azure' api_base", "Redis", ...
    role: Role
    path: PathKey  # where its address is written: the source, or its declaration in network.egress
    target: Target
    address: str | None  # as written or declared (scheme://host:port, no path); None: unknown
    reference: str | None = None  # the os.environ/NAME it is read from
    assumed_port: bool = False  # the chart's port of Redis or PostgreSQL: the address names none
    port_reference: str | None = None  # Redis' port: the undeclared reference it is read from


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _in(address: ipaddress.IPv4Address | ipaddress.IPv6Address, ranges: list[str]) -> bool:
    return any(address in ipaddress.ip_network(r) for r in ranges)


def classify(host: str, port: int | None) -> Target:
    facts = data()
    address = _ip(host)
    if address is not None:
        if address.is_loopback or address.is_unspecified:
            return Target("loopback", str(address), port)
        if _in(address, facts["never_ranges"]):
            return Target("never", str(address), port)
        return Target("ip", str(address), port)
    name = host.rstrip(".").lower()
    labels = name.split(".")
    if name == "localhost" or name.endswith(".localhost"):
        return Target("loopback", name, port)
    if len(labels) == 1:
        return Target("service", name, port)
    for end in ("svc", f"svc.{facts['cluster_domain']}"):
        if name.endswith(f".{end}") and len(labels) >= 2 + end.count("."):
            return Target("service", name, port, namespace=labels[-2 - end.count(".")])
    if any(name == zone or name.endswith(f".{zone}") for zone in facts["private_zones"]):
        return Target("private", name, port)
    return Target("public", name, port)


def parse(address: str, default_port: int | None = None) -> tuple[Target, str] | None:
    """The target of an address (a URL, host:port or a host) and the address as shown (no path, no
    query); None when it is no address this can read (left to the other checks)."""
    text = address.strip()
    scheme = ""
    if _URL.match(text):
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
    elif "/" in text:
        return None
    else:
        parts = urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if not host or not (_HOST.match(host) or _ip(host)):
        return None
    port = port or data()["default_ports"].get(scheme) or default_port
    shown_host = f"[{host}]" if ":" in host else host
    shown = f"{scheme + '://' if scheme else ''}{shown_host}{f':{port}' if port else ''}"
    return classify(host, port), shown


def _is_text_address(value: Any) -> bool:
    """An address written as text (a port alone, e.g. a declared REDIS_PORT, is none)."""
    return isinstance(value, str) and bool(value.strip()) and not _PORT.match(value.strip())


def _is_address_key(key: str) -> bool:
    lowered = key.lower()
    return lowered in data()["address_keys"] or lowered.rsplit("_", 1)[-1] in data()["address_keys"]


def _walk(node: Any, path: PathKey) -> Iterator[tuple[PathKey, dict[str, Any], str, Any]]:
    """(path, parent mapping, key, value) of every scalar under a mapping key."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, key))
            else:
                yield (*path, key), node, str(key), value
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, (dict, list)):
                yield from _walk(value, (*path, index))


class _Reader:
    """The destinations of one environment, and the references that gave an address."""

    def __init__(self, eff: EffectiveConfig, env_ref: re.Pattern[str]) -> None:
        env = as_map(eff.data.get("environment"))
        self.env_ref = env_ref
        self.declared = {str(k): v for k, v in as_map(as_map(env.get("network")).get("egress")).items()}
        self.used: set[str] = set()
        self.unresolved: str | None = None  # the last reference `port` could not resolve

    def resolve(self, value: Any, path: PathKey) -> tuple[Any, PathKey, str | None]:
        """A value, or what its reference is declared to hold: (value or None, where it is written, reference)."""
        match = self.env_ref.match(value) if isinstance(value, str) else None
        if match is None:
            return value, path, None
        name = match.group(1)
        self.used.add(name)
        if name in self.declared:
            return self.declared[name], (*NETWORK, "egress", name), name
        return None, path, name

    def port(self, value: Any, path: PathKey) -> int | None:
        known, _, reference = self.resolve(value, path)
        self.unresolved = reference if known is None else None
        if isinstance(known, int) and not isinstance(known, bool):
            return known
        return int(known) if isinstance(known, str) and _PORT.match(known) else None

    def service(self, role: Role, what: str, path: PathKey, value: Any, port: int | None) -> Destination:
        """Redis or the database: its address (unknown: any address on the chart's port, as the chart opens it)."""
        chart_port = int(data()["service_ports"][role])
        known, where, reference = self.resolve(value, path)
        parsed = parse(known, port) if _is_text_address(known) else None
        if parsed is None:
            target = Target("unknown", port=port or chart_port)
            return Destination(what, role, where, target, None, reference, assumed_port=port is None)
        target, shown = parsed
        if target.port is None:
            target = Target(target.kind, target.host, chart_port, target.namespace)
            return Destination(what, role, where, target, shown, reference, assumed_port=True)
        return Destination(what, role, where, target, shown, reference)

    def endpoint(self, what: str, path: PathKey, parent: dict[str, Any], key: str, value: Any) -> Destination | None:
        if not isinstance(value, (str, int)) or isinstance(value, bool) or key.lower() in data()["not_called"]:
            return None
        address_key = _is_address_key(key)
        is_reference = isinstance(value, str) and self.env_ref.match(value) is not None
        if is_reference and not address_key:
            return None
        if not is_reference and not (isinstance(value, str) and (_URL.match(value) or address_key)):
            return None
        known, where, reference = self.resolve(value, path)
        if known is None:
            return Destination(what, "endpoint", where, Target("unknown"), None, reference)
        sibling = next((k for k in parent if k.lower() == key.lower()[: -len("host")] + "port"), None)
        port = self.port(parent[sibling], (*path[:-1], sibling)) if key.lower().endswith("host") and sibling else None
        parsed = parse(known, port) if _is_text_address(known) else None
        if parsed is None:
            return None
        return Destination(what, "endpoint", where, parsed[0], parsed[1], reference)


def _redis(reader: _Reader, redis: dict[str, Any]) -> list[Destination | None]:
    """Each Redis the gateway connects to: the single node, every cluster node (the chart's Redis rule: one
    port), or every Sentinel (a rule each, their port is not Redis') and the primary and replicas the
    Sentinels announce (unknown to the sources: any address on the chart's Redis port)."""
    at: PathKey = ("environment", "redis")
    nodes = [({"host": redis.get("host"), "port": redis.get("port")}, at, "Redis")] if "host" in redis else []
    nodes += [
        (as_map(node), (*at, "startup_nodes", i), f"Redis Cluster node {i}")
        for i, node in enumerate(as_list(redis.get("startup_nodes")))
    ]
    found: list[Destination | None] = []
    for node, path, what in nodes:
        port = reader.port(node.get("port"), (*path, "port"))
        node_at = reader.service("redis", what, (*path, "host"), node.get("host"), port)
        found.append(replace(node_at, port_reference=reader.unresolved))
    for i, pair in enumerate(as_list(redis.get("sentinel_nodes"))):
        if isinstance(pair, list) and len(pair) == 2:
            parent = {"host": pair[0], "port": pair[1]}
            found.append(
                reader.endpoint(f"Redis Sentinel {i}", (*at, "sentinel_nodes", i, "host"), parent, "host", pair[0])
            )
    if "sentinel_nodes" in redis:
        found.append(reader.service("redis", "the Redis nodes the Sentinels announce", at, None, None))
    return found


def destinations(eff: EffectiveConfig, env_ref: re.Pattern[str]) -> tuple[list[Destination], set[str]]:
    """Every destination of one environment, and the references it read an address from."""
    reader = _Reader(eff, env_ref)
    env = as_map(eff.data.get("environment"))
    found: list[Destination | None] = _redis(reader, as_map(env.get("redis")))
    database = env.get("database")
    if isinstance(database, dict) and "url" in database:
        at: PathKey = ("environment", "database", "url")
        found.append(reader.service("database", "the database", at, database["url"], None))
    for group, body in as_map(eff.data.get("model_groups")).items():
        for index, dep in enumerate(as_list(as_map(body).get("deployments"))):
            if not isinstance(dep, dict):
                continue
            fields = {k: v for k, v in dep.items() if k != "model_info"}
            for path, parent, key, value in _walk(fields, ("model_groups", group, "deployments", index)):
                what = f"deployment '{dep.get('id', index)}' {key}"
                found.append(reader.endpoint(what, path, parent, key, value))
    for path, parent, key, value in _walk(as_map(eff.data.get("litellm")), ("litellm",)):
        what = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path[1:]).replace(".[", "[")
        found.append(reader.endpoint(what, path, parent, key, value))
    return [d for d in found if d is not None], reader.used


def public_block(chart_dir: Path) -> dict[str, Any]:
    """The ipBlock of the chart's providers' rule (networkPolicy.providerCIDR and providerExcept of its
    values.yaml): what a public host is opened on."""
    doc, _ = load_yaml(chart_dir / "values.yaml", "values.yaml")
    policy = as_map(as_map(doc.data if doc is not None else {}).get("networkPolicy"))
    block: dict[str, Any] = {"cidr": str(policy.get("providerCIDR", "0.0.0.0/0"))}
    if policy.get("providerExcept"):
        block["except"] = [str(r) for r in as_list(policy["providerExcept"])]
    return block


def _peers(target: Target, public: dict[str, Any]) -> list[dict[str, Any]]:
    if target.kind == "service":
        if target.namespace is None:
            return [{"podSelector": {}}]
        return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": target.namespace}}}]
    if target.kind == "ip" and target.host is not None:
        return [{"ipBlock": {"cidr": f"{target.host}/{32 if '.' in target.host else 128}"}}]
    if target.kind == "private":
        return [{"ipBlock": {"cidr": r}} for r in data()["private_ranges"]]
    return [{"ipBlock": dict(public)}]


def opened_by_chart(d: Destination, public: dict[str, Any]) -> bool:
    """Whether the chart's own rules let it through without a rule of its own: loopback (no NetworkPolicy
    applies), HTTPS to a public host or address (the providers' rule), an unknown address (its default)."""
    target = d.target
    if target.kind in ("loopback", "unknown") or d.role != "endpoint":
        return target.kind != "never"
    if target.port != 443:
        return False
    if target.kind == "public":
        return True
    address = _ip(target.host or "")
    if target.kind != "ip" or address is None:
        return False
    return address in ipaddress.ip_network(public["cidr"]) and not _in(address, list(public.get("except", [])))


def opens(d: Destination) -> bool:
    """Whether a rule can let it through: never for a link-local address, nor without a port."""
    return d.target.kind != "never" and d.target.port is not None


def policy_values(found: list[Destination], public: dict[str, Any], api_server: list[str]) -> dict[str, Any]:
    """The chart values that let every destination through: Redis' and PostgreSQL's port and peers, a rule
    per further peer set and port, the API server's addresses. Nothing for what the chart's rules open."""
    values: dict[str, Any] = {}
    policy: dict[str, Any] = {}
    for d in found:
        if d.role == "endpoint":
            continue
        if not d.assumed_port and d.target.port is not None:
            values[d.role] = {"port": d.target.port}
        if d.target.kind not in ("unknown", "loopback", "never"):
            policy[f"{d.role}Peers"] = _peers(d.target, public)
    rules: dict[tuple[str, int], dict[str, set[str]]] = {}  # (peers, port) -> address -> what calls it
    for d in found:
        if d.role == "endpoint" and opens(d) and not opened_by_chart(d, public) and d.target.port is not None:
            peers = json.dumps(_peers(d.target, public), sort_keys=True)
            rules.setdefault((peers, d.target.port), {}).setdefault(str(d.address), set()).add(d.what)
    if rules:
        policy["egress"] = [
            {
                "description": "; ".join(f"{a}: {', '.join(sorted(whats))}" for a, whats in sorted(by_address.items())),
                "to": json.loads(peers),
                "ports": [{"port": port}],
            }
            for (peers, port), by_address in sorted(rules.items(), key=lambda item: (item[0][1], item[0][0]))
        ]
    if api_server:
        policy["apiServerCIDRs"] = list(api_server)
    if policy:
        values["networkPolicy"] = policy
    return values


def unknown_notes(found: list[Destination]) -> list[str]:
    """One line per reference whose address the tooling cannot know (not declared), with what the chart's
    rules let through for it."""
    uses: dict[str, list[str]] = {}
    assumed: dict[str, str] = {}
    for d in found:
        if d.port_reference is not None:
            uses.setdefault(d.port_reference, []).append(f"{d.what} port")
            assumed[d.port_reference] = f"the chart's port {d.target.port}"
        if d.target.kind != "unknown" or d.reference is None:
            continue
        uses.setdefault(d.reference, []).append(d.what)
        if d.role == "endpoint":
            assumed[d.reference] = "HTTPS (port 443) to a public address"
        else:
            assumed[d.reference] = f"any address on port {d.target.port}"
    return [f"`{name}` ({', '.join(sorted(set(uses[name])))}): assumed {assumed[name]}" for name in sorted(uses)]
