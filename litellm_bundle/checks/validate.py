"""Validation pipeline: read + YAML -> literal secrets -> JSON Schema -> cross-references and what
rendering and running need -> environment policies; then each problem gets its check's severity and
stage (litellm_bundle/policy/checks.yaml), the waivers of config/waivers.yaml, and every problem once, causes first.

A check that needs a file that could not be read as data is skipped (it would only report
follow-on problems); every other check runs, also on schema-invalid data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from litellm_bundle.checks import (
    access,
    chart_env,
    litellm_settings,
    network,
    redis_pool,
    references,
    runnable,
    secret_scan,
    team_code,
    versions,
    waivers,
)
from litellm_bundle.core.problems import Problem, settle
from litellm_bundle.core.problems import Result as CommandResult
from litellm_bundle.model.configset import ConfigSet, load_config_set, schema_name
from litellm_bundle.model.effective import effective_config
from litellm_bundle.policy import registry, schemas
from litellm_bundle.policy.policies import Policies

Check = Callable[..., list[Problem]]


@dataclass
class Result(CommandResult):
    """The settled problems (errors first, causes first) and the config set they were found in."""

    config_set: ConfigSet = field(kw_only=True)


def _schema_problems(
    cs: ConfigSet, policies: Policies, context: dict[str, str], keys: Iterable[str] | None = None
) -> list[Problem]:
    """The source documents (`keys`: these only) against their schemas, LiteLLM's surface being `policies`'."""
    problems: list[Problem] = []
    for key, doc in cs.docs.items():
        if keys is not None and key not in keys:
            continue
        validator = policies.validator(policies.source_schema(schema_name(key)))
        schema_problems = schemas.check(validator, doc.data, doc, check="schema", context=context)
        if not schema_problems and not isinstance(doc.data, dict):
            schema_problems = [
                Problem(
                    doc.locate(()),
                    "the file must hold a mapping at the top level",
                    check="schema",
                    subject=(doc.file, ()),
                )
            ]
        problems += schema_problems
    return problems


def run(policies: Policies, envs: list[str] | None = None, debug: bool = False) -> Result:
    """Every problem (errors and warnings) in the tree's sources for the given environments
    (default: all), in one pass. `debug`: a check that fails on malformed data raises instead of
    being skipped (tests use it to find checks that are not robust)."""
    tree = policies.tree
    checks = registry.load()
    cs = load_config_set(tree, policies.environments)
    problems = list(cs.problems)
    for key, shown in cs.files.items():
        problems += secret_scan.scan(shown, cs.texts.get(key), cs.docs.get(key), policies.compiled_detectors)
    context = {"detectors": ", ".join(sorted(policies.detectors))}
    schema_found = _schema_problems(cs, policies, context)
    problems += schema_found
    clean = not schema_found and not cs.problems  # every problem of the config set is one of reading it
    if clean:
        cs.with_schema_defaults(policies)

    def guarded(needs: tuple[str, ...], run_check: Check, *args: Any, **kwargs: Any) -> list[Problem]:
        """`run_check(*args, **kwargs)` when the files it needs loaded. On data that failed its schema a check
        that trips over the shape is skipped (the schema problem is reported); on valid data it is a bug."""
        if not cs.usable(*needs):
            return []
        if clean or debug:
            return run_check(*args, **kwargs)
        try:
            return run_check(*args, **kwargs)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError):
            return []

    hooks = runnable.hooks_index(policies)
    code = team_code.code_paths(policies, hooks)  # the hooks, the team's code (config/code/), LiteLLM's package
    every_env = tuple(f"env:{e}" for e in policies.environments)
    problems += runnable.check_hooks_callback(policies, hooks)
    problems += team_code.check_team_code(code, policies)
    problems += guarded(("models",), references.check_models, cs, policies)
    problems += guarded(("routing", "models"), references.check_routing_references, cs, policies)
    problems += guarded(("routing", "models"), runnable.check_routing_effects, cs, policies)
    problems += guarded(("guardrails",), references.check_unique_names, cs, "guardrails", "guardrails", "guardrail")
    problems += guarded(("guardrails",), runnable.check_hooks_guardrails, cs, policies, hooks)
    problems += guarded(("transforms",), references.check_unique_names, cs, "transforms", "transforms", "transform")
    problems += guarded(("transforms",), runnable.check_transforms, cs, code)
    problems += guarded(("models", "guardrails", *every_env), runnable.check_unused_sources, cs, policies)
    # LiteLLM's own settings (config/litellm.yaml and the overlays' `litellm:`)
    problems += guarded(("litellm", *every_env), litellm_settings.check_litellm_callbacks, cs, policies, code)
    problems += guarded(("litellm", "guardrails"), litellm_settings.check_native_guardrails, cs, policies, code)
    problems += guarded(("litellm",), litellm_settings.check_guardrail_params, cs, policies)
    problems += guarded(("models",), litellm_settings.check_model_info_keys, cs, policies)
    problems += guarded(every_env, team_code.check_loaded_code, cs, policies, code)
    problems += guarded(("litellm",), litellm_settings.check_credentials, cs)
    problems += guarded(("litellm", *every_env), litellm_settings.check_secret_names, cs, policies)
    problems += guarded(("litellm", *every_env), chart_env.check_chart_env, cs, policies)
    problems += guarded(("litellm", *every_env), litellm_settings.check_unused_native_guardrails, cs, policies)
    problems += litellm_settings.check_version(policies)

    problems += guarded(every_env, versions.check_versions, cs, policies)
    for version, keys in versions.surfaces_to_check(cs).items():
        found = _schema_problems(cs, policies.for_version(version), context, keys)
        problems += versions.only_in_version(found, schema_found, version)
    chart_defaults = runnable.chart_resources(policies)
    for env in envs or cs.environments:
        key = f"env:{env}"
        if not cs.usable(key, "models", "guardrails", "routing"):
            continue
        eff = effective_config(cs, env)
        needs = (key, "models", "guardrails", "routing")
        problems += guarded(needs, references.check_environment_references, cs, eff, policies)
        problems += guarded((*needs, "secrets"), references.check_secret_references, cs, eff, policies)
        problems += guarded(needs, runnable.check_scaling, eff, chart_defaults)
        problems += guarded(needs, access.check_access, eff)
        problems += guarded(needs, access.check_connection_budget, eff)
        problems += guarded(needs, redis_pool.check_redis_connections, eff)
        problems += guarded(needs, access.check_metrics_scraper, eff, policies.env_ref)
        problems += guarded(needs, network.check_egress, eff, policies)
        problems += guarded((*needs, "litellm"), litellm_settings.check_model_group_aliases, cs, eff)
        for policy_file in policies.environment_policies(env):
            validator = policies.validator(policy_file)
            problems += guarded(needs, schemas.check, validator, eff.data, eff, env, check="policy", context=context)
    checked = envs or cs.environments
    problems = waivers.apply(checks.classified(problems), cs, checks, checked, policies.environments)
    return Result(settle(problems, policies.environments), config_set=cs)


def validate(policies: Policies, envs: list[str] | None = None) -> tuple[ConfigSet, list[Problem]]:
    """The config set and its errors (warnings do not stop a render; `validate --strict` fails on them)."""
    result = run(policies, envs)
    return result.config_set, result.errors
