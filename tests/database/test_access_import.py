"""`access import --url`: a database populated through the real management API (more keys than one page of
/key/list) brought into access.yaml and adopted; `access plan` against the same proxy then shows no change.
The test's objects are deleted at the end: the shared proxy's database stays as the other modules expect."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway_access import state
from litellm_bundle.cli.main import main
from litellm_bundle.core import facts
from tests.helpers import ROOT
from tests.integration.conftest import Stack

pytestmark = pytest.mark.proxy

TEAMS = 30  # with an alias; plus NAMELESS_TEAMS without, one allowed every model, one with an alias to rename
NAMELESS_TEAMS = 5
KEYS_PER_TEAM = 4  # 120 keys: more than one page of /key/list (100)
MODELS = ["gpt-4o-mini", "text-embedding"]  # model groups dev enables
FORGED = {state.MANAGED_BY: state.mark({"environment": "dev"})}  # the mark without the proof


class Made:
    def __init__(self) -> None:
        self.teams: dict[str, dict[str, Any]] = {}  # team_id -> what the API answered
        self.keys: dict[str, dict[str, Any]] = {}  # token -> what the API answered (with the value)
        self.seconds = 0.0


def _post(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code == 200, (path, body, answer.text)
    return dict(answer.json())


def _team(number: int) -> dict[str, Any]:
    body: dict[str, Any] = {"models": MODELS[: 1 + number % 2]}
    if number < TEAMS:
        body["team_alias"] = f"imported-team-{number:02d}"
    if number % 3 == 0:
        body.update(max_budget=50.0 + number, budget_duration="30d")
    if number % 4 == 0:
        body.update(rpm_limit=100 + number, metadata={"cost_center": f"{7000 + number}", "tags": ["imported"]})
    return body


def _key(number: int, team_id: str, models: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"team_id": team_id}
    if number % 10 != 7:
        body["key_alias"] = f"imported-key-{number:03d}"
    if number % 2 == 0:
        body["models"] = models[:1]  # else none: LiteLLM's "the team's models"
    if number % 5 == 0:
        body.update(max_budget=1.5, tpm_limit=10_000, metadata={"owner": f"service-{number}"})
    return body


@pytest.fixture(scope="module")
def populated(db_stack: Stack) -> Iterator[Made]:
    """Teams and keys made by hand through the management API (concurrently), deleted afterwards."""
    made = Made()
    headers = {"Authorization": f"Bearer {db_stack.key}"}
    with httpx.Client(base_url=db_stack.url, headers=headers, timeout=60) as client, ThreadPoolExecutor(8) as pool:
        try:
            start = time.monotonic()
            bodies = [_team(n) for n in range(TEAMS + NAMELESS_TEAMS)]
            bodies += [
                {"team_alias": "every-model-team", "models": []},
                {"team_alias": "Ops Team (EU)", "models": MODELS},
            ]
            for answer in pool.map(lambda body: _post(client, "/team/new", body), bodies):
                made.teams[answer["team_id"]] = answer
            team_ids = sorted(t for t, team in made.teams.items() if team.get("models"))
            bodies = [
                _key(n, team_ids[n % len(team_ids)], made.teams[team_ids[n % len(team_ids)]]["models"])
                for n in range(TEAMS * KEYS_PER_TEAM)
            ]
            every = next(t for t, team in made.teams.items() if team.get("team_alias") == "every-model-team")
            bodies += [
                {"key_alias": "imported-teamless"},
                {"key_alias": "imported-forged", "team_id": team_ids[0], "metadata": FORGED},
                {"key_alias": "imported-in-every-model-team", "team_id": every},
            ]
            for answer in pool.map(lambda body: _post(client, "/key/generate", body), bodies):
                made.keys[answer["token"]] = answer
            made.seconds = time.monotonic() - start
            print(f"populated {len(made.teams)} teams and {len(made.keys)} keys in {made.seconds:.1f}s")
            yield made
        finally:
            if made.keys:
                _post(client, "/key/delete", {"keys": sorted(made.keys)})
            if made.teams:
                _post(client, "/team/delete", {"team_ids": sorted(made.teams)})


def _cli(*args: str) -> int:
    return main(["--root", str(ROOT), "access", *args])


def test_import_then_plan_shows_no_change(
    db_stack: Stack,
    populated: Made,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert len(populated.teams) + len(populated.keys) >= 150
    config = tmp_path / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "access.yaml").unlink()  # only what the import brings in is declared
    monkeypatch.setenv("LITELLM_MASTER_KEY", db_stack.key)
    where = ["--url", db_stack.url, "--env", "dev", "--config", str(config)]

    start = time.monotonic()
    assert _cli("import", *where) == facts.EXIT_OK, capsys.readouterr().err
    print(f"import: {time.monotonic() - start:.1f}s")
    out, err = capsys.readouterr()
    text = (config / "access.yaml").read_text()
    for token, key in populated.keys.items():
        assert token not in text + out + err and key["key"] not in text + out + err, "a key value left the proxy"

    derived = [line for line in err.splitlines() if "derived alias:" in line]
    assert sum("team (no alias" in line for line in derived) == NAMELESS_TEAMS, derived
    assert sum("key (no alias" in line for line in derived) == 12, derived  # every tenth of 120
    assert any("team 'Ops Team (EU)' -> ops-team-eu-" in line for line in derived), derived
    assert "team 'every-model-team': not imported: it may call every model" in err
    assert "key 'imported-in-every-model-team': not imported: its team" in err
    assert "key 'imported-teamless': not imported: it belongs to no team" in err
    assert "key 'imported-forged': carries the bundle's mark for dev but not the reconciler's proof" in err

    start = time.monotonic()
    assert _cli("plan", *where) == facts.EXIT_OK, capsys.readouterr().err
    print(f"plan: {time.monotonic() - start:.1f}s")
    assert "no changes: the proxy matches the declared access" in capsys.readouterr().err

    headers = {"Authorization": f"Bearer {db_stack.key}"}
    live = httpx.get(f"{db_stack.url}/key/list", params={"return_full_object": "true", "size": 100}, headers=headers)
    assert live.status_code == 200 and live.json()["total_pages"] > 1, "more keys than one page"
    one = next(k for k in populated.keys.values() if k.get("key_alias") == "imported-key-001")
    info = httpx.get(f"{db_stack.url}/key/info", headers={"Authorization": f"Bearer {one['key']}"}, timeout=30)
    assert info.status_code == 200, "an imported key keeps its value"

    assert _cli("import", *where) == facts.EXIT_OK  # a second import finds everything declared
    err = capsys.readouterr().err
    assert "imported 0 team(s) and 0 key(s)" in err and "derived alias:" not in err
    assert (config / "access.yaml").read_text() == text
