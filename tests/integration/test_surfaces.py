"""The boot check's surface checks (metrics behind a key, no admin UI, no API docs, named origins) can
fail: against the dev proxy, which serves metrics and docs to anyone and allows any origin, prod's
switches are reported one by one. Its admin UI is off (local runs turn it off), so the hooks' guard
answers the UI and its logins with 404 through the real proxy while the API keeps serving. The
passing side is the boot of the shipped prod environment (test_boot_check.py)."""

from __future__ import annotations

import httpx
import pytest
from ruamel.yaml import YAML

from litellm_bundle.render import proxy_args
from litellm_bundle.runtime import boot_check
from tests.helpers import committed

from .conftest import Stack

pytestmark = pytest.mark.proxy


def test_prods_switches_are_reported_against_a_proxy_that_serves_everything(dev_stack: Stack) -> None:
    prod_surface = proxy_args.surface_env(YAML(typ="safe").load(committed("prod", "values.yaml"))["proxy"])
    prod_config = YAML(typ="safe").load(committed("prod", "config.yaml"))
    checked: list[str] = []
    failures = boot_check.surface_failures(dev_stack.url, dev_stack.key, prod_config, prod_surface, checked)
    assert checked == ["metrics", "admin_ui", "api_docs", "cors"]
    assert any(
        f.startswith("/metrics/ should refuse a scrape without a key") and "200 without" in f for f in failures
    ), failures
    assert {f.split()[0] for f in failures if "API docs off" in f} == {"/", "/redoc", "/openapi.json"}, failures
    assert any("https://chat.prod.example.internal got Access-Control-Allow-Origin '*'" in f for f in failures), (
        failures
    )
    assert not any("admin UI" in f for f in failures), failures


def test_the_admin_ui_is_not_served_and_the_api_is(dev_stack: Stack) -> None:
    for method, path in (("GET", "/ui/"), ("GET", "/ui/login/"), ("POST", "/login"), ("POST", "/v2/login")):
        answer = httpx.request(
            method, f"{dev_stack.url}{path}", data={"username": "admin", "password": dev_stack.key}, timeout=30
        )
        assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
        assert answer.json()["error"]["message"] == "The admin UI is turned off in this environment."
    headers = {"Authorization": f"Bearer {dev_stack.key}"}
    assert httpx.get(f"{dev_stack.url}/v1/models", headers=headers, timeout=30).status_code == 200
    assert httpx.get(f"{dev_stack.url}/key/list", headers=headers, timeout=30).status_code != 404
