"""Checks the broken-edit table cannot reach with one edit of one config file: the hooks package
itself, several files at once, rule coverage, and the rules that keep every problem once."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.checks import validate as validation
from litellm_bundle.checks.hooks_index import HooksIndex
from litellm_bundle.checks.runnable import covers
from litellm_bundle.core.problems import CHECKS, LOAD, SCHEMA, Location, Problem, names, settle, whole
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.core.yamlio import parse_yaml
from litellm_bundle.policy.policies import Policies
from tests.helpers import ROOT


def problems_of(root: Path) -> list[Problem]:
    return validation.run(Policies(BundleTree.at(root)), debug=True).problems


def replace(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert old in text, f"test bug: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def line_of(root: Path, file: str, needle: str) -> int:
    return next(n for n, line in enumerate((root / file).read_text().splitlines(), 1) if needle in line)


def test_a_guardrail_class_the_hooks_do_not_define_is_an_error(repo_copy: Path) -> None:
    replace(
        repo_copy,
        "hooks/gateway_hooks/entry.py",
        "BannedKeywordsGuardrail, SecretRedactionGuardrail  # noqa: E402",
        "BannedKeywordsGuardrail  # noqa: E402",
    )
    [problem] = problems_of(repo_copy)
    assert (problem.location.file, problem.location.line) == (
        "config/guardrails.yaml",
        line_of(repo_copy, "config/guardrails.yaml", "type: secret_redaction"),
    )
    assert (
        "guardrail type 'secret_redaction' does not resolve in the hooks package "
        "(gateway_hooks.entry.SecretRedactionGuardrail)" in problem.message
    )
    assert "defines no 'SecretRedactionGuardrail'" in problem.message


def test_a_missing_callback_points_at_the_hooks_entry(repo_copy: Path) -> None:
    replace(
        repo_copy,
        "hooks/gateway_hooks/entry.py",
        "proxy_hooks: GatewayHooks = _instance.proxy_hooks()",
        "hooks = _instance.proxy_hooks()",
    )
    [problem] = problems_of(repo_copy)
    assert str(problem.location) == "hooks/gateway_hooks/entry.py:1:1"
    assert "names gateway_hooks.entry.proxy_hooks, which does not resolve" in problem.message


def test_a_hooks_module_that_does_not_parse_is_named_with_its_line(tmp_path: Path) -> None:
    package = tmp_path / "gateway_hooks"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mine.py").write_text("def ok(data, params):\n    return None\n\ndef broken(:\n")
    (package / "values.py").write_text("LIMIT = 3\nfn = lambda data, params: None\n")
    index = HooksIndex(package)
    assert index.why_not("gateway_hooks.mine.ok") == "hooks/gateway_hooks/mine.py:4: does not parse (invalid syntax)"
    assert index.why_not("gateway_hooks.values.fn") is None
    assert (
        index.why_not("gateway_hooks.values.LIMIT")
        == "'LIMIT' in hooks/gateway_hooks/values.py is a value, not a function"
    )
    assert index.why_not("gateway_hooks.values.LIMIT", callable_needed=False) is None
    assert "must start with gateway_hooks." in str(index.why_not("os.system"))


def test_a_deployment_in_no_enabling_environment_is_a_warning(repo_copy: Path) -> None:
    # dev stops serving long-context and its fallbacks and label stop pointing there
    replace(
        repo_copy,
        "config/environments/dev.yaml",
        "claude-sonnet, long-context, text-embedding]",
        "claude-sonnet, text-embedding]",
    )
    replace(
        repo_copy,
        "config/routing.yaml",
        "context_window_fallbacks:\n  gpt-4o-mini: [long-context]\n  gpt-4o: [long-context]\n",
        "",
    )
    replace(
        repo_copy,
        "config/routing.yaml",
        "  - name: long-prompts\n    when:\n      min_prompt_tokens: 6000\n    label: long_context\n",
        "",
    )
    replace(repo_copy, "config/routing.yaml", "  long_context: long-context\n", "")
    replace(
        repo_copy,
        "config/access.yaml",
        "models: [gpt-4o-mini, long-context, text-embedding]",
        "models: [gpt-4o-mini, text-embedding]",
    )
    [problem] = problems_of(repo_copy)
    assert problem.severity == "warning"
    assert (problem.location.file, problem.location.line) == (
        "config/models.yaml",
        line_of(repo_copy, "config/models.yaml", "id: long-context-fake"),
    )
    assert (
        problem.message
        == "deployment 'long-context-fake' runs nowhere: its environments (dev) do not enable group 'long-context' "
        "(enabled in: staging, prod)"
    )


def test_a_secret_in_an_unknown_environment_file_is_still_reported(repo_copy: Path) -> None:
    (repo_copy / "config" / "environments" / "qa.yaml").write_text(
        "# qa\nmaster_key: sk-proj-abcdefghijklmnopqrstuvwxyz0123\n"
    )
    found = {(str(p.location), p.message.split(";")[0]) for p in problems_of(repo_copy)}
    assert (
        "config/environments/qa.yaml:2:13",
        "literal secret (OpenAI API key, detector openai_key) in config",
    ) in found
    assert any(message.startswith("unknown environment 'qa'") for _, message in found)


@pytest.mark.parametrize(
    ("first", "later", "expected"),
    [
        ({"models": ["*"]}, {"has_tools": True}, True),
        ({"models": ["gpt-*"]}, {"models": ["gpt-4o", "gpt-4o-mini"]}, True),
        ({"models": ["gpt-*"]}, {"models": ["claude-sonnet"]}, False),
        ({"models": ["gpt-*"]}, {"has_tools": True}, False),
        ({"min_prompt_tokens": 1000}, {"min_prompt_tokens": 5000, "has_tools": True}, True),
        ({"min_prompt_tokens": 5000}, {"min_prompt_tokens": 1000}, False),
        ({"has_tools": True}, {"tool_name": "lookup"}, True),
        ({"has_tools": False}, {"tool_name": "lookup"}, False),
        (
            {"header": {"name": "X-Tier", "equals": "batch"}},
            {"header": {"name": "x-tier", "equals": "batch"}, "reasoning": True},
            True,
        ),
        ({"metadata": {"team": "a"}}, {"metadata": {"team": "a", "env": "b"}}, True),
        ({"metadata": {"team": "a"}}, {"metadata": {"team": "b"}}, False),
        ({"reasoning": True}, {"reasoning": False}, False),
        ({}, {"reasoning": True}, False),
        ("not a condition", {"reasoning": True}, False),
    ],
)
def test_which_earlier_rule_pre_empts_a_later_one(first: object, later: object, expected: bool) -> None:
    assert covers(first, later) is expected


def _problem(
    file: str,
    path: tuple,
    stage: int,
    message: str,
    env: str | None = None,
    because: tuple = (),
    severity: str = "error",
) -> Problem:
    return Problem(
        Location(file, 1 + len(path), 1),
        message,
        env,
        check="schema",
        severity=severity,
        stage=stage,
        subject=(file, path),
        because=because,
    )  # type: ignore[arg-type]


def test_settle_drops_follow_on_problems_and_keeps_independent_ones() -> None:
    schema = _problem("m.yaml", ("model_groups", "g", "deployments", 0, "environments"), SCHEMA, "expected list")
    below = _problem(
        "m.yaml", ("model_groups", "g", "deployments", 0, "environments", 0), CHECKS, "follows: under the broken value"
    )
    whole_dep = _problem(
        "e.yaml",
        ("model_groups", 0),
        CHECKS,
        "follows: depends on all of group g",
        because=(whole(("m.yaml", ("model_groups", "g"))),),
    )
    names_dep = _problem(
        "e.yaml",
        ("model_groups", 1),
        CHECKS,
        "kept: depends only on the names of model_groups",
        because=(names(("m.yaml", ("model_groups",))),),
    )
    sibling = _problem("m.yaml", ("model_groups", "g", "deployments", 1), CHECKS, "kept: a sibling")
    assert [p.message for p in settle([schema, below, whole_dep, names_dep, sibling])] == [
        "expected list",
        "kept: depends only on the names of model_groups",
        "kept: a sibling",
    ]
    bad_name = _problem("m.yaml", ("model_groups", "Bad"), SCHEMA, "bad name")
    assert [p.message for p in settle([bad_name, names_dep])] == ["bad name"]


def test_settle_merges_environments_and_puts_causes_first() -> None:
    late = _problem("a.yaml", ("x",), CHECKS, "same", "prod")
    early = _problem("a.yaml", ("x",), CHECKS, "same", "dev")
    warning = _problem("a.yaml", (), CHECKS, "dead config", severity="warning")
    load = _problem("z.yaml", (), LOAD, "syntax error")
    settled = settle([warning, late, early, load], ("dev", "staging", "prod"))
    assert [(p.message, p.env) for p in settled] == [
        ("syntax error", None),
        ("same", "dev, prod"),
        ("dead config", None),
    ]


def test_a_warning_does_not_hide_anything() -> None:
    warning = _problem("a.yaml", ("x",), LOAD, "odd", severity="warning")
    later = _problem("a.yaml", ("x", "y"), CHECKS, "still shown")
    assert len(settle([warning, later])) == 2


def test_merged_keys_are_located_where_they_are_merged() -> None:
    text = "base: &base\n  a: 1\n  b: 2\nuse:\n  <<: *base\n  b: 3\n"
    doc, problems = parse_yaml(text, "f.yaml")
    assert doc is not None and problems == []
    assert doc.data["use"] == {"b": 3, "a": 1}
    assert str(doc.locate(("use", "a"))) == "f.yaml:5:3"  # the `<<` line
    assert str(doc.locate(("use", "b"))) == "f.yaml:6:3"  # explicit keys win
    assert str(doc.locate(("use", "missing"))) == "f.yaml:4:1"


def test_a_byte_order_mark_is_fine(repo_copy: Path) -> None:
    file = repo_copy / "config" / "transforms.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + file.read_bytes())
    assert problems_of(repo_copy) == []


def test_validate_returns_errors_only_for_render() -> None:
    """generate() stops on errors; warnings are for `validate` to show (and --strict to fail)."""
    cs, errors = validation.validate(Policies(BundleTree.at(ROOT)))
    assert errors == [] and cs.environments == ["dev", "prod", "staging"]
