"""What the database part of an upgrade (runtime/migrations.py) sends through the real proxy: the config it
runs, the teams, users, budget and keys it creates, the priced chat requests that write spend, and the
requests that show a proxy serving."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime.db_snapshot import Sample
from litellm_bundle.runtime.migrations_result import Probe
from litellm_bundle.runtime.postgres import Postgres

PREFIX: Final = "upgrade-check"  # the ids and aliases of what the check creates (the sampled rows)
PRICED: Final = "priced"  # the model group: a price per token, so that spend and budgets move
PROBE_ALIAS: Final = "upgrade-probe"  # the key serving during the migrations (not sampled: its spend moves)
SPEND_TIMEOUT: Final = 90.0  # spend is written in batches (proxy_batch_write_at)
PROBE_INTERVAL: Final = 0.5  # seconds between the requests that show a proxy serving
# the rows the comparison follows: what _populate creates and the spend its keys wrote
SAMPLES: Final = (
    Sample("LiteLLM_BudgetTable", f"budget_id LIKE '{PREFIX}-%'"),
    Sample("LiteLLM_TeamTable", f"team_id LIKE '{PREFIX}-%'"),
    Sample("LiteLLM_UserTable", f"user_id LIKE '{PREFIX}-%'"),
    Sample("LiteLLM_TeamMembership", f"team_id LIKE '{PREFIX}-%'"),
    Sample("LiteLLM_VerificationToken", f"key_alias LIKE '{PREFIX}-%'"),
    Sample(
        "LiteLLM_SpendLogs",
        f"api_key IN (SELECT token FROM \"LiteLLM_VerificationToken\" WHERE key_alias LIKE '{PREFIX}-%')",
    ),
)


@dataclass(frozen=True)
class Keys:
    spent: list[str]  # keys with budget left, each answered twice before the upgrade
    exhausted: str  # a key over its budget: answered once, refused since


def priced_deployment() -> dict[str, Any]:
    """A model_list entry of the PRICED group on the fake provider, with a price per token."""
    return {
        "model_name": PRICED,
        "litellm_params": {
            "model": "openai/fake-priced",
            "api_base": "os.environ/FAKE_PROVIDER_API_BASE",
            "api_key": "os.environ/FAKE_PROVIDER_API_KEY",
            "input_cost_per_token": 0.01,
            "output_cost_per_token": 0.01,
        },
    }


def config() -> dict[str, Any]:
    """The proxy's config: one priced model group on the fake provider, the database, spend written every second."""
    return {
        "model_list": [priced_deployment()],
        "general_settings": {
            "master_key": "os.environ/LITELLM_MASTER_KEY",
            "database_url": "os.environ/DATABASE_URL",
            "proxy_batch_write_at": 1,
            "database_connection_pool_limit": 5,
        },
    }


def populate(url: str, admin: dict[str, str]) -> Keys:
    """Through the real proxy: a budget, two teams, a user in each, three keys with budgets (one spent)."""
    post(url, "/budget/new", admin, {"budget_id": f"{PREFIX}-budget", "max_budget": 50.0, "rpm_limit": 1000})
    spent = []
    for n in (1, 2):
        team, user = f"{PREFIX}-team-{n}", f"{PREFIX}-user-{n}"
        post(url, "/team/new", admin, {"team_id": team, "team_alias": team, "max_budget": 100.0})
        post(url, "/user/new", admin, {"user_id": user, "user_email": f"{user}@example.com", "max_budget": 20.0})
        post(url, "/team/member_add", admin, {"team_id": team, "member": {"role": "user", "user_id": user}})
        spec: dict[str, Any] = {"key_alias": f"{PREFIX}-key-{n}", "team_id": team, "user_id": user, "max_budget": 10.0}
        if n == 2:
            spec["budget_id"] = f"{PREFIX}-budget"
        spent.append(generate(url, admin, spec))
    exhausted = generate(url, admin, {"key_alias": f"{PREFIX}-key-spent", "max_budget": 0.000001})
    for key in (*spent, *spent, exhausted):
        chat(url, key).raise_for_status()
    return Keys(spent, exhausted)


def wait_for_spend(db: Postgres, keys: Keys) -> None:
    """Until the spend log of every request and the spend of every key, team and user are in the database
    (written in batches): what the comparison reads must not move after it."""
    requests = 2 * len(keys.spent) + 1
    logs = 'SELECT count(*) FROM "LiteLLM_SpendLogs"'
    unspent = " + ".join(
        f"(SELECT count(*) FROM \"{table}\" WHERE {column} LIKE '{PREFIX}-%' AND spend <= 0)"
        for table, column in (
            ("LiteLLM_VerificationToken", "key_alias"),
            ("LiteLLM_TeamTable", "team_id"),
            ("LiteLLM_UserTable", "user_id"),
        )
    )
    wait_until(
        lambda: int(db.psql(logs)) >= requests and int(db.psql(f"SELECT {unspent}")) == 0,
        SPEND_TIMEOUT,
        0.5,
        f"{requests} spend logs and the spend of every key, team and user in the database",
    )


def serves(url: str, keys: Keys) -> str:
    """'' when every key with budget left is answered and the spent one refused, else what went wrong."""
    try:
        for key in keys.spent:
            answer = chat(url, key)
            if answer.status_code != 200:
                return f"a key with budget left got {answer.status_code}: {one_line(answer.text)}"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {one_line(str(exc))}"
    return refuses(url, keys.exhausted)


def refuses(url: str, key: str) -> str:
    """'' when the key over its budget is refused for its budget (nothing spent), else what happened."""
    try:
        refused = chat(url, key)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {one_line(str(exc))}"
    if refused.status_code < 400 or "budget" not in refused.text.lower():
        return f"the key over its budget got {refused.status_code}: {one_line(refused.text)}"
    return ""


def probe(url: str, key: str, phase: str, done: Callable[[], bool]) -> Probe:
    """A request, and another every PROBE_INTERVAL until `done()` holds after one."""
    sent = answered = 0
    failure = ""
    while True:
        sent += 1
        try:
            answer = chat(url, key)
            if answer.status_code == 200:
                answered += 1
            elif not failure:
                failure = f"{answer.status_code}: {one_line(answer.text)}"
        except httpx.HTTPError as exc:
            failure = failure or f"{type(exc).__name__}: {exc}"
        if done():
            return Probe(phase, sent, answered, failure)
        time.sleep(PROBE_INTERVAL)


def post(url: str, path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{url}{path}", headers=headers, json=body, timeout=60)
    if answer.status_code != 200:
        raise RuntimeError(f"POST {path} answered {answer.status_code}: {one_line(answer.text)}")
    data: dict[str, Any] = answer.json()
    return data


def generate(url: str, admin: dict[str, str], body: dict[str, Any]) -> str:
    """A new virtual key (/key/generate with the master key)."""
    return str(post(url, "/key/generate", admin, body)["key"])


def chat(url: str, key: str) -> httpx.Response:
    body = {"model": PRICED, "messages": [{"role": "user", "content": "upgrade check"}]}
    return httpx.post(f"{url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, json=body, timeout=60)


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
