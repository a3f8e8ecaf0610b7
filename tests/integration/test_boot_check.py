"""The boot check (`make check-config`) with the real pinned proxy: every shipped environment boots, and
so do the import corpus (tests/corpus: most of it in one config, the configs of LiteLLM's other top-level
sections as rendered) and the example configs the pinned wheel ships (tests/wheel_corpus.py). Starts are
the expensive part: one per environment, and the corpora in as few as fit, configs sharing a start where
nothing of theirs collides (tests/boot_packing.py), so each boots exactly as rendered. A shared start that
fails is booted again config by config, so each failure is a config's own (and the data file's, for a
wheel config listed with a boot-time genuine error: it boots alone and fails with exactly the listed
messages). A broken config is reported, not booted quietly. (Import, validate, render of the corpora:
tests/unit/test_import_corpus.py, tests/unit/test_wheel_corpus.py.)"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.facts import FALLBACK_KINDS, HOOKS_PACKAGE
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.importer import convert
from litellm_bundle.model import team_code
from litellm_bundle.runtime import boot_check
from tests.boot_packing import Rendered, boot, pack, said
from tests.helpers import ROOT, checkout_tree
from tests.wheel_corpus import PROXY_DIR, configs, listed, name, run

pytestmark = pytest.mark.proxy
CORPUS = sorted((ROOT / "tests" / "corpus").glob("*.yaml"))
# start names: the corpus in one config (combine), corpus/<stem> for the others, wheel/<file> for the wheel's
COMBINED_NAME = "corpus"
ENVS = ("dev", "staging", "prod")
# proxy starts under way at once: a start is the proxy's import, CPU-bound on one core; in `make test` the other
# xdist worker has the machine's other core, and a third CPU-bound process would slow its load tests
AT_ONCE = 1


@dataclass
class Boots:
    """The module's proxy starts, under way from its first test on: each shipped environment's boot check
    (`make check-config`), the corpora rendered meanwhile (by start name: the corpus in one config, the
    corpus configs of the other sections, the wheel configs that import), then booted: what the boot
    check said of each config (said(): [] when it booted)."""

    environments: dict[str, Future[boot_check.Boot]]
    corpora: dict[str, Rendered]
    said: Future[dict[str, list[str]]]


@pytest.fixture(scope="module")
def boots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Boots]:
    tree, work = checkout_tree(), tmp_path_factory.mktemp("boots")

    def check(env: str) -> boot_check.Boot:
        [result] = boot_check.check_environments(tree, [env], work / "environments")
        return result

    with ThreadPoolExecutor(AT_ONCE) as starts, ThreadPoolExecutor(1) as waits:
        environments = {env: starts.submit(check, env) for env in ENVS}
        corpora = _corpora()  # here (the importer's command line redirects stdout) while the environments boot
        yield Boots(environments, corpora, waits.submit(_boot_corpora, corpora, starts, work / "corpora"))


@pytest.mark.parametrize("env", ENVS)
def test_shipped_environment_boots(env: str, boots: Boots) -> None:
    tree = checkout_tree()
    result = boots.environments[env].result()
    assert not result.failures, str(result)
    config, _, _ = boot_check.rendered(tree, env)
    assert result.models == boot_check.expected(config)[0] and len(result.models) >= 5
    # what each environment serves besides the API was checked against the running proxy
    assert (
        result.surfaces
        == {"dev": [], "staging": ["metrics", "api_docs"], "prod": ["metrics", "admin_ui", "api_docs", "cors"]}[env]
    )


def _rendered(tree: BundleTree, source: Path) -> tuple[dict[str, Any], str]:
    imported = convert.import_config(tree, source, "dev").imported
    assert imported is not None, f"{source.name} does not import"
    with tempfile.TemporaryDirectory() as tmp:
        convert.write_files(Path(tmp) / "config", imported.files)
        files = render_one(BundleTree.at(tree.root, config_dir=Path(tmp) / "config"), "dev")
    doc, _ = parse_yaml(files["config.yaml"], str(source))
    assert doc is not None
    return doc.data, files["hooks.json"]


def _wheel_rendered(source: Path, work: Path) -> Rendered:
    """A wheel config imported through the command line and rendered for dev, with the team's code the
    import wrote."""
    into = work / "config"
    imported = run("import", str(source), "--into", str(into), "--format", "json")
    assert imported.code == 0, f"{name(source)} does not import: {imported.problems()}"
    tree = BundleTree.at(ROOT, config_dir=into)
    files = render_one(tree, "dev")
    doc, _ = parse_yaml(files["config.yaml"], name(source))
    assert doc is not None
    return Rendered(doc.data, files["hooks.json"], team_code.load(tree).files)


# the top-level sections combine() joins (renaming what names collide); a corpus config with another
# section (mcp_servers, search_tools, policies, ...: their names refer to each other) boots unrenamed
COMBINED = {
    "model_list",
    "litellm_settings",
    "general_settings",
    "router_settings",
    "guardrails",
    "credential_list",
    "environment_variables",
    "callback_settings",
}


def combine(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One config serving every config's deployments, guardrails, callbacks and settings: names
    prefixed by the config's (so nothing collides), lists joined, other settings first come."""
    out: dict[str, Any] = {
        "model_list": [],
        "litellm_settings": {},
        "general_settings": {},
        "router_settings": {},
        "guardrails": [],
    }
    for prefix, config in configs.items():
        config = copy.deepcopy(config)
        group = {m["model_name"]: f"{prefix}/{m['model_name']}" for m in config.get("model_list", [])}
        credential = {
            c["credential_name"]: f"{prefix}-{c['credential_name']}" for c in config.get("credential_list", [])
        }
        for entry in config.get("model_list", []):
            entry["model_name"] = group[entry["model_name"]]
            entry["model_info"]["id"] = f"{prefix}-{entry['model_info']['id']}"
            params = entry["litellm_params"]
            if "litellm_credential_name" in params:
                params["litellm_credential_name"] = credential[params["litellm_credential_name"]]
            out["model_list"].append(entry)
        for item in config.get("credential_list", []):
            out.setdefault("credential_list", []).append(
                {**item, "credential_name": credential[item["credential_name"]]}
            )
        for guardrail in config.get("guardrails", []):
            if not guardrail["litellm_params"]["guardrail"].startswith(f"{HOOKS_PACKAGE}."):
                out["guardrails"].append({**guardrail, "guardrail_name": f"{prefix}-{guardrail['guardrail_name']}"})
            elif guardrail not in out["guardrails"]:
                out["guardrails"].append(guardrail)
        router = config.get("router_settings", {})
        for alias, target in router.pop("model_group_alias", {}).items():
            renamed = {**target, "model": group[target["model"]]} if isinstance(target, dict) else group[target]
            out["router_settings"].setdefault("model_group_alias", {})[f"{prefix}/{alias}"] = renamed
        for kind in FALLBACK_KINDS:
            for item in router.pop(kind, []):
                out["router_settings"].setdefault(kind, []).append(
                    {group[k]: [group[t] for t in v] for k, v in item.items()}
                )
        for key, value in router.items():
            out["router_settings"].setdefault(key, value)
        for key, value in config.get("litellm_settings", {}).items():
            current = out["litellm_settings"].get(key)
            if isinstance(current, list) and isinstance(value, list):
                out["litellm_settings"][key] = current + [v for v in value if v not in current]
            else:
                out["litellm_settings"].setdefault(key, value)
        for key, value in config.get("general_settings", {}).items():
            if key == "pass_through_endpoints":
                out["general_settings"].setdefault(key, []).extend(value)
            else:
                out["general_settings"].setdefault(key, value)
        for key in ("environment_variables", "callback_settings"):
            out.setdefault(key, {}).update(config.get(key, {}))
    return out


def _corpora() -> dict[str, Rendered]:
    """Every config the corpus tests boot, by start name."""
    tree = checkout_tree()
    joined: dict[str, dict[str, Any]] = {}
    sections: dict[str, Rendered] = {}
    hooks = ""
    for source in CORPUS:
        config, rendered_hooks = _rendered(tree, source)
        if set(config) <= COMBINED:
            joined[source.stem], hooks = config, rendered_hooks
        else:
            sections[f"corpus/{source.stem}"] = Rendered(config, rendered_hooks)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = {
            f"wheel/{name(source)}": _wheel_rendered(source, Path(tmp) / name(source).replace("/", "_"))
            for source in configs()
            if listed(source, "import") is None
        }
    return {COMBINED_NAME: Rendered(combine(joined), hooks), **sections, **wheel}


def _listed_at_boot(start_name: str) -> list[str] | None:
    """The messages the data file lists for a wheel config with a boot-time genuine error, or None."""
    if not start_name.startswith("wheel/"):
        return None
    problems = listed(PROXY_DIR / start_name.removeprefix("wheel/"), "boot")
    return None if problems is None else [p["message"] for p in problems]


def _boot_corpora(corpora: dict[str, Rendered], starts: ThreadPoolExecutor, work: Path) -> dict[str, list[str]]:
    """What the boot check said of each config: every config in as few starts as fit; a config listed with
    a boot-time error alone; a shared start that fails once more config by config."""
    solo = [n for n in corpora if _listed_at_boot(n) is not None]
    groups = pack({n: r for n, r in corpora.items() if n not in solo}) + [([n], corpora[n]) for n in solo]
    first = [starts.submit(boot, " + ".join(names), one, work / f"boot-{i}") for i, (names, one) in enumerate(groups)]
    results: dict[str, Future[boot_check.Boot]] = {}
    for index, ((names, _), result) in enumerate(zip(groups, first, strict=True)):
        if len(names) == 1 or not result.result().failures:
            results.update(dict.fromkeys(names, result))
            continue
        for position, config_name in enumerate(names):
            alone = work / f"boot-{index}-{position}"
            results[config_name] = starts.submit(boot, config_name, corpora[config_name], alone)
    return {config_name: said(result.result()) for config_name, result in results.items()}


def test_corpus_boots_in_one_config(boots: Boots) -> None:
    assert boots.said.result()[COMBINED_NAME] == []
    config = boots.corpora[COMBINED_NAME].config
    models, callbacks, guardrails = boot_check.expected(config)
    assert len(CORPUS) >= 20 and len(models) > len(CORPUS)
    # what the corpus is for: these kinds of callbacks and guardrails really load
    for wanted in ("langfuse", "otel", "datadog", "s3", "prometheus"):
        assert wanted in callbacks
    for kind in ("presidio", "lakera_v2", "bedrock", "aporia"):
        assert any(g["litellm_params"]["guardrail"] == kind for g in config["guardrails"])
    assert len(guardrails) >= 5


def test_corpus_sections_boot(boots: Boots) -> None:
    """The corpus configs of LiteLLM's other top-level sections (MCP servers, search tools, vector stores,
    guardrail policies, files and fine-tuning) boot as rendered."""
    booted = boots.said.result()
    rendered = {n: r for n, r in boots.corpora.items() if n.startswith("corpus/")}
    sections = {section for one in rendered.values() for section in one.config} - COMBINED
    assert {"mcp_servers", "search_tools", "vector_store_registry", "policies", "policy_attachments"} <= sections
    assert {"files_settings", "finetune_settings"} <= sections
    assert {n: booted[n] for n in rendered if booted[n]} == {}


def test_the_wheel_configs_boot(boots: Boots) -> None:
    """Every wheel config that imports boots, or fails with exactly what the data file lists for it."""
    booted = boots.said.result()
    wheel = [n for n in boots.corpora if n.startswith("wheel/")]
    assert len(wheel) >= 20
    wanted = {n: _listed_at_boot(n) or [] for n in wheel}
    assert {n: booted[n] for n in wheel if booted[n] != wanted[n]} == {}, f"listed: {wanted}"
