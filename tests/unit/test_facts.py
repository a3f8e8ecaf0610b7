"""Each fact of litellm_bundle/core/facts.py is written once. What cannot import it (the chart, the hooks, the
fake provider, the Makefile, scripts/load.js and smoke.sh, tools/kube/build.sh) is held equal to it here, and
no file may write one of its literals again outside ALLOWED."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.checks.hooks_index import HooksIndex
from litellm_bundle.core import facts
from tests.helpers import ROOT, checkout_tree

TREE = checkout_tree()
CHART = TREE.chart_dir
TEMPLATES = CHART / "templates"


def _text(relative: str) -> str:
    return (ROOT / relative).read_text(encoding="utf-8")


def _yaml(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


# --- what cannot import the facts, held equal ----------------------------------------------------------


def test_the_chart_is_named_and_placed_after_the_fact() -> None:
    assert CHART.name == facts.CHART and _yaml(CHART / "Chart.yaml")["name"] == facts.CHART
    assert f"- name: {facts.CHART}." in (TEMPLATES / "prometheusrule.yaml").read_text()  # the rule group
    assert (CHART / "files" / "dashboards" / f"{facts.CHART}.json").is_file()  # Compose's Grafana home dashboard


def test_the_charts_defaults_carry_the_image_and_the_port() -> None:
    values = _yaml(CHART / "values.yaml")
    assert values["image"]["repository"] == facts.IMAGE_REPOSITORY
    assert values["proxy"]["port"] == values["service"]["port"] == facts.PROXY_PORT
    chart_enum = json.loads((CHART / "values.schema.json").read_text())["properties"]["image"]["properties"]
    source_enum = json.loads((TREE.root / "policies" / "schemas" / "environment.schema.json").read_text())
    images = {facts.IMAGE_REPOSITORY, facts.DATABASE_IMAGE_REPOSITORY}
    assert images <= set(chart_enum["repository"]["enum"])
    assert all(f'"{image}"' in json.dumps(source_enum) for image in images)


def test_the_chart_templates_probe_scrape_and_mount_what_the_facts_say() -> None:
    deployment = (TEMPLATES / "deployment.yaml").read_text()
    assert f"path: {facts.LIVENESS_PATH}\n" in deployment and f"path: {facts.READINESS_PATH}\n" in deployment
    assert f"prometheus.io/path: {facts.METRICS_PATH}\n" in deployment
    assert f"- name: {facts.HOOKS_CONFIG_ENV}\n" in deployment
    assert f'"files/{facts.HOOKS_PACKAGE}/*.{{py,json}}"' in deployment
    assert f'"files/{facts.HOOKS_PACKAGE}/*.{{py,json}}"' in (TEMPLATES / "configmap.yaml").read_text()
    assert f"path: {facts.METRICS_PATH}\n" in (TEMPLATES / "servicemonitor.yaml").read_text()
    assert f'{facts.LIVENESS_PATH}"' in (TEMPLATES / "tests" / "test-liveliness.yaml").read_text()


def test_the_hooks_define_what_the_rendered_config_names() -> None:
    assert TREE.hooks_package.name == facts.HOOKS_PACKAGE
    assert (TREE.hooks_package.parent / facts.ACCESS_PACKAGE / "__main__.py").is_file()
    index = HooksIndex(TREE.hooks_package)
    for dotted in (facts.HOOKS_CALLBACK, *facts.GUARDRAIL_CLASSES.values()):
        assert index.why_not(dotted, callable_needed=False) is None, dotted
    settings = (TREE.hooks_package / "settings.py").read_text()
    assert f'CONFIG_ENV = "{facts.HOOKS_CONFIG_ENV}"' in settings
    assert f'"{facts.READINESS_PATH}"' in (TREE.hooks_package.parent / facts.ACCESS_PACKAGE / "api.py").read_text()


def test_the_fake_provider_listens_where_the_stack_expects_it() -> None:
    default = re.search(r'"FAKE_PROVIDER_PORT", "(\d+)"', TREE.fake_provider.read_text())
    assert default is not None and int(default.group(1)) == facts.FAKE_PROVIDER_PORT


def test_the_scripts_and_the_makefile_use_the_proxy_port_and_paths() -> None:
    for relative in ("Makefile", "scripts/load.js", "scripts/smoke.sh"):
        ports = {int(port) for port in re.findall(r"localhost:(\d+)", _text(relative))}
        assert ports == {facts.PROXY_PORT}, relative
    smoke = _text("scripts/smoke.sh")
    assert f"GET {facts.LIVENESS_PATH} " in smoke and f"GET {facts.READINESS_PATH} " in smoke


def test_the_makefile_names_the_generated_areas_and_the_kubernetes_versions() -> None:
    makefile = _text("Makefile")
    assert f"write every generated file: {', '.join(facts.GENERATED_AREAS)}" in makefile
    minors = [version.rsplit(".", 1)[0] for version in facts.KUBE_VERSIONS]
    assert f"Kubernetes {minors[0]}-{minors[-1]}" in makefile
    assert f"CLUSTER_VERSION ?= {facts.DEFAULT_CONTROL_PLANE_VERSION}\n" in makefile
    assert f"({', '.join(facts.CONTROL_PLANE_VERSIONS)};" in makefile  # cluster-build's help


def test_the_readme_names_every_generated_area() -> None:
    readme = _text("README.md")
    assert [area for area in facts.GENERATED_AREAS if area not in readme] == []


def test_the_control_plane_build_pins_the_versions_the_tooling_runs() -> None:
    build = re.search(r"^VERSIONS=\(([^)]*)\)", _text("tools/kube/build.sh"), re.MULTILINE)
    assert build is not None and tuple(build.group(1).split()) == facts.CONTROL_PLANE_VERSIONS
    for version in facts.CONTROL_PLANE_VERSIONS:
        minor = ".".join(version.split(".")[:2])
        assert f"k8s.io/kubernetes {version} " in _text(f"tools/kube/{minor}/go.mod"), version


def test_the_facts_agree_among_themselves() -> None:
    assert facts.DEFAULT_KUBE_VERSION in facts.KUBE_VERSIONS
    assert facts.DEFAULT_CONTROL_PLANE_VERSION in facts.CONTROL_PLANE_VERSIONS
    assert set(facts.ACTIVE_CALLBACK_KEYS) < set(facts.CALLBACK_KEYS)
    assert facts.HOOKS_CALLBACK.startswith(f"{facts.HOOKS_PACKAGE}.")
    assert all(path.startswith(f"{facts.HOOKS_PACKAGE}.") for path in facts.GUARDRAIL_CLASSES.values())
    exits = {facts.EXIT_OK, facts.EXIT_PROBLEMS, facts.EXIT_USAGE, facts.EXIT_DRIFT, facts.EXIT_INTERRUPTED}
    assert len(exits) == 5


# --- no second definition ------------------------------------------------------------------------------

QUOTE = "[\"']"


def _quoted(value: str, then: str = QUOTE) -> str:
    """A string literal that is the value itself (then: what may follow it inside the literal)."""
    return f"{QUOTE}{re.escape(value)}(?={then})"


def _listed(values: tuple[str, ...]) -> str:
    """Two neighbours of a sequence written out again (a tuple or list literal of them)."""
    return "|".join(f"{QUOTE}{re.escape(a)}{QUOTE},\\s*{QUOTE}{re.escape(b)}{QUOTE}" for a, b in pairwise(values))


def _port(port: int) -> str:
    return f"(?<![\\w.]){port}(?![\\w.])"


# fact -> a pattern of its literal written again (a probe path at the end of a string, a quoted name, a port)
FORBIDDEN = {
    "LIVENESS_PATH": f"{re.escape(facts.LIVENESS_PATH)}{QUOTE}",
    "READINESS_PATH": f"{re.escape(facts.READINESS_PATH)}{QUOTE}",
    "METRICS_PATH": f"{re.escape(facts.METRICS_PATH)}{QUOTE}",
    "PROXY_PORT": _port(facts.PROXY_PORT),
    "FAKE_PROVIDER_PORT": _port(facts.FAKE_PROVIDER_PORT),
    "FAKE_PROVIDER_KEY": _quoted(facts.FAKE_PROVIDER_KEY),
    "NAMESPACE": _quoted(facts.NAMESPACE),
    "CHART": _quoted(facts.CHART, "[\"'.-]"),
    "IMAGE_REPOSITORY": re.escape(facts.IMAGE_REPOSITORY),
    "HOOKS_PACKAGE": _quoted(facts.HOOKS_PACKAGE, "[\"'./]"),
    "ACCESS_PACKAGE": _quoted(facts.ACCESS_PACKAGE, "[\"'./]"),
    "HOOKS_CALLBACK": re.escape(facts.HOOKS_CALLBACK.rsplit(".", 1)[0] + "."),
    "HOOKS_CONFIG_ENV": _quoted(facts.HOOKS_CONFIG_ENV),
    "CALLBACK_KEYS": _listed(facts.CALLBACK_KEYS),
    "FALLBACK_KINDS": _listed(facts.FALLBACK_KINDS),
    "KUBE_VERSIONS": "|".join(_quoted(v) for v in (*facts.KUBE_VERSIONS, *facts.CONTROL_PLANE_VERSIONS)),
    "GENERATED_AREAS": "|".join(_quoted(a) for a in facts.GENERATED_AREAS if a != facts.ENV_EXAMPLE),
}

# path prefix -> why files there may hold the literals (each is held equal above or is not code)
ALLOWED = {
    "litellm_bundle/core/facts.py": "the one definition",
    "helm/": "the chart cannot import Python: its values and templates are held equal above",
    "hooks/": "the hooks never import the tooling (pyproject's import contract): held equal above",
    "fake_provider/": "runs alone in the official image: its default port is held equal above",
    "Makefile": "make cannot import Python: held equal above",
    "scripts/load.js": "k6's JavaScript: held equal above",
    "scripts/smoke.sh": "shell: held equal above",
    "tools/kube/": "build.sh is held equal above; pin.sh and the pinned go.mod/go.sum name the versions they pin",
    "pyproject.toml": "the linters' and import contracts' configuration names the packages (TOML cannot import)",
    "config/": "the sources a user edits: their values are data the schemas check",
    "policies/": "JSON Schemas and LiteLLM's generated surface: data (the image enum is held equal above)",
    "docs/": "prose for readers",
    "README.md": "prose for readers",
    "CHANGELOG.md": "prose for readers",
    "tests/unit/": "tests state the expected output literally: one built from the fact would pass with a wrong fact",
    "tests/chart/": "tests state the expected output literally: one built from the fact would pass with a wrong fact",
    "tests/hooks/": "tests of the hooks, which never import the tooling, state their inputs literally",
    "tests/corpus/": "LiteLLM configs as found elsewhere",
    **{area: "generated by `render` from the facts" for area in facts.GENERATED_AREAS},
}


def _files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (its tracked and new files)")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def _allowed(name: str) -> bool:
    return any(name == prefix or (prefix.endswith("/") and name.startswith(prefix)) for prefix in ALLOWED)


def test_no_fact_is_written_twice() -> None:
    patterns = {fact: re.compile(pattern) for fact, pattern in FORBIDDEN.items()}
    found = []
    for name in _files():
        if _allowed(name):
            continue
        data = (ROOT / name).read_bytes()
        if b"\0" in data:
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
            found += [f"{name}:{number}: {fact}: {line.strip()}" for fact, rx in patterns.items() if rx.search(line)]
    assert found == [], (
        "a fact of litellm_bundle/core/facts.py written again (use the fact; a file that cannot import it goes"
        " into ALLOWED with its reason and a test holding it equal):\n" + "\n".join(found)
    )


def test_the_scan_catches_a_fact_written_again() -> None:
    samples = {
        "LIVENESS_PATH": 'httpx.get(f"{url}/health/liveliness")',
        "PROXY_PORT": '"--port", "4000"',
        "FAKE_PROVIDER_PORT": "http://fake-provider:8090/v1",
        "NAMESPACE": 'namespace = "llm-gateway"',
        "CHART": 'f"litellm-gateway-{store}"',
        "IMAGE_REPOSITORY": 'image = "ghcr.io/berriai/litellm-database"',
        "HOOKS_PACKAGE": 'dest / "gateway_hooks"',
        "HOOKS_CALLBACK": '"gateway_hooks.entry.proxy_hooks"',
        "CALLBACK_KEYS": 'KEYS = ("callbacks", "success_callback", "failure_callback")',
        "FALLBACK_KINDS": '("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")',
        "KUBE_VERSIONS": 'VERSIONS = ("v1.35.4", "v1.30.14")',
        "GENERATED_AREAS": 'AREAS = ("rendered/", "k8s/", "compose/")',
    }
    assert [fact for fact, line in samples.items() if not re.search(FORBIDDEN[fact], line)] == []
    prose = "a scrape of /metrics/ with the key, the health/liveliness probe, rpm: 40000, port 18090"
    assert [fact for fact, pattern in FORBIDDEN.items() if re.search(pattern, prose)] == []


def test_every_allowed_prefix_holds_a_file() -> None:
    files = _files()
    assert [p for p in ALLOWED if not any(n == p or (p.endswith("/") and n.startswith(p)) for n in files)] == []
