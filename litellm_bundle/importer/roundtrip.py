"""The round trip: an environment's rendering is the original config.yaml changed by exactly the changes
the import report lists for that environment.

`verify` applies the listed changes to the original, compares the result with the rendering and returns
(what the bundle added, what is wrong). Every difference must be a listed change or one of the additions
every rendering of the bundle makes (BUNDLE_ADDITIONS: a key the original does not have, e.g. each
deployment's id); every listed change must show (the rendering differs from the original there).
Orders that carry no meaning are ignored: model_list across groups (within a group it is kept),
callbacks and guardrails, fallbacks written as one mapping or several. Values compare exactly (an empty list
is a value, not an absent one)."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from litellm_bundle.core.facts import CALLBACK_KEYS, FALLBACK_KINDS, HOOKS_CALLBACK, HOOKS_PACKAGE, RUST_CORE_ENV
from litellm_bundle.core.problems import PathKey
from litellm_bundle.importer.report import ADD_ITEM, DROP, MISSING, SET, Change, at, child
from litellm_bundle.policy.schemas import dotted, show

ANY = "*"
CALLBACK_PATHS = tuple((key,) for key in CALLBACK_KEYS)
FALLBACK_PATHS = tuple((kind,) for kind in FALLBACK_KINDS)
REDIS = "the environment's one Redis (environment `redis`), shared by the router and the cache"
DATABASE = "with a database, LiteLLM's production advice (environment `database`)"
# what every rendering may add where the original has no value: (path pattern, op, reason)
BUNDLE_ADDITIONS: tuple[tuple[PathKey, str, str], ...] = (
    (("model_list", ANY, "model_info", "id"), SET, "every deployment has an id (`id` in models.yaml)"),
    (("model_list", ANY, "model_info", "mode"), SET, "its group's mode (chat unless stated): the hooks route by it"),
    (("router_settings", "routing_strategy"), SET, "LiteLLM's default strategy, stated (routing.yaml `strategy`)"),
    (("router_settings", "redis_host"), SET, REDIS),
    (("router_settings", "redis_port"), SET, REDIS),
    (("router_settings", "redis_password"), SET, REDIS),
    (("litellm_settings", "cache_params", "type"), SET, REDIS),
    (("litellm_settings", "cache_params", "host"), SET, REDIS),
    (("litellm_settings", "cache_params", "port"), SET, REDIS),
    (("litellm_settings", "cache_params", "password"), SET, REDIS),
    (("litellm_settings", "require_auth_for_metrics_endpoint"), SET, "prometheus: whether /metrics/ needs a key"),
    (("general_settings", "database_connection_pool_limit"), SET, DATABASE),
    (("general_settings", "proxy_batch_write_at"), SET, DATABASE),
    (("litellm_settings", "callbacks"), ADD_ITEM, "the gateway hooks (routing rules, transforms, guardrails)"),
    (("guardrails",), ADD_ITEM, "a guardrail of the gateway hooks the environment enables"),
    (
        ("environment_variables", RUST_CORE_ENV),
        SET,
        "LiteLLM's Rust core, off or on as the environment says (`rust_core`)",
    ),
)


# what an environment key renders into LiteLLM's config: a difference there follows from a listed change of
# the environment (a policy's fix in an environment's copy)
RENDERED_FROM: dict[str, tuple[PathKey, ...]] = {
    "master_key": (("general_settings", "master_key"),),
    "database": (
        ("general_settings", "database_url"),
        ("general_settings", "database_connection_pool_limit"),
        ("general_settings", "proxy_batch_write_at"),
    ),
    "redis": (
        ("router_settings", "redis_host"),
        ("router_settings", "redis_port"),
        ("router_settings", "redis_password"),
        ("litellm_settings", "cache_params", "host"),
        ("litellm_settings", "cache_params", "port"),
        ("litellm_settings", "cache_params", "password"),
    ),
    "require_auth_for_metrics_endpoint": (("litellm_settings", "require_auth_for_metrics_endpoint"),),
    "guardrails": (("guardrails",),),
    "rust_core": (("environment_variables", RUST_CORE_ENV),),
}


def _bundle_item(path: PathKey, item: Any) -> bool:
    """Whether an added list item is the bundle's own (its callback, a guardrail of its hooks)."""
    if path == ("litellm_settings", "callbacks"):
        return bool(item == HOOKS_CALLBACK)
    guardrail = at(item, ("litellm_params", "guardrail"))
    return isinstance(guardrail, str) and guardrail.startswith(f"{HOOKS_PACKAGE}.")


@dataclass(frozen=True)
class Difference:
    op: str  # SET (added or replaced), DROP, ADD_ITEM, "remove_item"
    path: PathKey
    before: Any
    after: Any

    def __str__(self) -> str:
        if self.op == ADD_ITEM:
            return f"{dotted(self.path)}: {show(self.after)} added"
        if self.op == "remove_item":
            return f"{dotted(self.path)}: {show(self.before)} removed"
        before = "(none)" if self.before is MISSING else show(self.before)
        after = "(none)" if self.after is MISSING else show(self.after)
        return f"{dotted(self.path)}: {before} became {after}"


def _same(a: Any, b: Any) -> bool:
    return (a is MISSING and b is MISSING) or (a is not MISSING and b is not MISSING and _canonical(a) == _canonical(b))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _parent(root: dict[str, Any], parents: PathKey) -> Any:
    """The container at `parents` (mappings made where there is none; None past a value)."""
    node: Any = root
    for part in parents:
        if isinstance(node, dict) and not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = child(node, part)
        if node is MISSING:
            return None
    return node


def apply(original: dict[str, Any], changes: list[Change]) -> dict[str, Any]:
    """The original with the changes made, in order."""
    out = copy.deepcopy(original)
    for change in changes:
        *parents, last = change.path
        node = _parent(out, tuple(parents))
        value = copy.deepcopy(change.value)
        if isinstance(node, list) and isinstance(last, int) and change.op == SET and child(node, last) is not MISSING:
            node[last] = value  # an item replaced (a reference renamed)
        elif isinstance(node, dict) and change.op == SET:
            node[last] = value
        elif isinstance(node, dict) and change.op == DROP:
            node.pop(last, None)
        elif isinstance(node, dict) and change.op == ADD_ITEM:
            items = node.get(last)
            node[last] = [*(items if isinstance(items, list) else []), value]
    return out


def _counted(items: list[Any]) -> Counter[str]:
    return Counter(_canonical(i) for i in items)


def _items(path: PathKey, mine: Any, theirs: Any) -> list[Difference]:
    """Lists whose order carries no meaning: items added and removed."""
    a = mine if isinstance(mine, list) else []
    b = theirs if isinstance(theirs, list) else []
    added, removed = _counted(b) - _counted(a), _counted(a) - _counted(b)
    return [Difference(ADD_ITEM, path, MISSING, json.loads(i)) for i in added.elements()] + [
        Difference("remove_item", path, json.loads(i), MISSING) for i in removed.elements()
    ]


def _fallback_pairs(value: Any) -> list[tuple[str, str]]:
    items = value if isinstance(value, list) else []
    return [(k, _canonical(v)) for item in items if isinstance(item, dict) for k, v in item.items()]


def _compare(path: PathKey, mine: Any, theirs: Any, out: list[Difference]) -> None:
    if _same(mine, theirs):
        return
    unordered = path == ("guardrails",) or (path[:1] == ("litellm_settings",) and path[1:] in CALLBACK_PATHS)
    if unordered and isinstance(theirs, list) and (isinstance(mine, list) or mine is MISSING):
        out += _items(path, mine, theirs)
        return
    fallbacks = path[:1] == ("router_settings",) and path[1:] in FALLBACK_PATHS
    if fallbacks and _fallback_pairs(mine) == _fallback_pairs(theirs):
        return
    if (isinstance(mine, dict) or mine is MISSING) and (isinstance(theirs, dict) or theirs is MISSING):
        mine, theirs = mine if isinstance(mine, dict) else {}, theirs if isinstance(theirs, dict) else {}
        for key in [*mine, *(k for k in theirs if k not in mine)]:
            _compare(path + (key,), mine.get(key, MISSING), theirs.get(key, MISSING), out)
        return
    out.append(Difference(DROP, path, mine, MISSING) if theirs is MISSING else Difference(SET, path, mine, theirs))


def _groups(model_list: Any) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in enumerate(model_list if isinstance(model_list, list) else []):
        if isinstance(entry, dict):
            groups.setdefault(str(entry.get("model_name")), []).append((index, entry))
    return groups


def pairs(original: dict[str, Any], rendered: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each model_list entry of the original (by index) with the rendered entry it became (same group,
    same place in it)."""
    theirs = _groups(rendered.get("model_list"))
    out: dict[int, dict[str, Any]] = {}
    for name, entries in _groups(original.get("model_list")).items():
        for position, (index, _) in enumerate(entries):
            if position < len(theirs.get(name, [])):
                out[index] = theirs[name][position][1]
    return out


def differences(expected: dict[str, Any], rendered: dict[str, Any]) -> list[Difference]:
    """What differs between the expected config and a rendering, model_list entries by their index in the
    expected config."""
    out: list[Difference] = []
    mine, theirs = _groups(expected.get("model_list")), _groups(rendered.get("model_list"))
    for name in [*mine, *(n for n in theirs if n not in mine)]:
        a, b = mine.get(name, []), theirs.get(name, [])
        if len(a) != len(b):
            out.append(Difference(SET, ("model_list",), f"group {name}: {len(a)} deployment(s)", f"{len(b)}"))
            continue
        for (index, entry), (_, other) in zip(a, b, strict=True):
            _compare(("model_list", index), entry, other, out)
    for key in [*expected, *(k for k in rendered if k not in expected)]:
        if key != "model_list":
            _compare((key,), expected.get(key, MISSING), rendered.get(key, MISSING), out)
    return out


def _matches(pattern: PathKey, path: PathKey) -> bool:
    return len(pattern) == len(path) and all(p in (ANY, q) for p, q in zip(pattern, path, strict=True))


EMPTY_SECTION = "an empty section: LiteLLM reads it as none, and so does the bundle"


def bundle_reason(difference: Difference) -> str | None:
    """Why the bundle made this difference, when it is one every rendering may make."""
    empty = (difference.before in ({}, []) and difference.after is MISSING) or (
        difference.before is MISSING and difference.after in ({}, [])
    )
    if len(difference.path) == 1 and empty:
        return EMPTY_SECTION
    for pattern, op, reason in BUNDLE_ADDITIONS:
        if op != difference.op or not _matches(pattern, difference.path):
            continue
        if op == SET and difference.before is MISSING:
            return reason
        if op == ADD_ITEM and _bundle_item(difference.path, difference.after):
            return reason
    return None


def value_at(config: dict[str, Any], path: PathKey, entries: dict[int, dict[str, Any]] | None = None) -> Any:
    """The value at `path` (MISSING when there is none); with `entries`, model_list indexes name the
    original's entries (pairs())."""
    if path[:1] == ("model_list",) and len(path) > 1 and entries is not None and isinstance(path[1], int):
        return at(entries.get(path[1], MISSING), path[2:])
    return at(config, path)


def shows(change: Change, original: dict[str, Any], rendered: dict[str, Any], entries: dict[int, Any]) -> bool:
    """Whether a listed change is visible: the rendering differs from the original where it says."""
    before, after = value_at(original, change.path), value_at(rendered, change.path, entries)
    if change.op == ADD_ITEM:
        a = before if isinstance(before, list) else []
        b = after if isinstance(after, list) else []
        item = _canonical(change.value)
        return _counted(b)[item] > _counted(a)[item]
    if change.op == DROP:
        return before is not MISSING and after is MISSING
    return not _same(before, after)  # that it is the listed value: differences() found nothing else


def environment_reason(difference: Difference, changes: Sequence[Change]) -> Change | None:
    """The listed change of an environment key the difference follows from."""
    for change in changes:
        if any(_matches(path, difference.path) for path in RENDERED_FROM.get(str(change.path[0]), ())):
            return change
    return None


def verify(
    original: dict[str, Any], rendered: dict[str, Any], changes: list[Change], environment: Sequence[Change] = ()
) -> tuple[list[tuple[Difference, str, str]], list[str]]:
    """(the differences that follow from the bundle or from the environment's listed changes, each with its
    reason and kind; what is wrong) for one environment: its rendering against the original changed by
    `changes` (that environment's CONFIG changes; `environment`: its ENVIRONMENT changes)."""
    expected = apply(original, changes)
    added: list[tuple[Difference, str, str]] = []
    wrong: list[str] = []
    for difference in differences(expected, rendered):
        reason = bundle_reason(difference)
        cause = environment_reason(difference, environment) if reason is None else None
        if reason is not None:
            added.append((difference, reason, "bundle"))
        elif cause is not None:
            added.append((difference, f"from the environment's `{cause.path[0]}`: {cause.reason}", cause.kind))
        else:
            wrong.append(f"{difference} (not a listed change)")
    entries = pairs(original, rendered)
    wrong += [
        f"{dotted(c.path)}: the listed change ({c.describe()}) does not show in the rendering"
        for c in changes
        if not shows(c, original, rendered, entries)
    ]
    return added, wrong
