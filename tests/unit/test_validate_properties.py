"""Property: whatever a pull request does to the real config files, `validate` answers with
located problems (exit 1), or accepts a config that then renders into files the proxy and the
hooks accept (exit 0); never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from litellm_bundle.checks import validate as validation
from litellm_bundle.cli import main
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import dump_yaml
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render.environment import render_environment
from tests.helpers import ROOT

FILES = sorted(str(p.relative_to(ROOT / "config")) for p in (ROOT / "config").rglob("*.yaml"))
ORIGINAL = {name: (ROOT / "config" / name).read_bytes() for name in FILES}

# values a careless edit puts somewhere: scalars YAML reads in surprising ways, lists, mappings, references
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "2024-10-21",
            "yes",
            "0x1F",
            "os.environ/OPENAI_API_KEY",
            "os.environ/NOPE",
            "gpt-4o",
            "*",
            "~",
            "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
            "redis://:pw@h",
            "custom",
            "azure",
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, path + (index,))


@st.composite
def structural_edit(draw: st.DrawFn, text: str) -> bytes:
    """Replace, delete or rename one node of the file's data (comments are lost: that is fine)."""
    data = YAML(typ="safe", pure=True).load(text) or {}
    paths = [p for p in _paths(data) if p]
    if not paths:
        return dump_yaml(draw(VALUES)).encode()
    path = draw(st.sampled_from(paths))
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    action = draw(st.sampled_from(["replace", "delete", "rename"]))
    if action == "replace":
        parent[path[-1]] = draw(VALUES)
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=12))] = parent.pop(path[-1])
    return dump_yaml(data).encode()


@st.composite
def line_edit(draw: st.DrawFn, text: str) -> bytes:
    """Delete, duplicate, move, re-indent or insert a line."""
    lines = text.splitlines(keepends=True) or ["\n"]
    index = draw(st.integers(0, len(lines) - 1))
    action = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "dedent", "insert"]))
    if action == "delete":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, lines[index])
    elif action == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    elif action == "indent":
        lines[index] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + lines[index]
    elif action == "dedent":
        lines[index] = lines[index].lstrip()
    else:
        lines.insert(index, draw(st.text(max_size=40)) + "\n")
    return "".join(lines).encode("utf-8", errors="surrogatepass")


@st.composite
def byte_edit(draw: st.DrawFn, raw: bytes) -> bytes:
    """Overwrite a slice with arbitrary bytes, or the whole file."""
    if draw(st.booleans()):
        start = draw(st.integers(0, len(raw)))
        end = draw(st.integers(start, min(len(raw), start + 20)))
        return raw[:start] + draw(st.binary(max_size=20)) + raw[end:]
    return draw(st.binary(max_size=200))


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES))
    raw = ORIGINAL[name]
    kind = draw(st.sampled_from(["structural", "line", "byte"]))
    if kind == "structural":
        return name, draw(structural_edit(raw.decode()))
    if kind == "line":
        return name, draw(line_edit(raw.decode()))
    return name, draw(byte_edit(raw))


@pytest.fixture(scope="module")
def scratch() -> Iterator[tuple[Path, Policies]]:
    """One scratch config/ (reset before each example) and the policies of a tree reading it."""
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "config"
        shutil.copytree(ROOT / "config", config)
        yield config, Policies(BundleTree.at(ROOT, config_dir=config))


@contextlib.contextmanager
def mutated_config(config: Path, name: str, content: bytes) -> Iterator[Path]:
    """`config` holding the shipped files except `name`, which holds `content`; restored afterwards."""
    for other, original in ORIGINAL.items():
        (config / other).write_bytes(original)
    (config / name).write_bytes(content)
    try:
        yield config
    finally:
        (config / name).write_bytes(ORIGINAL[name])


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main.main(["--root", str(ROOT), *args])
    return code, out.getvalue(), err.getvalue()


def line_count(file: Path) -> int:
    try:
        return file.read_bytes().count(b"\n") + 1
    except OSError:
        return 1


@given(edit=mutation())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_any_edit_gives_located_problems_or_a_config_that_renders(
    scratch: tuple[Path, Policies], edit: tuple[str, bytes]
) -> None:
    config, policies = scratch
    name, content = edit
    with mutated_config(config, *edit):
        result = validation.run(policies, debug=True)  # a check that trips over malformed data raises here
        for problem in result.problems:
            assert problem.message.strip() and "Traceback" not in problem.message
            shown = problem.location.file
            file = config / shown.split("config/", 1)[1] if "config/" in shown else ROOT / shown
            assert file.exists() or "is missing" in problem.message, problem
            assert 1 <= problem.location.line <= line_count(file), problem
            assert problem.location.col >= 1, problem
        if content == ORIGINAL[name]:
            assert result.problems == []  # the shipped config: no errors, no warnings
        if not result.errors:
            # accepted: it renders, and the rendered hooks.json passes the hooks' own contract
            hooks_contract = Draft202012Validator(policies.hooks_schema)
            for env in result.config_set.environments:
                files = render_environment(result.config_set, env, policies)
                hooks_contract.validate(json.loads(files["hooks.json"]))
                assert YAML(typ="safe").load(files["config.yaml"])["model_list"]


@given(edit=mutation(), fmt=st.sampled_from(["text", "json", "github"]), strict=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_the_command_exits_1_with_problems_0_without_never_a_traceback(
    scratch: tuple[Path, Policies], edit: tuple[str, bytes], fmt: str, strict: bool
) -> None:
    config, policies = scratch
    with mutated_config(config, *edit):
        result = validation.run(policies)
        code, out, err = run_cli(
            "validate", "--config", str(config), "--format", fmt, *(["--strict"] if strict else [])
        )
    failed = bool(result.errors) or (strict and bool(result.warnings))
    assert code == (1 if failed else 0)
    assert "Traceback" not in out + err
    if fmt == "json":
        report = json.loads(out)
        assert report["valid"] is not failed and report["errors"] == len(result.errors)
        assert [(p["file"], p["line"]) for p in report["problems"]] == [
            (p.location.file, p.location.line) for p in result.problems
        ]
    elif fmt == "github":
        assert out.count("::error ") == len(result.errors) and out.count("::warning ") == len(result.warnings)
    else:
        assert all(str(p) in err for p in result.problems)
