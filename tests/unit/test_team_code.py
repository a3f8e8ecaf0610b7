"""The team's own code (config/code/): what keeps it from being shipped, every dotted path and file LiteLLM's
settings name resolved against it statically (and against the hooks and LiteLLM's package), the rendered
values that carry it, the staged directory Compose, the native stack and the boot check mount, and
`import --code` (docs/team-code.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from litellm_bundle.checks import validate as validation
from litellm_bundle.checks.hooks_index import HooksIndex
from litellm_bundle.checks.team_code import CodePaths
from litellm_bundle.cli.main import main
from litellm_bundle.core.facts import CONFIG_MOUNT
from litellm_bundle.core.problems import Problem
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.importer import code as importer_code
from litellm_bundle.model import team_code
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render.compose import compose_files
from litellm_bundle.render.environment import render_environment
from litellm_bundle.runtime import launch
from tests.helpers import ROOT, copy_tree

TEAM_FILES = {
    "team_callbacks.py": "from team_helpers import tag\n\n\nclass TeamLogger:\n    pass\n\n\nhandler = TeamLogger()\n"
    "LIMIT = 3\n",
    "team_helpers.py": "def tag(value):\n    return value\n",
    "pkg/__init__.py": "async def auth(request, api_key):\n    return None\n",
    "pkg/provider.py": "class Provider:\n    pass\n\n\nhandler = Provider()\n",
    "sm.py": "class Manager:\n    pass\n",
    "team_transforms.py": "def tag_team(data, params):\n    return data\n",
    "prompts/hello.prompt": "---\nmodel: gpt-4o-mini\n---\nHello {{name}}\n",
}
# every kind of place LiteLLM loads code or a file from, naming the team's code, the hooks and LiteLLM's package
SETTINGS = """  callbacks: [team_callbacks.handler]
  custom_provider_map:
    - provider: mine
      custom_handler: pkg.provider.handler
  global_prompt_directory: /etc/litellm/prompts
general_settings:
  custom_auth: pkg.auth
  key_management_settings:
    custom_secret_manager: sm.Manager
  pass_through_endpoints:
    - path: /upstream
      target: https://upstream.internal/v1
router_settings:
  plugins: [litellm.integrations.custom_logger.CustomLogger]
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


@pytest.fixture
def team_tree(tmp_path: Path) -> Path:
    """A copy of the bundle with the team's code and LiteLLM settings that name it."""
    root = copy_tree(tmp_path / "bundle")
    write(root / "config" / "code", TEAM_FILES)
    litellm = root / "config" / "litellm.yaml"
    litellm.write_text(litellm.read_text() + SETTINGS)
    return root


def problems_of(root: Path) -> list[Problem]:
    return validation.run(Policies(BundleTree.at(root)), debug=True).problems


def set_in(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    assert old in path.read_text(), f"test bug: {old!r} not in {file}"
    path.write_text(path.read_text().replace(old, new, 1))


def line_of(root: Path, file: str, needle: str) -> int:
    return next(n for n, line in enumerate((root / file).read_text().splitlines(), 1) if needle in line)


def test_every_place_that_names_code_resolves_against_the_teams_code(team_tree: Path) -> None:
    assert problems_of(team_tree) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "callbacks: [team_callbacks.handler]",
            "callbacks: [team_callbacks.handlr]",
            "callback team_callbacks.handlr does not resolve: config/code/team_callbacks.py defines no 'handlr' "
            "(functions and classes there: TeamLogger)",
        ),
        (
            "callbacks: [team_callbacks.handler]",
            "callbacks: [audit.handler]",
            "callback audit.handler does not resolve: no module audit: the proxy finds code in the team's code "
            "(config/code/, modules: pkg, sm, team_callbacks, team_helpers, team_transforms)",
        ),
        (
            "custom_handler: pkg.provider.handler",
            "custom_handler: pkg.providers.handler",
            "litellm_settings.custom_provider_map[].custom_handler names pkg.providers.handler, which does not "
            "resolve: config/code/pkg/providers.py does not exist",
        ),
        (
            "custom_auth: pkg.auth",
            "custom_auth: team_callbacks.LIMIT",
            "general_settings.custom_auth names team_callbacks.LIMIT, which does not resolve: 'LIMIT' in "
            "config/code/team_callbacks.py is a value, not a function",
        ),
        (
            "custom_secret_manager: sm.Manager",
            "custom_secret_manager: pkg.Manager",
            "general_settings.key_management_settings.custom_secret_manager names pkg.Manager, which does not "
            "resolve: config/code/pkg.py does not exist",
        ),
        (
            "target: https://upstream.internal/v1",
            "target: team_adapter.adapter",
            "general_settings.pass_through_endpoints[].target names team_adapter.adapter, which does not resolve: "
            "no module team_adapter",
        ),
        (
            "plugins: [litellm.integrations.custom_logger.CustomLogger]",
            "plugins: [litellm.integrations.custom_logger.CustomLoger]",
            "router_settings.plugins[] names litellm.integrations.custom_logger.CustomLoger, which does not resolve: "
            "litellm/integrations/custom_logger.py defines no 'CustomLoger'",
        ),
        (
            "global_prompt_directory: /etc/litellm/prompts",
            "global_prompt_directory: /etc/litellm/prompt",
            "litellm_settings.global_prompt_directory names /etc/litellm/prompt: config/code/prompt is no directory of "
            "the team's code (/etc/litellm/ is where the proxy has it)",
        ),
        (
            "global_prompt_directory: /etc/litellm/prompts",
            "global_prompt_directory: prompts",
            "litellm_settings.global_prompt_directory names prompts: a relative path is opened from the proxy's "
            "working directory (the image's), not from config.yaml's directory; write /etc/litellm/prompts for "
            "config/code/prompts",
        ),
    ],
)
def test_a_path_that_does_not_resolve_is_an_error_at_its_line(
    team_tree: Path, old: str, new: str, expected: str
) -> None:
    set_in(team_tree, "config/litellm.yaml", old, new)
    [problem] = problems_of(team_tree)
    assert problem.severity == "error"
    assert (problem.location.file, problem.location.line) == (
        "config/litellm.yaml",
        line_of(team_tree, "config/litellm.yaml", new.split(": ", 1)[-1]),
    )
    assert expected in problem.message, problem.message


def test_an_environment_overlay_and_a_custom_transform_name_the_teams_code(team_tree: Path) -> None:
    set_in(
        team_tree,
        "config/transforms.yaml",
        "transforms:\n",
        "transforms:\n  - name: tag-team\n    type: custom\n    path: team_transforms.tag_team\n",
    )
    write(team_tree / "config" / "environments", {})
    overlay = team_tree / "config" / "environments" / "staging.yaml"
    overlay.write_text(overlay.read_text() + "litellm:\n  litellm_settings:\n    callbacks: [team_callbacks.nothing]\n")
    [problem] = problems_of(team_tree)
    assert problem.location.file == "config/environments/staging.yaml"
    assert "callback team_callbacks.nothing does not resolve" in problem.message
    set_in(team_tree, "config/transforms.yaml", "team_transforms.tag_team", "team_transforms.tag")
    assert [p.check for p in problems_of(team_tree)] == ["hooks-unresolved", "transform-unresolved"]


def test_what_keeps_the_teams_code_from_being_shipped_is_named_per_file(team_tree: Path) -> None:
    code = team_tree / "config" / "code"
    (code / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    write(code, {"hooks.json": "{}", "with space.py": "", "a/b.py": "", "a.b.py": "", "logging.py": ""})
    write(code, {"broken.py": "def oops(:\n", ".hidden.py": "not shipped", "__pycache__/x.py": "not shipped"})
    write(code, {"keys.py": 'API_KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz123456"\n'})
    found = {(p.location.file, p.check, p.severity) for p in problems_of(team_tree)}
    assert found == {
        ("config/code/latin1.py", "team-code-file", "error"),
        ("config/code/hooks.json", "team-code-file", "error"),
        ("config/code/with space.py", "team-code-file", "error"),
        ("config/code/a/b.py", "team-code-file", "error"),  # the same ConfigMap key as a.b.py
        ("config/code/logging.py", "team-code-shadowed", "warning"),
        ("config/code/broken.py", "team-code-syntax", "warning"),
        ("config/code/keys.py", "literal-secret", "error"),  # committed like the YAML sources
    }
    assert not any(".hidden" in p or "__pycache__" in p for p in team_code.load(BundleTree.at(team_tree)).files)


def test_the_teams_code_must_fit_its_configmap(team_tree: Path) -> None:
    write(team_tree / "config" / "code", {"data/big.txt": "x" * 600_000, "data/bigger.txt": "y" * 400_000})
    [problem] = problems_of(team_tree)
    assert (str(problem.location), problem.check) == ("config/code:1:1", "team-code-limit")
    assert "holds at most 1,000,000" in problem.message and "data/big.txt (600,000 bytes)" in problem.message


def test_a_module_path_is_read_statically_never_imported(tmp_path: Path) -> None:
    code = tmp_path / "code"
    write(
        code,
        {"boom.py": "raise SystemExit('imported')\nfrom elsewhere import *\n", "lazy.py": "def __getattr__(n): ..."},
    )
    tree = BundleTree(ROOT, tmp_path, tmp_path, tmp_path)
    paths = CodePaths(HooksIndex(ROOT / "hooks" / "gateway_hooks"), team_code.load(tree))
    assert paths.why_not("boom.anything") is None  # a star import may define it
    assert paths.why_not("lazy.anything") is None  # so may a module __getattr__
    assert paths.why_not("litellm.proxy.proxy_server.ProxyConfig") is None
    assert paths.why_not("gateway_hooks.entry.proxy_hooks", callable_needed=False) is None
    assert paths.why_not("nodots") == "a path to code names a module and what it defines: module.name"


def test_the_rendered_values_carry_the_teams_code_and_only_then(team_tree: Path) -> None:
    policies = Policies(BundleTree.at(team_tree))
    cs, errors = validation.validate(policies)
    assert errors == []
    values = YAML(typ="safe").load(render_environment(cs, "prod", policies)["values.yaml"])
    assert values["teamCode"] == dict(sorted(TEAM_FILES.items()))
    # the shipped bundle has no config/code: its values have no teamCode (render --check holds them byte-identical)
    assert "teamCode" not in (ROOT / "rendered" / "prod" / "values.yaml").read_text()


def test_staging_puts_the_teams_code_next_to_config_yaml(team_tree: Path, tmp_path: Path) -> None:
    """What `make up` (native and Compose), the boot check and the tests run the proxy on."""
    tree = BundleTree.at(team_tree)
    policies = Policies(tree)
    cs, _ = validation.validate(policies)
    files = render_environment(cs, "dev", policies)
    dest = tmp_path / "runtime"
    staged = launch.stage_files(tree, files, dest, {}, policies.env_ref, with_redis=False)
    for name, text in TEAM_FILES.items():
        assert (dest / name).read_text() == text
    config = YAML(typ="safe").load(staged.config.read_text())
    # paths the proxy opens under the image's mount point are the staged directory's
    assert config["litellm_settings"]["global_prompt_directory"] == str(dest.resolve() / "prompts")
    assert any("7 files of config/code/" in note for note in staged.notes)
    # a file the team removed is gone from the next staging, and nothing else is touched
    (team_tree / "config" / "code" / "sm.py").unlink()
    (dest / "mine.txt").write_text("kept")
    launch.stage_files(tree, files, dest, {}, policies.env_ref, with_redis=False)
    assert not (dest / "sm.py").exists() and (dest / "mine.txt").exists() and (dest / "pkg" / "__init__.py").exists()


def test_compose_mounts_the_staged_directory_where_the_image_reads_config_yaml(team_tree: Path) -> None:
    tree = BundleTree.at(team_tree)
    compose = YAML(typ="safe").load(compose_files(tree)["compose.yaml"])
    litellm = compose["services"]["litellm"]
    assert litellm["volumes"] == [f"../.run/dev/runtime:{CONFIG_MOUNT}:ro"]
    assert litellm["command"][:2] == ["--config", f"{CONFIG_MOUNT}/config.yaml"]


# --- import --code ------------------------------------------------------------------------------------------

CONFIG = """model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: os.environ/OPENAI_API_KEY
litellm_settings:
  callbacks: custom_callbacks.proxy_handler_instance
general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  custom_auth: pkg.auth.user_api_key_auth
guardrails:
  - guardrail_name: own
    litellm_params:
      guardrail: litellm.proxy.guardrails.guardrail_hooks.custom_guardrail.CustomGuardrail
      mode: pre_call
"""
NEXT_TO_CONFIG = {
    "custom_callbacks.py": "from helpers import tag\n\nproxy_handler_instance = tag\n",
    "helpers.py": "def tag(value):\n    return value\n",
    "unrelated.py": "def unused():\n    pass\n",
}
CODE_DIR = {
    "pkg/__init__.py": "",
    "pkg/auth.py": "from .util import ok\n\n\nasync def user_api_key_auth(request, api_key):\n    return ok(api_key)\n",
    "pkg/util.py": "def ok(key):\n    return key\n",
    "pkg/unused.py": "",
}


def test_import_brings_what_the_config_names_from_next_to_it_and_from_code(tmp_path: Path) -> None:
    write(tmp_path / "cfg", {"config.yaml": CONFIG, **NEXT_TO_CONFIG})
    write(tmp_path / "mods", CODE_DIR)
    policies = Policies(BundleTree.at(ROOT))
    brought = importer_code.collect(policies, tmp_path / "cfg" / "config.yaml", tmp_path / "mods")
    assert brought.problems == []
    # the module, the modules it imports (also relatively) and the packages around them; nothing else
    assert brought.files == {
        "custom_callbacks.py": NEXT_TO_CONFIG["custom_callbacks.py"],
        "helpers.py": NEXT_TO_CONFIG["helpers.py"],
        "pkg/__init__.py": "",
        "pkg/auth.py": CODE_DIR["pkg/auth.py"],
        "pkg/util.py": CODE_DIR["pkg/util.py"],
    }
    assert importer_code.code_files(brought)["code/helpers.py"] == NEXT_TO_CONFIG["helpers.py"]
    # --code comes first: the same module there wins over the one next to the config
    write(tmp_path / "mods", {"helpers.py": "def tag(value):\n    return [value]\n"})
    again = importer_code.collect(policies, tmp_path / "cfg" / "config.yaml", tmp_path / "mods")
    assert again.files["helpers.py"] == "def tag(value):\n    return [value]\n"


def test_import_without_code_reports_a_module_found_nowhere_at_its_line(tmp_path: Path) -> None:
    write(tmp_path / "cfg", {"config.yaml": CONFIG, **NEXT_TO_CONFIG})
    policies = Policies(BundleTree.at(ROOT))
    brought = importer_code.collect(policies, tmp_path / "cfg" / "config.yaml", None)
    [problem] = brought.problems
    assert (problem.location.line, problem.check) == (10, "import-code-missing")
    assert "general_settings.custom_auth names pkg.auth.user_api_key_auth: found neither next to config.yaml" in (
        problem.message
    )
    assert set(brought.files) == {"custom_callbacks.py", "helpers.py"}


def test_import_code_writes_config_code_the_bundle_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "cfg", {"config.yaml": CONFIG, **NEXT_TO_CONFIG})
    write(tmp_path / "mods", CODE_DIR)
    out = tmp_path / "out"
    code = main(["import", str(tmp_path / "cfg" / "config.yaml"), "--code", str(tmp_path / "mods"), "--into", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert (out / "code" / "pkg" / "auth.py").read_text() == CODE_DIR["pkg/auth.py"]
    assert not (out / "code" / "unrelated.py").exists()
    assert main(["validate", "--config", str(out)]) == 0
    assert (
        main(
            [
                "import",
                str(tmp_path / "cfg" / "config.yaml"),
                "--code",
                str(tmp_path / "nothing"),
                "--into",
                str(tmp_path / "o2"),
            ]
        )
        == 2
    )


def test_import_brings_a_prompt_directory_and_names_it_where_the_proxy_has_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = CONFIG.replace(
        "  callbacks: custom_callbacks.proxy_handler_instance\n",
        "  callbacks: custom_callbacks.proxy_handler_instance\n  global_prompt_directory: ./prompts\n",
    )
    prompt = "---\nmodel: gpt-4o-mini\n---\nHello {{name}}\n"
    write(tmp_path / "cfg", {"config.yaml": config, **NEXT_TO_CONFIG, "prompts/hello.prompt": prompt})
    write(tmp_path / "mods", CODE_DIR)
    out = tmp_path / "out"
    args = ["import", str(tmp_path / "cfg" / "config.yaml"), "--code", str(tmp_path / "mods"), "--into", str(out)]
    code = main(args)
    printed = capsys.readouterr()
    assert code == 0, printed.out + printed.err
    assert (out / "code" / "prompts" / "hello.prompt").read_text() == prompt
    litellm = YAML(typ="safe").load((out / "litellm.yaml").read_text())
    assert litellm["litellm_settings"]["global_prompt_directory"] == f"{CONFIG_MOUNT}/prompts"
    # the import report lists the change with its reason
    assert "global_prompt_directory" in (out / "IMPORT-REPORT.md").read_text()
