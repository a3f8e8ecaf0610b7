"""Validation pipeline: read + YAML -> literal secrets -> JSON Schema -> cross-references and what
rendering and running need -> environment policies; then every problem once, causes first.

A check that needs a file that could not be read as data is skipped (it would only report
follow-on problems); every other check runs, also on schema-invalid data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from litellm_bundle.checks import access, litellm_settings, references, runnable, secret_scan
from litellm_bundle.core.problems import LOAD, POLICY, SCHEMA, Problem, errors, settle, warnings
from litellm_bundle.model.configset import ConfigSet, load_config_set, schema_name
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy import schemas
from litellm_bundle.policy.policies import Policies

Check = Callable[[], list[Problem]]


@dataclass
class Result:
    config_set: ConfigSet
    problems: list[Problem]  # settled: errors first, causes first

    @property
    def errors(self) -> list[Problem]:
        return errors(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings(self.problems)


def _schema_problems(cs: ConfigSet, policies: Policies, context: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for key, doc in cs.docs.items():
        validator = policies.validator(policies.source_schema(schema_name(key)))
        found = schemas.check(validator, doc.data, doc, context=context)
        if not found and not isinstance(doc.data, dict):
            found = [
                Problem(
                    doc.locate(()),
                    "the file must hold a mapping at the top level",
                    stage=SCHEMA,
                    subject=(doc.file, ()),
                )
            ]
        problems += found
    return problems


def run(policies: Policies, envs: list[str] | None = None, debug: bool = False) -> Result:
    """Every problem (errors and warnings) in the tree's sources for the given environments
    (default: all), in one pass. `debug`: a check that fails on malformed data raises instead of
    being skipped (tests use it to find checks that are not robust)."""
    tree = policies.tree
    cs = load_config_set(tree, policies.environments)
    problems = list(cs.problems)
    for key, shown in cs.files.items():
        problems += secret_scan.scan(shown, cs.texts.get(key), cs.docs.get(key), policies.compiled_detectors)
    context = {"detectors": ", ".join(sorted(policies.detectors))}
    schema_found = _schema_problems(cs, policies, context)
    problems += schema_found
    clean = not schema_found and not any(p.stage == LOAD for p in cs.problems)
    if clean:
        cs.with_schema_defaults(policies)

    def guarded(needs: tuple[str, ...], check: Check) -> list[Problem]:
        """Run a check when the files it needs loaded. On data that failed its schema a check that
        trips over the shape is skipped (the schema problem is reported); on valid data it is a bug."""
        if not cs.usable(*needs):
            return []
        if clean or debug:
            return check()
        try:
            return check()
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            return []

    hooks = runnable.hooks_index(policies)
    every_env = tuple(f"env:{e}" for e in policies.environments)
    problems += runnable.check_callbacks(policies, hooks)
    problems += guarded(("models",), lambda: references.check_models(cs, policies))
    problems += guarded(("routing", "models"), lambda: references.check_routing(cs, policies))
    problems += guarded(("routing", "models"), lambda: runnable.check_routing(cs, policies))
    problems += guarded(
        ("guardrails",), lambda: references.check_unique_names(cs, "guardrails", "guardrails", "guardrail")
    )
    problems += guarded(("guardrails",), lambda: runnable.check_guardrails(cs, policies, hooks))
    problems += guarded(
        ("transforms",), lambda: references.check_unique_names(cs, "transforms", "transforms", "transform")
    )
    problems += guarded(("transforms",), lambda: runnable.check_transforms(cs, hooks))
    problems += guarded(("models", "guardrails", *every_env), lambda: runnable.check_usage(cs, policies))
    # LiteLLM's own settings (config/litellm.yaml and the overlays' `litellm:`)
    problems += guarded(("litellm", *every_env), lambda: litellm_settings.check_callbacks(cs, policies, hooks))
    problems += guarded(("litellm", "guardrails"), lambda: litellm_settings.check_guardrails(cs, policies, hooks))
    problems += guarded(("litellm",), lambda: litellm_settings.check_credentials(cs))
    problems += guarded(("litellm", *every_env), lambda: litellm_settings.check_secret_names(cs, policies))
    problems += guarded(("litellm", *every_env), lambda: litellm_settings.check_usage(cs, policies))
    problems += litellm_settings.check_version(policies)

    pinned = tree.pinned_version()
    chart_defaults = runnable.chart_resources(policies)
    for env in envs or cs.environments:
        key = f"env:{env}"
        if not cs.usable(key, "models", "guardrails", "routing"):
            continue
        eff = effective_config(cs, env)
        needs = (key, "models", "guardrails", "routing")
        problems += guarded(needs, lambda: references.check_environment(cs, eff, pinned, policies))
        problems += guarded((*needs, "secrets"), lambda: references.check_secret_references(cs, eff, policies))
        problems += guarded(needs, lambda: runnable.check_scaling(eff, chart_defaults))
        problems += guarded(needs, lambda: access.check_environment(eff))
        problems += guarded(needs, lambda: access.check_connection_budget(eff))
        problems += guarded(needs, lambda: access.check_metrics_scraper(eff, policies.env_ref))
        problems += guarded((*needs, "litellm"), lambda: litellm_settings.check_environment(cs, eff))
        for policy_file in policies.environment_policies(env):
            validator = policies.validator(policy_file)
            problems += guarded(
                needs, lambda: schemas.check(validator, eff.data, eff, env, stage=POLICY, context=context)
            )
    return Result(cs, settle(problems, policies.environments))


def validate(policies: Policies, envs: list[str] | None = None) -> tuple[ConfigSet, list[Problem]]:
    """The config set and its errors (warnings do not stop a render; `validate --strict` fails on them)."""
    result = run(policies, envs)
    return result.config_set, result.errors
