"""The upgrade's markdown report for the pull request: the verdict first, the steps in a table (status,
time, one line each), then one section per step in a fixed order (upgrade/run.py's STEPS). Nothing in it
depends on the order things finished in; only the times vary from run to run."""

from __future__ import annotations

from litellm_bundle.upgrade.run import Upgrade

VERDICTS = {
    "pass": "every check passed on the target",
    "break": "the upgrade breaks something below; do not merge as it is",
    "blocked": "the target cannot be installed from the package index",
    "incomplete": "nothing broke, but not every check ran",
}


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"


def markdown(upgrade: Upgrade, command: str) -> str:
    verdict = upgrade.verdict
    lines = [
        f"# LiteLLM {upgrade.current} -> {upgrade.target}",
        "",
        f"**Verdict: {verdict}** ({VERDICTS[verdict]}).",
        "",
        f"Written by `{command}`.",
        "",
        "| step | result | time | summary |",
        "|---|---|---|---|",
    ]
    for index, step in enumerate(upgrade.steps, 1):
        summary = step.summary.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {index}. {step.name} | {step.status} | {_seconds(step.seconds)} | {summary} |")
    for index, step in enumerate(upgrade.steps, 1):
        lines += ["", f"## {index}. {step.title}", "", f"Result: **{step.status}**. {step.summary}"]
        if step.body:
            lines += ["", *step.body]
    return "\n".join(lines).rstrip() + "\n"


def short(upgrade: Upgrade) -> list[str]:
    """The lines the command prints: the verdict, then each step's result."""
    return [
        f"upgrade {upgrade.current} -> {upgrade.target}: {upgrade.verdict} ({VERDICTS[upgrade.verdict]})",
        *(f"  {step.name}: {step.status}: {step.summary}" for step in upgrade.steps),
    ]
