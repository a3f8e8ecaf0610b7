"""python -m gateway_access plan|apply: exit 0 in sync (or applied), 2 drift found by plan, 1 failure."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gateway_access import plan as planning
from gateway_access import sinks, state
from gateway_access.api import ApiError, Management

MASTER_KEY_ENV = "LITELLM_MASTER_KEY"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway_access", description=__doc__)
    parser.add_argument("action", choices=("plan", "apply"))
    parser.add_argument("--url", required=True, help="the proxy, e.g. http://litellm-gateway:4000")
    parser.add_argument("--desired", type=Path, required=True, help="the rendered access.json")
    parser.add_argument("--prune", action="store_true", help="delete managed teams and keys no longer declared")
    parser.add_argument("--rotate", action="append", default=[], help="give this key alias a new value (repeatable)")
    parser.add_argument(
        "--keys-to", default="stdout", help="where new key values go: stdout, env-file:PATH, k8s-secret:NAME"
    )
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the proxy to be ready first")
    args = parser.parse_args(argv)
    master_key = os.environ.get(MASTER_KEY_ENV)
    if not master_key:
        print(f"gateway_access: ${MASTER_KEY_ENV} is not set (the proxy's master key)", file=sys.stderr)
        return 1
    try:
        sink = sinks.sink(args.keys_to)
        document = state.load(args.desired)
        unknown = sorted(set(args.rotate) - set(document["keys"]))
        if unknown:
            raise planning.PlanError(f"--rotate: no declared key {', '.join(unknown)}")
        api = Management(args.url, master_key)
        if args.wait:
            api.wait_ready(args.wait)
        plan = planning.make_plan(
            document, api.teams(), api.keys(), os.environ, prune=args.prune, rotate=frozenset(args.rotate)
        )
        print(plan.report(), file=sys.stderr)
        if args.action == "plan":
            return 2 if plan.drift else 0
        done = planning.apply(plan, api, os.environ, sink)
        print(f"applied: {len(done)} change(s)", file=sys.stderr)
        return 0
    except (ValueError, planning.PlanError, ApiError, OSError) as exc:
        print(f"gateway_access: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
