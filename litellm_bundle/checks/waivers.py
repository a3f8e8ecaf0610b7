"""Waivers (config/waivers.yaml, optional): problems the bundle accepts, each named by its check's id
(litellm_bundle/policy/checks.yaml; only the checks marked waivable), narrowed to environments, a file and a key,
with the reason. A waived problem is kept, marked with the reason, and fails nothing; a waiver that
names no waivable check is an error, one that matches no problem a warning (docs/validation.md, "Waivers")."""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from litellm_bundle.core.problems import SCHEMA, Found, Problem
from litellm_bundle.model.configset import ConfigSet, as_list
from litellm_bundle.policy.registry import Registry
from litellm_bundle.policy.schemas import dotted

SOURCE = "waivers"  # the document key of config/waivers.yaml


def _about(key: str, problem: Problem) -> bool:
    """Whether `problem` is about the dotted `key` or something under it."""
    if problem.subject is None:
        return False
    path = dotted(problem.subject[1])
    return path == key or path.startswith((f"{key}.", f"{key}["))


def matches(waiver: dict[str, Any], problem: Problem) -> bool:
    environments = waiver.get("environments")
    return (
        problem.check == waiver["check"]
        and (environments is None or problem.env in environments)
        and ("file" not in waiver or problem.location.file == waiver["file"])
        and ("key" not in waiver or _about(waiver["key"], problem))
    )


def apply(
    problems: list[Problem], cs: ConfigSet, registry: Registry, checked: list[str], environments: tuple[str, ...]
) -> list[Problem]:
    """The problems (classified, one environment each) with those a waiver covers marked waived, and the
    problems of the waivers themselves. `checked`: the environments validated in this run; a waiver
    for others, or for every environment when only some ran, cannot be found unused."""
    if not cs.usable(SOURCE):
        return problems
    doc = cs.docs[SOURCE]
    found = Found()
    waivable = registry.waivable
    usable: list[tuple[int, dict[str, Any]]] = []
    for index, waiver in enumerate(as_list(cs.data(SOURCE).get("waivers"))):
        if not isinstance(waiver, dict) or not isinstance(waiver.get("check"), str) or "reason" not in waiver:
            continue  # the schema reports it
        check = waiver["check"]
        if check in waivable:
            usable.append((index, waiver))
            continue
        hint = difflib.get_close_matches(check, waivable, n=1)
        why = "does not exist" if check not in registry else "cannot be waived"
        found.add(
            doc,
            ("waivers", index, "check"),
            f"waiver of check '{check}', which {why}"
            + (f"; did you mean '{hint[0]}'?" if hint else "")
            + f" (waivable: {', '.join(waivable)})",
            value=True,
            check="waiver-invalid",
        )
    used: set[int] = set()
    out = []
    for problem in problems:
        waiver = next(((i, w) for i, w in usable if matches(w, problem)), None)
        if waiver is None:
            out.append(problem)
        else:
            used.add(waiver[0])
            out.append(replace(problem, waived=str(waiver[1]["reason"])))
    # a waiver of a problem that later checks would find is not unused while earlier problems stop them
    broken = any(p.stage <= SCHEMA and p.severity == "error" for p in problems)
    for index, waiver in usable:
        wanted = waiver.get("environments") or environments
        if index in used or broken or not set(wanted) <= set(checked):
            continue
        found.add(
            doc,
            ("waivers", index),
            f"waiver of {waiver['check']} matches no problem; remove it (a stale waiver would cover a later problem)",
            check="waiver-unused",
        )
    return out + registry.classified(found.problems)
