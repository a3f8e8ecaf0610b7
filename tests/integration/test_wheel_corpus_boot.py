"""The wheel's example configs boot in the real proxy (the boot check of `make check-config`): each one
the bundle imports is rendered for dev and booted, several configs per proxy start where nothing of
theirs collides (tests/boot_packing.py), so every config boots exactly as rendered. A config the data
file lists with a boot-time genuine error boots alone and fails with exactly the listed messages.
(Import, validate, render: tests/unit/test_wheel_corpus.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.build.generate import render_one
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.model import team_code
from tests.boot_packing import Rendered, boot, pack, said
from tests.helpers import ROOT
from tests.wheel_corpus import PROXY_DIR, configs, listed, name, run

pytestmark = pytest.mark.proxy


def _rendered(source: Path, work: Path) -> Rendered:
    into = work / "config"
    imported = run("import", str(source), "--into", str(into), "--format", "json")
    assert imported.code == 0, f"{name(source)} does not import: {imported.problems()}"
    tree = BundleTree.at(ROOT, config_dir=into)
    files = render_one(tree, "dev")
    doc, _ = parse_yaml(files["config.yaml"], name(source))
    assert doc is not None
    return Rendered(doc.data, files["hooks.json"], team_code.load(tree).files)


def test_the_wheel_configs_boot(tmp_path: Path) -> None:
    """Every config that imports boots; a joined start that fails is booted again config by config, so
    each failure is a config's own (and the data file's, for a config listed with a boot-time error)."""
    rendered = {
        name(source): _rendered(source, tmp_path / name(source).replace("/", "_"))
        for source in configs()
        if listed(source, "import") is None
    }
    assert len(rendered) >= 20
    solo = [n for n in rendered if listed(PROXY_DIR / n, "boot") is not None]
    starts = pack({n: r for n, r in rendered.items() if n not in solo}) + [([n], rendered[n]) for n in solo]
    results: dict[str, list[str]] = {}
    for index, (names, one) in enumerate(starts):
        result = boot(" + ".join(names), one, tmp_path / f"boot-{index}")
        if len(names) == 1:
            results[names[0]] = said(result)
            continue
        for position, config_name in enumerate(names if result.failures else []):
            alone = boot(config_name, rendered[config_name], tmp_path / f"boot-{index}-{position}")
            results[config_name] = said(alone)
        results.update({n: [] for n in names if n not in results})
    wanted = {n: [p["message"] for p in listed(PROXY_DIR / n, "boot") or []] for n in rendered}
    assert {n: r for n, r in results.items() if r != wanted[n]} == {}, f"listed: {wanted}"
