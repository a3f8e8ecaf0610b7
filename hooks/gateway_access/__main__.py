"""python -m gateway_access plan|apply: exit 0 in sync (or applied), 3 drift found by plan, 1 failure,
2 usage error, 4 another apply holds the lease (the tooling's exit codes, docs/validation.md "Exit codes")."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from gateway_access import plan as planning
from gateway_access import sinks, state
from gateway_access.api import ApiError, Management
from gateway_access.lease import DEFAULT_TTL, LeaseHeld
from gateway_access.state import Signer

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"
# held equal to litellm_bundle.core.facts by tests/unit/test_access.py (argparse exits 2 on a usage error)
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_DRIFT = 3
EXIT_LOCKED = 4
# what a run can end with, besides a plan (LeaseHeld: exit EXIT_LOCKED here)
FAILURES = (ValueError, planning.PlanError, ApiError, OSError, LeaseHeld)


def prepare(
    url: str,
    desired: Path,
    master_key: str,
    environ: Mapping[str, str],
    prune: bool = False,
    rotate: Iterable[str] = (),
    wait: float = 0,
) -> tuple[planning.Plan, Management]:
    """The plan that makes the proxy at `url` match the rendered access.json `desired`, and the API to
    apply it with. Raises one of FAILURES."""
    document = state.load(desired)
    unknown = sorted(set(rotate) - set(document["keys"]))
    if unknown:
        raise planning.PlanError(f"--rotate: no declared key {', '.join(unknown)}")
    api = Management(url, master_key)
    if wait:
        api.wait_ready(wait)
    signer = Signer(master_key)
    live = planning.live_state(api, document)
    plan = planning.make_plan(document, environ=environ, signer=signer, prune=prune, rotate=frozenset(rotate), **live)
    return plan, api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway_access", description=__doc__)
    parser.add_argument("action", choices=("plan", "apply"))
    parser.add_argument("--url", required=True, help="the proxy, e.g. http://litellm-gateway:4000")
    parser.add_argument("--desired", type=Path, required=True, help="the rendered access.json")
    parser.add_argument("--prune", action="store_true", help="delete managed teams and keys no longer declared")
    parser.add_argument("--rotate", action="append", default=[], help="give this key alias a new value (repeatable)")
    parser.add_argument(
        "--keys-to", help="apply: where new key values go (required): - (stdout), env-file:PATH, k8s-secret:NAME"
    )
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the proxy to be ready first")
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="plan: exit 0 when drift is found (the plan still reports it), e.g. in a Job that only reports",
    )
    parser.add_argument(
        "--lease-ttl",
        type=float,
        default=DEFAULT_TTL,
        help=f"apply: seconds the run's lease lasts; a killed run's lease expires after it (default {DEFAULT_TTL:.0f})",
    )
    args = parser.parse_args(argv)
    if args.action == "apply" and not args.keys_to:
        parser.error("apply needs --keys-to (-, env-file:PATH or k8s-secret:NAME): where new key values go")
    master_key = os.environ.get(MASTER_KEY_ENV)
    if not master_key:
        print(f"gateway_access: ${MASTER_KEY_ENV} is not set (the proxy's master key)", file=sys.stderr)
        return EXIT_FAILED
    try:
        sink = sinks.sink(args.keys_to or "-")
        plan, api = prepare(
            args.url, args.desired, master_key, os.environ, prune=args.prune, rotate=args.rotate, wait=args.wait
        )
        print(plan.report(), file=sys.stderr)
        if args.action == "plan":
            return EXIT_DRIFT if plan.drift and not args.exit_zero else EXIT_OK
        done = planning.apply(plan, api, os.environ, sink, lease_ttl=args.lease_ttl)
        print(f"applied: {len(done)} change(s)", file=sys.stderr)
        return EXIT_OK
    except LeaseHeld as exc:
        print(f"gateway_access: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except FAILURES as exc:
        print(f"gateway_access: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
