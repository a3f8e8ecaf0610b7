"""One apply at a time per environment: a lease kept in the proxy's database as a blocked virtual key.

Lease number n of environment E is the key aliased `gateway-access.lease.E.n` whose value is derived
from the master key (so its token, LiteLLM's primary key, is too: two runs creating lease n cannot both
succeed, and nobody without the master key can make one). Its metadata holds the holder and when the
lease expires. A run takes the newest lease when it is released or expired by creating the next number;
it holds the lease while that number is the newest; it releases it by marking it expired. Older numbers
are deleted. A blocked key with a zero budget serves no request."""

from __future__ import annotations

import os
import re
import secrets
import socket
import time
from typing import Any

from gateway_access.api import ApiError, Management
from gateway_access.state import Signer, token_of

LEASE = "gateway_lease"  # the metadata field: {"holder": ..., "expires": unix seconds}
DEFAULT_TTL = 900.0  # seconds: longer than a run (the chart's Job has 600 s), the wait after a killed one


class LeaseHeld(Exception):
    """Another run holds the environment's lease."""


def _alias(env: str, number: int) -> str:
    return f"gateway-access.lease.{env}.{number}"


class Lease:
    def __init__(self, api: Management, env: str, ttl: float = DEFAULT_TTL):
        self.api, self.env, self.ttl = api, env, ttl
        self.signer = Signer(api.master_key)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.number = 0
        self.deadline = 0.0

    def _value(self, number: int) -> str:
        return "sk-" + self.signer.sign(f"lease/{self.env}/{number}")

    def _leases(self) -> dict[int, dict[str, Any]]:
        """number -> lease key, only the genuine ones (their token derived from the master key)."""
        pattern = re.compile(re.escape(_alias(self.env, 0))[:-1] + r"(\d+)")
        found: dict[int, dict[str, Any]] = {}
        live_keys = self.api.keys()
        for key in live_keys:
            matched = pattern.fullmatch(str(key.get("key_alias") or ""))
            if matched and key.get("token") == token_of(self._value(int(matched[1]))):
                found[int(matched[1])] = key
        return found

    @staticmethod
    def _held(key: dict[str, Any]) -> tuple[str, float]:
        lease = (key.get("metadata") or {}).get(LEASE) or {}
        return str(lease.get("holder", "?")), float(lease.get("expires") or 0)

    def _refuse(self, key: dict[str, Any]) -> LeaseHeld:
        holder, expires = self._held(key)
        until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
        return LeaseHeld(
            f"another run holds the access lease of environment '{self.env}' (holder {holder}, until {until}); "
            "nothing was changed: retry when it is done, or after that time if it was killed"
        )

    def acquire(self) -> None:
        leases = self._leases()
        newest = max(leases, default=0)
        if newest and self._held(leases[newest])[1] > time.time():
            raise self._refuse(leases[newest])
        number = newest + 1
        expires = time.time() + self.ttl
        body = {
            "key": self._value(number),
            "key_alias": _alias(self.env, number),
            "blocked": True,
            "max_budget": 0,
            "metadata": {LEASE: {"holder": self.holder, "expires": expires}},
        }
        try:
            self.api.generate_key(body)
        except ApiError:
            taken = self._leases().get(number)
            if taken is None:
                raise
            raise self._refuse(taken) from None
        leases = self._leases()
        if max(leases, default=0) != number:  # a run that read an older state took a later number
            raise self._refuse(leases[max(leases)])
        self.number, self.deadline = number, time.monotonic() + self.ttl
        if older := [str(key["token"]) for n, key in leases.items() if n < number]:
            self.api.delete_keys(older)

    def check(self) -> None:
        """Before a change: the lease must not have expired under this run."""
        if time.monotonic() >= self.deadline:
            raise LeaseHeld(f"this run outlived its access lease ({self.ttl:.0f}s, --lease-ttl): stopped")

    def release(self) -> None:
        if self.number:
            token = token_of(self._value(self.number))
            self.api.update_key(token, {"metadata": {LEASE: {"holder": self.holder, "expires": 0}}})
            self.number = 0

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
