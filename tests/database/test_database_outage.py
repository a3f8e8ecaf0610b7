"""PostgreSQL goes away and comes back: keys the proxy has seen keep working (allow_requests_on_db_unavailable),
readiness reports the database state, and the proxy recovers without a restart."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from litellm_bundle.core.facts import LIVENESS_PATH, READINESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime import postgres
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy


def readiness(stack: Stack) -> dict[str, Any]:
    return dict(httpx.get(f"{stack.url}{READINESS_PATH}", timeout=30).json())


def test_cached_keys_keep_working_while_the_database_is_down_and_the_proxy_recovers(
    db_stack: Stack, database: postgres.Postgres
) -> None:
    admin = {"Authorization": f"Bearer {db_stack.key}"}
    key = httpx.post(
        f"{db_stack.url}/key/generate",
        headers=admin,
        json={"key_alias": "outage-probe", "models": ["gpt-4o-mini"]},
        timeout=30,
    ).json()["key"]
    client = openai.OpenAI(base_url=f"{db_stack.url}/v1", api_key=key, max_retries=0, timeout=60)
    ask = lambda: client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])  # noqa: E731
    assert ask().choices[0].message.content  # the proxy has now seen (and cached) the key
    assert readiness(db_stack)["db"] == "connected"

    postgres.stop(database)
    try:
        wait_until(lambda: readiness(db_stack)["db"] != "connected", 60, what="readiness to report the database down")
        assert ask().choices[0].message.content, "a cached key is served while the database is down"
        assert httpx.get(f"{db_stack.url}{LIVENESS_PATH}", timeout=10).status_code == 200
    finally:
        restarted = postgres.start(database.data_dir, database.port, database.password)
        database.proc = restarted.proc
    wait_until(lambda: readiness(db_stack)["db"] == "connected", 120, what="readiness to report the database back")
    # writes work again: a new key, and a request with it
    fresh = httpx.post(
        f"{db_stack.url}/key/generate",
        headers=admin,
        json={"key_alias": "after-outage", "models": ["gpt-4o-mini"]},
        timeout=30,
    )
    assert fresh.status_code == 200, fresh.text
    again = openai.OpenAI(base_url=f"{db_stack.url}/v1", api_key=fresh.json()["key"], max_retries=0, timeout=60)
    assert (
        again.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "back"}])
        .choices[0]
        .message.content
    )
