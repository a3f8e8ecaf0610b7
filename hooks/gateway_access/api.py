"""The LiteLLM proxy's management API, the parts access as code needs (master key auth)."""

from __future__ import annotations

import time
from typing import Any

import httpx


class ApiError(Exception):
    """The proxy refused or failed a management call."""


class Management:
    def __init__(self, url: str, master_key: str, timeout: float = 30.0):
        self.client = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {master_key}"}, timeout=timeout
        )

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise ApiError(f"{method} {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json()

    def wait_ready(self, timeout: float) -> None:
        """Until the proxy answers /health/readiness (a Job may start before the pods are Ready)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = self.client.get("/health/readiness", timeout=5)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(1)
        raise ApiError(f"the proxy at {self.client.base_url} is not ready after {timeout:.0f}s ({last})")

    # teams
    def teams(self) -> list[dict[str, Any]]:
        found = self._call("GET", "/team/list")
        return list(found if isinstance(found, list) else found.get("teams", []))

    def create_team(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/team/new", json=body))

    def update_team(self, team_id: str, body: dict[str, Any]) -> None:
        self._call("POST", "/team/update", json={"team_id": team_id, **body})

    def delete_teams(self, team_ids: list[str]) -> None:
        self._call("POST", "/team/delete", json={"team_ids": team_ids})

    # keys
    def keys(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call("GET", "/key/list", params={"return_full_object": "true", "page": page, "size": 100})
            found += [k for k in batch.get("keys", []) if isinstance(k, dict)]
            if page >= int(batch.get("total_pages") or 1):
                return found
            page += 1

    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/key/generate", json=body))

    def update_key(self, token: str, body: dict[str, Any]) -> None:
        self._call("POST", "/key/update", json={"key": token, **body})

    def delete_keys(self, tokens: list[str]) -> None:
        self._call("POST", "/key/delete", json={"keys": tokens})
