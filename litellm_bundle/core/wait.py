"""The one poll loop: call a predicate until it returns something truthy, or time out.

Every wait of the tooling and the tests goes through `wait_until`: for a port, a health URL, a
database, an API server, a Prometheus scrape. A predicate fails the wait early by raising (a process
that exited); exceptions it raises while the thing is not there yet are passed in `ignore`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError, RuntimeError):
    """The condition did not hold in time. A RuntimeError too: callers that report a failed start
    (`make up`, the boot check, the control plane) catch RuntimeError."""


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.2,
    what: str = "a condition",
    ignore: tuple[type[Exception], ...] = (),
) -> T:
    """Call `predicate` every `interval` seconds until it returns something truthy, and return that.

    An exception of a type in `ignore` counts as "not yet"; any other propagates at once. After
    `timeout` seconds (the predicate is called at least once, and once more at the deadline) raises
    WaitTimeout naming `what` and the last value or error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ignore as exc:
            last = f"last error: {type(exc).__name__}: {exc}"
        else:
            if value:
                return value
            last = f"last value: {value!r}"
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {timeout:.0f}s waiting for {what} ({last})")
        time.sleep(min(interval, remaining))
