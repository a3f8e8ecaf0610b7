"""The NetworkPolicy against the addresses the gateway calls (model/egress.py derives its egress from
them): an address no rule may open (link-local: the cloud metadata services), one whose port cannot be
told, and a `network.egress` declaration that no address of the environment reads."""

from __future__ import annotations

from litellm_bundle.core.problems import Found, Problem, whole
from litellm_bundle.model import egress
from litellm_bundle.model.configset import as_map
from litellm_bundle.model.effective import EffectiveConfig
from litellm_bundle.policy.policies import Policies


def check_egress(eff: EffectiveConfig, policies: Policies) -> list[Problem]:
    found = Found(eff.env)
    destinations, used = egress.destinations(eff, policies.env_ref)
    for d in destinations:
        if d.target.kind == "never":
            found.add(
                eff,
                d.path,
                f"{d.what} {d.address} is a link-local address (the cloud metadata services, which hand out the "
                "node's credentials, live there): the NetworkPolicy never opens it and drops every call",
                check="egress-blocked",
                value=True,
            )
        elif d.target.port is None and d.target.kind not in ("loopback", "unknown"):
            schemes = ", ".join(sorted(egress.data()["default_ports"]))
            found.add(
                eff,
                d.path,
                f"{d.what} {d.address} names no port: the NetworkPolicy opens none for it and drops every call "
                f"unless another rule opens the port; write host:port, or a URL whose scheme says it ({schemes})",
                check="egress-port-unknown",
                value=True,
            )
    declared = as_map(as_map(as_map(eff.data["environment"]).get("network")).get("egress"))
    # where an address would be read from: a problem there (a file that does not load, a value against
    # its schema) explains a declaration that seems unused
    readers = (
        *eff.because(("model_groups",)),
        *eff.because(("litellm",)),
        *(whole(eff.subject(("environment", key))) for key in ("model_groups", "redis", "database")),
    )
    for name in sorted(str(k) for k in declared):
        if name not in used:
            found.add(
                eff,
                ("environment", "network", "egress", name),
                f"network.egress.{name}: no address of the environment is read from os.environ/{name} "
                "(an api_base, a callback endpoint, Redis, the database); the declaration opens nothing",
                check="egress-declaration-unused",
                because=readers,
            )
    return found.problems
