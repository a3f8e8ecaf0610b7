"""How long a gateway pod takes to go away without failing a request, derived from the environment's
timeouts: the chart's preStop sleep, terminationGracePeriodSeconds and rollout strategy
(docs/operations.md explains the reasoning; the restart tests run the same numbers natively).

A terminating pod is removed from the Service's endpoints at once, but kube-proxy and the ingress
controller learn it a little later: for `drain` seconds (the preStop sleep) the pod keeps accepting.
Then SIGTERM: the proxy stops accepting and finishes what is in flight; the longest of that is a
stream (cut by LiteLLM after `stream_timeout`) or a request (`request_timeout`). Kubernetes counts
the grace period from the start of preStop, so it covers both, plus the process's own exit."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# seconds for the proxy's own shutdown after the last response (lifespan shutdown, worker exit)
EXIT_SECONDS = 10
# a rollout never takes a serving pod away before its replacement is ready; one surge pod at a time per quarter
ROLLOUT = {"maxSurge": "25%", "maxUnavailable": 0}


@dataclass(frozen=True)
class ShutdownTiming:
    pre_stop: int  # preStop sleep: seconds the pod keeps accepting after it turns Terminating
    longest_request: int  # seconds a request in flight at SIGTERM may still take
    grace: int  # terminationGracePeriodSeconds

    @property
    def rollout(self) -> dict[str, Any]:
        return dict(ROLLOUT)


def timing(drain_seconds: float, stream_timeout: float, request_timeout: float | None) -> ShutdownTiming:
    longest = math.ceil(max(stream_timeout, request_timeout or 0))
    pre_stop = math.ceil(drain_seconds)
    return ShutdownTiming(pre_stop, longest, pre_stop + longest + EXIT_SECONDS)
