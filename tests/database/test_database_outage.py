"""PostgreSQL and Redis go away and come back.

With allow_requests_on_db_unavailable (the db_stack of tests/database/conftest.py) keys the proxy has seen
keep working, and so does any string that looks like a key. Staging and prod state their own choice
(config/environments/*.yaml): under load, the database and then Redis are stopped in front of a proxy
configured as they render it, and what clients and /health/readiness see is checked against it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from ruamel.yaml import YAML

from litellm_bundle.core.facts import LIVENESS_PATH, READINESS_PATH
from litellm_bundle.core.wait import wait_until
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.runtime import launch, postgres, processes
from tests.helpers import committed
from tests.integration.conftest import Stack, running_proxy

from .conftest import migrated_cluster, staged_with_database

pytestmark = pytest.mark.proxy


NEVER_ISSUED = "sk-never-issued-by-this-proxy-0123456789"


def readiness(stack: Stack) -> dict[str, Any]:
    return dict(httpx.get(f"{stack.url}{READINESS_PATH}", timeout=30).json())


def chat(url: str, key: str, timeout: float = 60) -> httpx.Response:
    return httpx.post(
        f"{url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "outage"}]},
        timeout=timeout,
    )


@contextlib.contextmanager
def database_down(database: postgres.Postgres) -> Iterator[None]:
    """PostgreSQL goes away as a failover or a restart of the server takes it: postgres.stop's fast shutdown
    ends every session at once. Started again, on the same port, on leaving."""
    postgres.stop(database)
    try:
        yield
    finally:
        database.proc = postgres.start(database.data_dir, database.port, database.password).proc


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
    # (no readiness probe before the outage: LiteLLM keeps a "connected" for 15 s, the outage would go
    # unseen that long; the key written above is the proof the database was there)

    with database_down(database):
        wait_until(lambda: readiness(db_stack)["db"] != "connected", 60, what="readiness to report the database down")
        assert ask().choices[0].message.content, "a cached key is served while the database is down"
        assert httpx.get(f"{db_stack.url}{LIVENESS_PATH}", timeout=10).status_code == 200
        # ... and so is any string that merely looks like a key: LiteLLM's fallback identity (an internal
        # user without budget or model limits), which is why staging and prod keep the setting off
        # (the first lookup after the outage can reach LiteLLM as an engine error outside its allowlist of
        # transient ones, a 503; once the engine reports the database unreachable the fallback applies)
        answers: list[str] = []
        for _ in range(15):
            answer = chat(db_stack.url, NEVER_ISSUED)
            answers.append(f"{answer.status_code} {answer.text[:160]}")
            if answer.status_code == 200:
                break
            time.sleep(2)
        assert answers[-1].startswith("200"), answers
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


# --- staging's and prod's choice, under load ----------------------------------------------------------


def shipped_choice() -> bool:
    """allow_requests_on_db_unavailable as staging and prod render it (one choice for both: staging
    rehearses prod)."""
    chosen = {
        env: bool(
            YAML(typ="safe")
            .load(committed(env, "config.yaml"))["general_settings"]
            .get("allow_requests_on_db_unavailable", False)
        )
        for env in ("staging", "prod")
    }
    assert chosen["staging"] == chosen["prod"], chosen
    return chosen["prod"]


@dataclass
class Redis:
    port: int
    log: Path
    proc: Any = None

    def start(self) -> None:
        self.proc = launch.start_redis(self.port, self.log)
        assert self.proc is not None, "redis-server is not installed (apt-get install redis-server)"
        processes.wait_port(self.port, 20, self.proc, self.log)

    def stop(self) -> None:
        processes.stop(self.proc)


@pytest.fixture(scope="module")
def redis_of_its_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redis]:
    """A Redis this module stops and starts (the session's redis_server is shared)."""
    redis = Redis(processes.free_port(), tmp_path_factory.mktemp("outage-redis") / "redis.log")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture(scope="module")
def database_of_its_own() -> Iterator[postgres.Postgres]:
    """A cluster this module stops under load (the session's `database` serves db_stack, which the other
    modules keep using: an outage there would leave it reconnecting when their tests start)."""
    with migrated_cluster() as server:
        yield server


@pytest.fixture(scope="module")
def shipped_stack(
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: str,
    database_of_its_own: postgres.Postgres,
    redis_of_its_own: Redis,
) -> Iterator[Stack]:
    """dev's rendered config with the database, Redis for router state and the response cache (as staging
    and prod render them) and staging's and prod's allow_requests_on_db_unavailable."""
    staged, secrets = staged_with_database(
        tmp_path_factory.mktemp("outage-proxy"), fake_provider, database_of_its_own, redis_of_its_own.port
    )
    config = YAML(typ="safe").load(staged.read_text())
    config["general_settings"]["allow_requests_on_db_unavailable"] = shipped_choice()
    cache = YAML(typ="safe").load(committed("prod", "config.yaml"))["litellm_settings"]["cache_params"]
    config["litellm_settings"].update(
        {"cache": True, "cache_params": {k: v for k, v in cache.items() if k != "password"}}
    )
    staged.write_text(dump_yaml(config))
    with running_proxy(staged, secrets, fake_provider) as stack:
        yield stack


@dataclass
class Load:
    """Clients sending chat requests one after another on a few connections until stopped; each answer
    (status, or the exception's name) is kept under the phase it started in."""

    url: str
    key: str
    phase: str = "before"
    seen: dict[str, list[int | str]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.stop.is_set():
                phase = self.phase
                try:
                    answer: int | str = http.post(
                        f"{self.url}/v1/chat/completions",
                        headers={"Authorization": f"Bearer {self.key}"},
                        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": phase}]},
                    ).status_code
                except httpx.HTTPError as exc:
                    answer = type(exc).__name__
                self.seen.setdefault(phase, []).append(answer)

    def answers(self, phase: str, at_least: int) -> list[int | str]:
        """The answers of a phase once at least `at_least` came back."""
        wait_until(lambda: len(self.seen.get(phase, [])) >= at_least, 120, what=f"{at_least} answers in {phase}")
        return list(self.seen[phase])


def test_database_then_redis_outage_under_load_as_staging_and_prod_chose(
    shipped_stack: Stack, database_of_its_own: postgres.Postgres, redis_of_its_own: Redis
) -> None:
    allowed = shipped_choice()
    admin = {"Authorization": f"Bearer {shipped_stack.key}"}
    key = httpx.post(
        f"{shipped_stack.url}/key/generate", headers=admin, json={"key_alias": "outage-load"}, timeout=30
    ).json()["key"]
    load = Load(shipped_stack.url, key)
    clients = [threading.Thread(target=load.client, daemon=True) for _ in range(3)]
    for thread in clients:
        thread.start()
    try:
        assert set(load.answers("before", 10)) == {200}

        # PostgreSQL goes away
        load.phase = "database down"
        with database_down(database_of_its_own):
            probe = lambda: httpx.get(f"{shipped_stack.url}{READINESS_PATH}", timeout=30)  # noqa: E731
            wait_until(lambda: probe().json()["db"] != "connected", 60, what="readiness to see the database gone")
            # fail closed: readiness takes every pod out of the Service, and a key the proxy cannot check
            # is refused; allowed: the pods stay in, and any `sk-` string is served
            assert probe().status_code == (200 if allowed else 503)
            assert (chat(shipped_stack.url, NEVER_ISSUED).status_code == 200) == allowed
            assert httpx.get(f"{shipped_stack.url}{LIVENESS_PATH}", timeout=10).status_code == 200, "no restart"
            down = load.answers("database down", 5)
            assert all(isinstance(a, int) for a in down), f"every client got an HTTP answer, none hung: {down}"
        load.phase = "database back"
        wait_until(
            lambda: (
                httpx.get(f"{shipped_stack.url}{READINESS_PATH}", timeout=30).status_code == 200
                and readiness(shipped_stack)["db"] == "connected"
            ),
            120,
            what="readiness to see the database back",
        )
        load.phase = "database recovered"
        assert set(load.answers("database recovered", 10)) == {200}, "recovered without a restart"

        # Redis goes away: never gated; the pods serve without it (rate limits per pod, no cached answers)
        load.phase = "redis down"
        redis_of_its_own.stop()
        try:
            checks = []
            while len(load.seen.get("redis down", [])) < 20:
                checks.append(httpx.get(f"{shipped_stack.url}{READINESS_PATH}", timeout=30).status_code)
            assert set(checks) == {200}, "readiness never depends on Redis"
            assert set(load.answers("redis down", 20)) == {200}, load.seen["redis down"]
        finally:
            redis_of_its_own.start()
        load.phase = "redis back"
        assert set(load.answers("redis back", 10)) == {200}
    finally:
        load.stop.set()
        for thread in clients:
            thread.join(timeout=90)
    print({phase: {str(a): answers.count(a) for a in set(answers)} for phase, answers in load.seen.items()})
