"""The LiteLLM proxy's management API, the parts access as code needs (master key auth)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from gateway_access.state import PERMISSION_FIELDS


class ApiError(Exception):
    """The proxy refused or failed a management call."""


def _wire(body: dict[str, Any]) -> dict[str, Any]:
    """`body` as LiteLLM takes it: the fields of state.PERMISSION_FIELDS inside `object_permission` (a null
    one, not managed, left out)."""
    permission = {f: body[f] for f in PERMISSION_FIELDS if body.get(f) is not None}
    sent = {k: v for k, v in body.items() if k not in PERMISSION_FIELDS}
    return {**sent, "object_permission": permission} if permission else sent


def permission(live: dict[str, Any], name: str) -> Any:
    """A field of state.PERMISSION_FIELDS of a live team or key (from its object_permission; None without one)."""
    return (live.get("object_permission") or {}).get(name)


class Management:
    def __init__(self, url: str, master_key: str, timeout: float = 30.0):
        self.master_key = master_key
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

    def _pages(self, path: str, items: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every object of a paginated list (`items` of each page, up to its `total_pages`), in a stable order."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            batch = self._call("GET", path, params={**params, "page": page})
            found += [o for o in batch.get(items, []) if isinstance(o, dict)]
            if page >= int(batch.get("total_pages") or 1):
                return found
            page += 1

    # teams
    def teams(self) -> list[dict[str, Any]]:
        """Every team (/v2/team/list; /team/list is not paginated and reads each team's keys too)."""
        return self._pages("/v2/team/list", "teams", {"page_size": 100, "sort_by": "team_id", "sort_order": "asc"})

    def create_team(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/team/new", json=_wire(body)))

    def update_team(self, team_id: str, body: dict[str, Any]) -> None:
        self._call("POST", "/team/update", json={"team_id": team_id, **_wire(body)})

    def delete_teams(self, team_ids: list[str]) -> None:
        self._call("POST", "/team/delete", json={"team_ids": team_ids})

    def team_info(self, team_id: str) -> dict[str, Any]:
        """/team/info: `team_info` (with its object_permission, which /v2/team/list leaves out) and
        `team_memberships`."""
        found = self._call("GET", "/team/info", params={"team_id": team_id})
        return found if isinstance(found, dict) else {}

    def add_member(self, team_id: str, user_id: str, role: str) -> None:
        self._call("POST", "/team/member_add", json={"team_id": team_id, "member": {"user_id": user_id, "role": role}})

    def update_member(self, team_id: str, user_id: str, fields: dict[str, Any]) -> None:
        """Role and budget fields of a member (a field sent as null is cleared, one not sent is kept)."""
        self._call("POST", "/team/member_update", json={"team_id": team_id, "user_id": user_id, **fields})

    def delete_member(self, team_id: str, user_id: str) -> None:
        self._call("POST", "/team/member_delete", json={"team_id": team_id, "user_id": user_id})

    # budget tiers (LiteLLM's budget objects)
    def budgets(self) -> list[dict[str, Any]]:
        found = self._call("GET", "/budget/list")
        return [b for b in found if isinstance(b, dict)] if isinstance(found, list) else []

    def create_budget(self, body: dict[str, Any]) -> None:
        self._call("POST", "/budget/new", json=body)

    def update_budget(self, body: dict[str, Any]) -> None:
        self._call("POST", "/budget/update", json=body)

    def delete_budget(self, budget_id: str) -> None:
        self._call("POST", "/budget/delete", json={"id": budget_id})

    # internal users
    def users(self) -> list[dict[str, Any]]:
        return self._pages("/user/list", "users", {"page_size": 100, "sort_by": "user_id", "sort_order": "asc"})

    def create_user(self, body: dict[str, Any]) -> None:
        self._call("POST", "/user/new", json={**body, "auto_create_key": False})

    def update_user(self, user_id: str, body: dict[str, Any]) -> None:
        self._call("POST", "/user/update", json={"user_id": user_id, **body})

    # keys
    def keys(self) -> list[dict[str, Any]]:
        """Every key, each with its object_permission (/key/list with return_full_object)."""
        params = {"return_full_object": "true", "size": 100, "sort_by": "token", "sort_order": "asc"}
        return self._pages("/key/list", "keys", params)

    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/key/generate", json=_wire(body)))

    def update_key(self, token: str, body: dict[str, Any]) -> None:
        self._call("POST", "/key/update", json={"key": token, **_wire(body)})

    def delete_keys(self, tokens: list[str]) -> None:
        self._call("POST", "/key/delete", json={"keys": tokens})

    def authenticates(self, value: str, route: str = "/key/info") -> int:
        """The status of a GET of `route` (one the key may call, redirects followed) with key `value`: 200
        when the proxy accepts it."""
        try:
            response = self.client.get(route, headers={"Authorization": f"Bearer {value}"}, follow_redirects=True)
        except httpx.HTTPError as exc:
            raise ApiError(f"GET {route}: {type(exc).__name__}: {exc}") from exc
        return response.status_code
