"""Every generated file of a bundle tree, produced in memory: `generate(tree) -> {path: bytes}`.

`render` writes the result, `render --check` compares it with the disk and `diff` compares it with
the same generation at a git ref; all three see every output, k8s/ and compose/ included."""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml import YAML

from litellm_bundle.checks.validate import validate
from litellm_bundle.core.facts import (
    COMPOSE_AREA,
    CONFIG_REFERENCE,
    ENV_EXAMPLE,
    GENERATED_AREAS,
    K8S_AREA,
    RENDERED_AREA,
)
from litellm_bundle.core.problems import ValidationFailed
from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube
from litellm_bundle.model.configset import ConfigSet
from litellm_bundle.policy.policies import Policies
from litellm_bundle.render import compose, env_example
from litellm_bundle.render.environment import render_all, render_environment
from litellm_bundle.render.reference import config_reference


@dataclass
class Generated:
    files: dict[str, bytes]
    areas: tuple[str, ...]  # what this generation owns (k8s/ is left out with with_k8s=False)
    config_set: ConfigSet


def generate(tree: BundleTree, with_k8s: bool = True) -> Generated:
    """Validate the tree, then produce every generated file; raises ValidationFailed with every
    problem when the sources do not validate (nothing is produced)."""
    policies = Policies(tree)
    cs, problems = validate(policies)
    if problems:
        raise ValidationFailed(problems)
    texts: dict[str, str] = {}
    rendered = render_all(cs, policies)
    for env, env_files in rendered.items():
        texts.update({f"{RENDERED_AREA}{env}/{name}": text for name, text in env_files.items()})
        if with_k8s:
            texts[f"{K8S_AREA}{env}/manifests.yaml"] = kube.manifests(tree, env, env_files["values.yaml"])
    dev_values = (
        YAML(typ="safe").load(rendered[compose.STACK_ENV]["values.yaml"]) if compose.STACK_ENV in rendered else None
    )
    texts.update({f"{COMPOSE_AREA}{name}": text for name, text in compose.compose_files(tree, cs, dev_values).items()})
    texts[ENV_EXAMPLE] = env_example.env_example(cs)
    texts[CONFIG_REFERENCE] = config_reference(policies)
    areas = GENERATED_AREAS if with_k8s else tuple(a for a in GENERATED_AREAS if a != K8S_AREA)
    return Generated({path: text.encode("utf-8") for path, text in texts.items()}, areas, cs)


def rendered_values(generated: Generated, envs: list[str] | None = None) -> dict[str, str]:
    """environment -> rendered values.yaml text, from a generation (for helm)."""
    envs = envs or generated.config_set.environments
    return {env: generated.files[f"{RENDERED_AREA}{env}/values.yaml"].decode("utf-8") for env in envs}


def render_one(tree: BundleTree, env: str) -> dict[str, str]:
    """One environment's rendered/<env>/ files (name -> text) of a tree; raises ValidationFailed."""
    policies = Policies(tree)
    cs, problems = validate(policies, [env])
    if problems:
        raise ValidationFailed(problems)
    return render_environment(cs, env, policies)
