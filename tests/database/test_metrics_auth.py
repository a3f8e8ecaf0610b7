"""/metrics/ behind a key, as staging and prod render it, through the real proxy on real PostgreSQL:
the scraper key prod declares (config/access.yaml `prometheus`: allowed_routes [/metrics], its value
from a secret reference) is registered by gateway_access as the access Job does, and then reads the
metrics and nothing else; a scrape without a key, or with an ordinary virtual key, is refused."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from litellm_bundle.core.facts import METRICS_PATH
from tests.helpers import committed
from tests.integration.conftest import Stack

from .test_access import reconcile

pytestmark = pytest.mark.proxy


def scraper_only() -> tuple[dict[str, Any], str]:
    """Prod's rendered access.json reduced to the scraper key and its team (for the test's environment)."""
    prod = json.loads(committed("prod", "access.json"))
    key = prod["keys"]["prometheus"]
    team = prod["teams"][key["team"]]  # under an alias of its own: the access tests reconcile dev's teams
    document = {
        "environment": "metrics-test",
        "teams": {"metrics-scrapers": team},
        "keys": {"prometheus": {**key, "team": "metrics-scrapers"}},
    }
    return document, key["value_env"]


@pytest.fixture(scope="module")
def scraper(db_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    document, value_env = scraper_only()
    value = "sk-scraper-" + secrets.token_hex(16)
    done = reconcile(
        db_stack, tmp_path_factory.mktemp("scraper"), document, "apply", "--keys-to", "-", env={value_env: value}
    )
    assert done.returncode == 0, done.stderr
    assert "+ key prometheus" in done.stderr
    return value


def scrape(stack: Stack, key: str | None) -> httpx.Response:
    return httpx.get(
        f"{stack.url}{METRICS_PATH}", headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=30
    )


def test_a_scrape_without_a_key_is_refused(db_stack: Stack) -> None:
    answer = scrape(db_stack, None)
    assert answer.status_code == 401, answer.text[:300]
    assert "Unauthorized access to metrics endpoint" in answer.text


def test_the_declared_scraper_key_reads_the_metrics_and_nothing_else(db_stack: Stack, scraper: str) -> None:
    answer = scrape(db_stack, scraper)
    assert answer.status_code == 200 and "litellm_" in answer.text
    chat = httpx.post(
        f"{db_stack.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {scraper}"},
        timeout=30,
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
    )
    assert chat.status_code == 403 and "not allowed to call this route" in chat.text, chat.text[:300]


def test_an_ordinary_virtual_key_cannot_scrape(db_stack: Stack, tmp_path: Path) -> None:
    made = httpx.post(
        f"{db_stack.url}/key/generate",
        headers={"Authorization": f"Bearer {db_stack.key}"},
        json={"models": ["gpt-4o-mini"]},
        timeout=30,
    )
    assert made.status_code == 200, made.text
    assert scrape(db_stack, made.json()["key"]).status_code == 401
