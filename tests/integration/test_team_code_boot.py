"""The boot check with the team's own code (config/code/): the real pinned proxy boots on the rendered dev
config with the team's modules staged next to it, and LiteLLM imports them: a callback module that imports
a sibling module of the team's code, and a guardrail class (docs/team-code.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.runtime import boot_check
from tests.helpers import copy_tree

pytestmark = pytest.mark.proxy

TEAM_CODE = {
    "team_callbacks.py": '''"""A team's callback: LiteLLM loads it from <config dir>/team_callbacks.py."""
from litellm.integrations.custom_logger import CustomLogger

from team_helpers import audit_line  # a sibling module of the team's code: the config's directory is importable


class TeamAuditLogger(CustomLogger):
    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        audit_line(kwargs.get("model"))


handler = TeamAuditLogger()
''',
    "team_helpers.py": """def audit_line(model):
    return f"audit: {model}"
""",
    "guards/__init__.py": "",
    "guards/team.py": """from litellm.integrations.custom_guardrail import CustomGuardrail


class TeamGuard(CustomGuardrail):
    async def async_pre_call_hook(self, user_api_key_dict, cache, data, call_type):
        return data
""",
}
SETTINGS = """  callbacks: [team_callbacks.handler]
guardrails:
  - guardrail_name: team-guard
    litellm_params:
      guardrail: guards.team.TeamGuard
      mode: pre_call
"""


def test_the_boot_check_boots_the_proxy_with_the_teams_code(tmp_path: Path) -> None:
    root = copy_tree(tmp_path / "bundle")
    for name, text in TEAM_CODE.items():
        (root / "config" / "code" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "config" / "code" / name).write_text(text)
    litellm = root / "config" / "litellm.yaml"
    litellm.write_text(litellm.read_text() + SETTINGS)
    dev = root / "config" / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("guardrails: [redact-secrets, banned-keywords]", "guardrails: [team-guard]"))
    tree = BundleTree.at(root)
    config, _, _ = boot_check.rendered(tree, "dev")
    _, callbacks, guardrails = boot_check.expected(config)
    assert "team_callbacks.handler" in callbacks and guardrails == ["team-guard"]

    [result] = boot_check.check_environments(tree, ["dev"], tmp_path / "work")

    # booted, every callback (the team's among them) active, the team's guardrail listed, no traceback
    assert not result.failures, str(result)
    assert "the team's code: 4 files of config/code/" in result.notes, result.notes
    staged = tmp_path / "work" / "dev" / "etc"
    assert (staged / "team_helpers.py").read_text() == TEAM_CODE["team_helpers.py"]
    assert (staged / "guards" / "team.py").is_file() and (staged / "config.yaml").is_file()
