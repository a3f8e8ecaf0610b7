"""Teams and keys as code, reconciled with the real proxy on real PostgreSQL (gateway_access plan/apply),
and what LiteLLM then enforces: models per key, budgets, rpm limits, spend logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from gateway_access import state
from litellm_bundle.core.facts import ACCESS_PACKAGE
from litellm_bundle.core.wait import wait_until
from litellm_bundle.runtime import postgres
from tests.helpers import ROOT
from tests.integration.conftest import Stack

from .conftest import PRICED, burst_until_429

pytestmark = pytest.mark.proxy

HOOKS = ROOT / "hooks"


def desired() -> dict[str, Any]:
    """An environment's access.json: two teams, keys with limits; one key value from a secret reference."""
    limits = {"max_budget": None, "budget_duration": None, "rpm_limit": None, "tpm_limit": None}
    return {
        "environment": "dev",
        "teams": {
            "search": {
                **limits,
                "models": ["gpt-4o-mini", PRICED],
                "max_budget": 100.0,
                "budget_duration": "30d",
                "metadata": {"cost_center": "4711"},
            },
            "support": {
                **limits,
                "models": ["gpt-4o", "gpt-4o-mini"],
                "rpm_limit": 600,
                "metadata": {"tags": ["support"]},
            },
        },
        "keys": {
            "search-backend": {
                **limits,
                "team": "search",
                "models": ["gpt-4o-mini"],
                "rpm_limit": 2,
                "metadata": {},
                "value_env": None,
                "allowed_routes": None,
            },
            "search-batch": {
                **limits,
                "team": "search",
                "models": [PRICED],
                "max_budget": 0.3,
                "metadata": {"owner": "batch"},
                "value_env": None,
                "allowed_routes": None,
            },
            "search-rich": {
                **limits,
                "team": "search",
                "models": [PRICED],
                "max_budget": 50.0,
                "metadata": {},
                "value_env": None,
                "allowed_routes": None,
            },
            "support-bot": {
                **limits,
                "team": "support",
                "models": ["gpt-4o-mini"],
                "metadata": {},
                "value_env": "SUPPORT_BOT_KEY",
                "allowed_routes": None,
            },
        },
    }


SUPPORT_BOT_KEY = "sk-support-bot-from-the-secret-store-0001"


def reconcile(
    stack: Stack, tmp_path: Path, document: dict[str, Any], action: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m gateway_access` as the in-cluster Job runs it: only the hooks directory on the path, in the
    access Job's pod sandbox from the rendered manifests (conftest.run_in_access_pod)."""
    from .conftest import run_in_access_pod

    file = tmp_path / "access.json"
    file.write_text(json.dumps(document))
    environ = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(HOOKS),
        "LITELLM_MASTER_KEY": stack.key,
        "SUPPORT_BOT_KEY": SUPPORT_BOT_KEY,
        **(env or {}),
    }
    argv = [sys.executable, "-m", ACCESS_PACKAGE, action, "--url", stack.url, "--desired", str(file), *extra]
    return run_in_access_pod(argv, environ, tmp_path)


def keys_file_values(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="module")
def applied(db_stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The declared access applied once; alias -> key value (generated ones from the key sink)."""
    work = tmp_path_factory.mktemp("access")
    keys = work / "keys.env"
    first = reconcile(db_stack, work, desired(), "plan")
    assert first.returncode == 3, first.stderr
    assert (
        "+ team search" in first.stderr and "+ key support-bot" in first.stderr and "plan: 6 to create" in first.stderr
    )
    done = reconcile(db_stack, work, desired(), "apply", "--keys-to", f"env-file:{keys}")
    assert done.returncode == 0, done.stderr
    assert "applied: 6 change(s)" in done.stderr
    assert keys.stat().st_mode & 0o077 == 0
    values = keys_file_values(keys)
    assert set(values) == {"LITELLM_KEY_SEARCH_BACKEND", "LITELLM_KEY_SEARCH_BATCH", "LITELLM_KEY_SEARCH_RICH"}, (
        "a key from a secret reference is not written out"
    )
    for value in values.values():
        assert value not in done.stdout + done.stderr, "a key value reached the output"
    return {
        "search-backend": values["LITELLM_KEY_SEARCH_BACKEND"],
        "search-batch": values["LITELLM_KEY_SEARCH_BATCH"],
        "search-rich": values["LITELLM_KEY_SEARCH_RICH"],
        "support-bot": SUPPORT_BOT_KEY,
        "_dir": str(work),
    }


def client(stack: Stack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.url}/v1", api_key=key, max_retries=0, timeout=60)


def chat(stack: Stack, key: str, model: str) -> Any:
    return client(stack, key).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hello there"}]
    )


def test_a_second_apply_changes_nothing(db_stack: Stack, applied: dict[str, str], tmp_path: Path) -> None:
    again = reconcile(db_stack, tmp_path, desired(), "plan")
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stderr
    assert reconcile(db_stack, tmp_path, desired(), "apply", "--keys-to", "-").stderr.count("applied: 0 change(s)") == 1


def test_a_key_is_limited_to_its_model_groups(db_stack: Stack, applied: dict[str, str]) -> None:
    assert chat(db_stack, applied["search-backend"], "gpt-4o-mini").choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError) as info:
        chat(db_stack, applied["search-backend"], "gpt-4o")
    assert "not available for this API key" in str(info.value)
    assert chat(db_stack, applied["support-bot"], "gpt-4o-mini").choices[0].message.content, (
        "the key value from the secret reference works"
    )


def test_a_key_over_its_budget_is_refused_and_one_under_it_is_served(db_stack: Stack, applied: dict[str, str]) -> None:
    refused = None
    for _ in range(6):  # each answer costs about $0.2 on the priced group; the budget is $0.3
        try:
            chat(db_stack, applied["search-batch"], PRICED)
        except openai.APIStatusError as exc:
            refused = exc
            break
    assert refused is not None and refused.status_code == 422 and "budget_exceeded" in str(refused), refused
    assert chat(db_stack, applied["search-rich"], PRICED).choices[0].message.content


def test_per_key_rpm_is_enforced_with_429(db_stack: Stack, applied: dict[str, str]) -> None:
    # rpm_limit 2: a burst of six requests puts three or more into one of LiteLLM's 60-second windows,
    # wherever a window ends (no waiting for the start of one)
    statuses = burst_until_429(db_stack, applied["search-backend"])
    assert 429 in statuses, statuses


def test_spend_lands_in_the_spend_logs(db_stack: Stack, applied: dict[str, str], database: postgres.Postgres) -> None:
    from gateway_access.plan import token_of

    chat(db_stack, applied["search-rich"], PRICED)
    token = token_of(applied["search-rich"])
    logged = f"SELECT count(*) FROM \"LiteLLM_SpendLogs\" WHERE api_key = '{token}' AND spend > 0"
    spent = f"SELECT spend FROM \"LiteLLM_VerificationToken\" WHERE token = '{token}'"
    wait_until(  # spend is written in batches (proxy_batch_write_at: 1 s here)
        lambda: int(database.psql(logged)) > 0 and float(database.psql(spent) or 0) > 0,
        30,
        0.5,
        "a spend log row for the key and the key's spend updated",
    )


def test_a_manual_change_is_drift_that_apply_undoes(db_stack: Stack, applied: dict[str, str], tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {db_stack.key}"}
    httpx.post(
        f"{db_stack.url}/key/update",
        headers=headers,
        json={"key": applied["search-rich"], "max_budget": 999.0},
        timeout=30,
    ).raise_for_status()
    plan = reconcile(db_stack, tmp_path, desired(), "plan")
    assert plan.returncode == 3 and "~ key search-rich: max_budget 999.0 -> 50.0" in plan.stderr, plan.stderr
    assert reconcile(db_stack, tmp_path, desired(), "apply", "--keys-to", "-").returncode == 0
    assert reconcile(db_stack, tmp_path, desired(), "plan").returncode == 0


def test_undeclared_objects_are_deleted_only_with_prune(
    db_stack: Stack, applied: dict[str, str], tmp_path: Path
) -> None:
    fewer = desired()
    del fewer["keys"]["search-batch"]
    kept = reconcile(db_stack, tmp_path, fewer, "apply", "--keys-to", "-")
    assert kept.returncode == 0 and "not declared, kept without --prune: key search-batch" in kept.stderr
    pruned = reconcile(db_stack, tmp_path, fewer, "apply", "--prune", "--keys-to", "-")
    assert pruned.returncode == 0 and "- key search-batch" in pruned.stderr
    with pytest.raises(openai.AuthenticationError):
        chat(db_stack, applied["search-batch"], PRICED)
    assert reconcile(db_stack, tmp_path, fewer, "plan").returncode == 0
    restored = reconcile(db_stack, tmp_path, desired(), "apply", "--keys-to", f"env-file:{tmp_path / 'again.env'}")
    assert restored.returncode == 0 and "+ key search-batch" in restored.stderr


def test_rotation_gives_a_new_value_and_the_old_one_stops_working(
    db_stack: Stack, applied: dict[str, str], tmp_path: Path
) -> None:
    keys = tmp_path / "rotated.env"
    rotated = reconcile(
        db_stack, tmp_path, desired(), "apply", "--rotate", "search-rich", "--keys-to", f"env-file:{keys}"
    )
    assert rotated.returncode == 0 and "± key search-rich" in rotated.stderr, rotated.stderr
    new = keys_file_values(keys)["LITELLM_KEY_SEARCH_RICH"]
    assert new != applied["search-rich"]
    assert chat(db_stack, new, PRICED).choices[0].message.content
    with pytest.raises(openai.AuthenticationError):
        chat(db_stack, applied["search-rich"], PRICED)
    # a key from a secret reference rotates when the secret changes
    changed = reconcile(
        db_stack,
        tmp_path,
        desired(),
        "apply",
        "--keys-to",
        "-",
        env={"SUPPORT_BOT_KEY": "sk-support-bot-rotated-in-the-store-0002"},
    )
    assert changed.returncode == 0 and "± key support-bot" in changed.stderr
    assert chat(db_stack, "sk-support-bot-rotated-in-the-store-0002", "gpt-4o-mini").choices[0].message.content
    back = reconcile(db_stack, tmp_path, desired(), "apply", "--keys-to", "-")
    assert back.returncode == 0 and "± key support-bot" in back.stderr


def test_refuses_to_take_over_what_it_does_not_manage(db_stack: Stack, applied: dict[str, str], tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {db_stack.key}"}
    httpx.post(
        f"{db_stack.url}/key/generate",
        headers=headers,
        json={"key_alias": "hand-made", "models": ["gpt-4o-mini"]},
        timeout=30,
    ).raise_for_status()
    more = desired()
    more["keys"]["hand-made"] = {**more["keys"]["search-backend"]}
    refused = reconcile(db_stack, tmp_path, more, "plan")
    assert refused.returncode == 1 and "key 'hand-made' exists but is not managed by the bundle" in refused.stderr
    assert reconcile(db_stack, tmp_path, desired(), "plan", "--prune").returncode == 0, (
        "pruning never touches what others made"
    )


def with_key(alias: str, team: str = "search", **fields: Any) -> dict[str, Any]:
    """desired() with one more generated key (each test below its own, so the tests do not depend on order)."""
    document = desired()
    document["keys"][alias] = {**document["keys"]["search-rich"], "team": team, "metadata": {}, **fields}
    return document


def master(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{stack.url}{path}", headers={"Authorization": f"Bearer {stack.key}"}, json=body, timeout=30)
    response.raise_for_status()
    return dict(response.json())


def authenticates(stack: Stack, value: str) -> bool:
    return httpx.get(f"{stack.url}/key/info", headers={"Authorization": f"Bearer {value}"}, timeout=30).is_success


def stopped_run(marker: str) -> int | None:
    """The pid of a stopped process whose environment holds `marker` (a reconciler run stopped by the test)."""
    for proc in Path("/proc").iterdir():
        try:
            stopped = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
            if stopped and marker.encode() in (proc / "environ").read_bytes():
                return int(proc.name)
        except (OSError, ValueError, IndexError):
            continue
    return None


def test_a_rotation_survives_a_failing_sink_and_killed_runs(db_stack: Stack, tmp_path: Path) -> None:
    document, keys = with_key("rotor"), tmp_path / "rotor.env"
    created = reconcile(db_stack, tmp_path, document, "apply", "--keys-to", f"env-file:{keys}")
    assert created.returncode == 0, created.stderr
    first = keys_file_values(keys)["LITELLM_KEY_ROTOR"]
    # the sink fails (no Kubernetes service account here): the old key keeps working, the new one waits
    failed = reconcile(db_stack, tmp_path, document, "apply", "--rotate", "rotor", "--keys-to", "k8s-secret:keys")
    assert failed.returncode == 1 and "serviceaccount" in failed.stderr, failed.stderr
    assert authenticates(db_stack, first)
    plan = reconcile(db_stack, tmp_path, document, "plan")
    assert plan.returncode == 3 and "± key rotor: redo the rotation an earlier run began" in plan.stderr, plan.stderr
    done = reconcile(db_stack, tmp_path, document, "apply", "--keys-to", f"env-file:{keys}")
    assert done.returncode == 0, done.stderr
    second = keys_file_values(keys)["LITELLM_KEY_ROTOR"]
    assert second != first and authenticates(db_stack, second) and not authenticates(db_stack, first)
    # killed after the new key was created, before the sink: the next run makes another and delivers it
    signal_at = "GATEWAY_ACCESS_TEST_SIGNAL_AT"
    # a short lease, so that a killed run's expires soon; long enough for a run on a busy machine to reach the
    # step it is killed at (1 s was not: a run stopped itself before it, having outlived its lease)
    rotate = ("apply", "--rotate", "rotor", "--keys-to", f"env-file:{keys}", "--lease-ttl", "5")
    killed = reconcile(db_stack, tmp_path, document, *rotate, env={signal_at: "created:KILL"})
    assert killed.returncode != 0 and keys_file_values(keys)["LITELLM_KEY_ROTOR"] == second
    assert authenticates(db_stack, second)
    runs: list[subprocess.CompletedProcess[str]] = []
    wait_until(  # the killed run's lease (5 s) expires; until then a run is refused with exit 4
        lambda: (
            runs.append(reconcile(db_stack, tmp_path, document, "apply", "--keys-to", f"env-file:{keys}"))
            or runs[-1].returncode != 4
        ),
        60,
        0.5,
        "the killed run's lease to expire",
    )
    assert runs[-1].returncode == 0 and "never reached the sink" in runs[-1].stderr, runs[-1].stderr
    third = keys_file_values(keys)["LITELLM_KEY_ROTOR"]
    assert third != second and authenticates(db_stack, third) and not authenticates(db_stack, second)
    # killed after the new key reached the sink, before the old one was retired: the next run retires it
    killed = reconcile(db_stack, tmp_path, document, *rotate, env={signal_at: "delivered:KILL"})
    fourth = keys_file_values(keys)["LITELLM_KEY_ROTOR"]
    assert killed.returncode != 0 and fourth != third
    assert authenticates(db_stack, third) and authenticates(db_stack, fourth), "both work until the old one retires"
    runs.clear()
    wait_until(
        lambda: (
            runs.append(reconcile(db_stack, tmp_path, document, "apply", "--keys-to", "-")) or runs[-1].returncode != 4
        ),
        60,
        0.5,
        "the killed run's lease to expire",
    )
    assert runs[-1].returncode == 0 and "± key rotor: finish the rotation" in runs[-1].stderr, runs[-1].stderr
    assert not authenticates(db_stack, third) and authenticates(db_stack, fourth)
    again = reconcile(db_stack, tmp_path, document, "plan")
    assert again.returncode == 0 and "no changes" in again.stderr, again.stderr


def test_one_apply_at_a_time(db_stack: Stack, tmp_path: Path) -> None:
    document, keys = with_key("leased"), tmp_path / "leased.env"
    marker = f"created:STOP:{tmp_path.name}"  # unique to this test's stopped run
    first: list[subprocess.CompletedProcess[str]] = []
    holder = threading.Thread(
        target=lambda: first.append(
            reconcile(
                db_stack,
                tmp_path / "a",
                document,
                "apply",
                "--keys-to",
                f"env-file:{keys}",
                env={"GATEWAY_ACCESS_TEST_SIGNAL_AT": marker},
            )
        )
    )
    (tmp_path / "a").mkdir()
    holder.start()
    try:
        wait_until(lambda: stopped_run(marker) is not None, 60, 0.2, "the first run to stop while holding the lease")
        second = reconcile(db_stack, tmp_path, document, "apply", "--keys-to", "-")
        assert second.returncode == 4, second.stderr
        assert "another run holds the access lease of environment 'dev'" in second.stderr
        assert "nothing was changed" in second.stderr
    finally:
        pid = stopped_run(marker)
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        holder.join(120)
    assert first and first[0].returncode == 0, first[0].stderr if first else "the first run did not end"
    assert authenticates(db_stack, keys_file_values(keys)["LITELLM_KEY_LEASED"])


def test_prune_refuses_to_delete_a_team_holding_keys_it_does_not_own(db_stack: Stack, tmp_path: Path) -> None:
    document = desired()
    document["teams"]["doomed"] = {**document["teams"]["support"], "metadata": {}}
    document["keys"]["doomed-bot"] = {**document["keys"]["search-rich"], "team": "doomed", "models": ["gpt-4o-mini"]}
    assert reconcile(db_stack, tmp_path, document, "apply", "--keys-to", "-").returncode == 0
    team_id = next(
        t["team_id"]
        for t in httpx.get(
            f"{db_stack.url}/team/list", headers={"Authorization": f"Bearer {db_stack.key}"}, timeout=30
        ).json()
        if t.get("team_alias") == "doomed"
    )
    theirs = master(
        db_stack, "/key/generate", {"key_alias": "hand-kept", "team_id": team_id, "models": ["gpt-4o-mini"]}
    )
    refused = reconcile(db_stack, tmp_path, desired(), "apply", "--prune", "--keys-to", "-")
    assert refused.returncode == 1, refused.stderr
    assert "team 'doomed' is no longer declared, but LiteLLM deletes a team's keys with it" in refused.stderr
    assert "the reconciler does not own: hand-kept" in refused.stderr
    assert authenticates(db_stack, theirs["key"]), "the hand-made key is still there"
    master(db_stack, "/key/delete", {"key_aliases": ["hand-kept"]})
    pruned = reconcile(db_stack, tmp_path, desired(), "apply", "--prune", "--keys-to", "-")
    assert pruned.returncode == 0 and "- team doomed" in pruned.stderr and "- key doomed-bot" in pruned.stderr


def test_a_key_made_ahead_with_a_forged_mark_is_not_adopted(db_stack: Stack, tmp_path: Path) -> None:
    forged = {state.MANAGED_BY: state.mark(desired()), state.PROOF: "0" * 64}  # the mark, copied; a made-up proof
    ahead = master(db_stack, "/key/generate", {"key_alias": "claimed", "models": ["gpt-4o-mini"], "metadata": forged})
    refused = reconcile(db_stack, tmp_path, with_key("claimed"), "apply", "--keys-to", "-")
    assert refused.returncode == 1, refused.stderr
    assert "key 'claimed' carries the bundle's mark but not the reconciler's proof" in refused.stderr
    assert "not adopted" in refused.stderr
    assert authenticates(db_stack, ahead["key"]), "left alone, not taken over"
    master(db_stack, "/key/delete", {"key_aliases": ["claimed"]})


def test_bad_input_is_a_clear_error_not_a_traceback(db_stack: Stack, tmp_path: Path) -> None:
    broken = desired()
    broken["keys"]["search-backend"]["rpm_limit"] = "many"
    result = reconcile(db_stack, tmp_path, broken, "plan")
    assert (
        result.returncode == 1 and "keys.search-backend.rpm_limit" in result.stderr and "Traceback" not in result.stderr
    )
    missing = reconcile(db_stack, tmp_path, desired(), "plan", env={"SUPPORT_BOT_KEY": ""})
    assert missing.returncode == 1 and "takes its value from $SUPPORT_BOT_KEY, which is not set" in missing.stderr
    unreachable = subprocess.run(
        [
            sys.executable,
            "-m",
            ACCESS_PACKAGE,
            "plan",
            "--url",
            "http://127.0.0.1:9",
            "--desired",
            str(tmp_path / "access.json"),
        ],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(HOOKS), "LITELLM_MASTER_KEY": "sk-x"},
    )
    assert (
        unreachable.returncode == 1 and "ConnectError" in unreachable.stderr and "Traceback" not in unreachable.stderr
    )


def test_the_cli_reconciles_the_shipped_access_of_dev(db_stack: Stack, applied: dict[str, str], tmp_path: Path) -> None:
    """`python -m litellm_bundle access plan|apply --env dev`: config/access.yaml rendered in memory, then the
    same gateway_access code; runs last, it takes the proxy over to the shipped teams and keys."""
    cli = [sys.executable, "-m", "litellm_bundle", "--root", str(ROOT), "access"]
    env = {**os.environ, "LITELLM_MASTER_KEY": db_stack.key}
    keys = tmp_path / "shipped.env"
    plan = subprocess.run(
        [*cli, "plan", "--url", db_stack.url, "--env", "dev", "--prune"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert plan.returncode == 3 and "+ team platform" in plan.stderr and "- key search-batch" in plan.stderr, (
        plan.stderr
    )
    done = subprocess.run(
        [*cli, "apply", "--url", db_stack.url, "--env", "dev", "--prune", "--keys-to", f"env-file:{keys}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    values = keys_file_values(keys)
    assert set(values) == {"LITELLM_KEY_PLATFORM_CI"}, (
        "only new keys get a value; search-backend existed and was updated"
    )
    assert "~ key search-backend" in done.stderr
    assert chat(db_stack, applied["search-backend"], "long-context").choices[0].message.content, (
        "an updated key keeps its value"
    )
    assert chat(db_stack, values["LITELLM_KEY_PLATFORM_CI"], "gpt-4o-mini").choices[0].message.content
    with pytest.raises(openai.PermissionDeniedError):
        chat(db_stack, values["LITELLM_KEY_PLATFORM_CI"], "gpt-4o")  # platform-ci may call gpt-4o-mini only
    again = subprocess.run(
        [*cli, "plan", "--url", db_stack.url, "--env", "dev", "--prune"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert again.returncode == 0 and "no changes" in again.stderr, again.stderr
