"""Request transforms: an ordered pipeline of small functions declared in hooks.json.

Interface: a transform is a callable `(data: dict, params: dict) -> dict | None`. It may modify
`data` in place (return None) or return the new request dict. Raise to signal failure; the
transform's `on_error` policy decides what happens next:
  fail_open   -> logged, counted (gateway_transform_failures), the request continues unchanged
  fail_closed -> the request is rejected with HTTP 500 naming the transform
Custom transforms are named by dotted path `module.callable` (importable from the config
directory or PYTHONPATH).
"""

from __future__ import annotations

import copy
import fnmatch
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from gateway_hooks import observability as obs
from gateway_hooks import routing

Transform = Callable[[dict[str, Any], dict[str, Any]], "dict[str, Any] | None"]
# a built-in also learns the API of the request (routing.API_OF_CALL: chat, messages, responses; None for others)
Builtin = Callable[[dict[str, Any], dict[str, Any], "str | None"], "dict[str, Any] | None"]

_SYSTEM_ROLES = ("system", "developer")


def _chat_system(data: dict[str, Any], text: str, mode: str) -> None:
    msgs = data.get("messages")
    if not isinstance(msgs, list):
        return
    system = {"role": "system", "content": text}
    existing = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") in _SYSTEM_ROLES]
    if mode == "inject_if_missing":
        if not existing:
            msgs.insert(0, system)
    elif mode == "replace":
        for index in reversed(existing):
            del msgs[index]
        msgs.insert(0, system)
    else:
        msgs.insert(0, system)


def _messages_system(data: dict[str, Any], text: str, mode: str) -> None:
    """Anthropic Messages: the top-level `system`, a string or a list of text blocks."""
    system = data.get("system")
    if not system or mode == "replace":
        data["system"] = text
    elif mode == "prepend" and isinstance(system, list):
        data["system"] = [{"type": "text", "text": text}, *system]
    elif mode == "prepend" and isinstance(system, str):
        data["system"] = f"{text}\n\n{system}"


def _responses_system(data: dict[str, Any], text: str, mode: str) -> None:
    """OpenAI Responses: `instructions` (a string or a list of input items), and system/developer
    messages among the `input` items."""
    instructions = data.get("instructions")
    raw = data.get("input")
    items: list[Any] = raw if isinstance(raw, list) else []
    in_input = [i for i, item in enumerate(items) if isinstance(item, dict) and item.get("role") in _SYSTEM_ROLES]
    if mode == "replace":
        for index in reversed(in_input):
            del items[index]
        data["instructions"] = text
    elif not instructions:
        if mode != "inject_if_missing" or not in_input:
            data["instructions"] = text
    elif mode == "prepend" and isinstance(instructions, list):
        data["instructions"] = [{"role": "developer", "content": text}, *instructions]
    elif mode == "prepend" and isinstance(instructions, str):
        data["instructions"] = f"{text}\n\n{instructions}"


_SYSTEM_PROMPT: dict[str | None, Callable[[dict[str, Any], str, str], None]] = {
    "chat": _chat_system,
    "messages": _messages_system,
    "responses": _responses_system,
}


def system_prompt(data: dict[str, Any], params: dict[str, Any], api: str | None = "chat") -> None:
    writer = _SYSTEM_PROMPT.get(api)
    if writer is not None:
        writer(data, params["text"], params.get("mode", "prepend"))


# every output-token limit a request format has: chat, Anthropic Messages, Responses, Gemini generateContent
MAX_TOKEN_FIELDS: tuple[tuple[str, ...], ...] = (
    ("max_tokens",),
    ("max_completion_tokens",),
    ("max_output_tokens",),
    ("generationConfig", "maxOutputTokens"),
    ("generation_config", "max_output_tokens"),
)
# Anthropic: an extended-thinking budget is at least this and below max_tokens
MIN_THINKING_BUDGET = 1024


def clamp_max_tokens(data: dict[str, Any], params: dict[str, Any], api: str | None = "chat") -> None:
    ceiling = int(params["max"])
    for path in MAX_TOKEN_FIELDS:
        holder: Any = data
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None
        value = holder.get(path[-1]) if isinstance(holder, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > ceiling:
            holder[path[-1]] = ceiling
    # a thinking budget the clamp left at or above max_tokens would make the provider refuse the request
    thinking, max_tokens = data.get("thinking"), data.get("max_tokens")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if isinstance(budget, int) and max_tokens == ceiling and budget >= ceiling > MIN_THINKING_BUDGET:
        thinking["budget_tokens"] = ceiling - 1  # type: ignore[index]  # budget is set only for a dict


def drop_params(data: dict[str, Any], params: dict[str, Any], api: str | None = "chat") -> None:
    models = params.get("models")
    if models and not any(fnmatch.fnmatchcase(str(data.get("model", "")), p) for p in models):
        return
    for name in params["params"]:
        data.pop(name, None)


def default_temperature(data: dict[str, Any], params: dict[str, Any], api: str | None = "chat") -> None:
    """Chat and Anthropic Messages only, and never beside thinking/reasoning (providers fix or refuse
    the temperature of reasoning requests)."""
    if api not in ("chat", "messages") or not isinstance(data.get("messages"), list):
        return
    if data.get("temperature") is None and not routing.wants_reasoning(data):
        data["temperature"] = params["value"]


BUILTINS: dict[str, Builtin] = {
    "system_prompt": system_prompt,
    "clamp_max_tokens": clamp_max_tokens,
    "drop_params": drop_params,
    "default_temperature": default_temperature,
}


class TransformFailed(Exception):
    """A fail_closed transform failed; the request must be rejected."""

    def __init__(self, name: str, cause: BaseException):
        self.name = name
        super().__init__(f"request transform '{name}' failed ({type(cause).__name__}); the request was not forwarded")


def _import(path: str) -> Transform:
    module_name, _, attr = path.rpartition(".")
    fn = getattr(importlib.import_module(module_name), attr)
    if not callable(fn):
        raise TypeError(f"{path} is not callable")
    return cast(Transform, fn)


def _broken(path: str, error: BaseException) -> Transform:
    def fail(data: dict[str, Any], params: dict[str, Any]) -> None:
        raise RuntimeError(f"custom transform {path} could not be loaded: {error}")

    return fail


# keys the proxy adds to the request dict; transforms must not change them, so a snapshot keeps references
_PROXY_KEYS = frozenset(
    {
        "metadata",
        "litellm_metadata",
        "proxy_server_request",
        "secret_fields",
        "user_api_key_dict",
        "litellm_logging_obj",
    }
)


def _snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the request that a failed step can be rolled back to."""
    copied: dict[str, Any] = {}
    for key, value in data.items():
        if key in _PROXY_KEYS or isinstance(value, (str, int, float, bool, type(None))):
            copied[key] = value
            continue
        try:
            copied[key] = copy.deepcopy(value)
        except Exception:
            copied[key] = value
    return copied


def _restore(data: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, Any]:
    data.clear()
    data.update(snapshot)
    return data


def _custom(fn: Transform) -> Builtin:
    """A custom transform keeps its two-argument interface."""
    return lambda data, params, api: fn(data, params)


@dataclass
class Step:
    name: str
    fn: Builtin
    params: dict[str, Any]
    fail_closed: bool


class Pipeline:
    def __init__(self, spec: dict[str, Any]):
        self.slow_ms = float(spec["slow_threshold_ms"])
        self.steps: list[Step] = []
        for entry in spec["pipeline"]:
            kind = entry["type"]
            if kind == "custom":
                try:
                    fn = _import(entry["path"])
                except Exception as exc:
                    obs.event(
                        "transform_load_failed", transform=entry["name"], path=entry["path"], error=type(exc).__name__
                    )
                    fn = _broken(entry["path"], exc)
                step = _custom(fn)
            else:
                step = BUILTINS[kind]
            self.steps.append(Step(entry["name"], step, dict(entry["params"]), entry["on_error"] == "fail_closed"))

    def apply(self, data: dict[str, Any], api: str | None = "chat") -> tuple[dict[str, Any], list[str]]:
        """Run every step in order on a request of `api` (routing.API_OF_CALL; None for other calls);
        returns the request and the names of steps that failed open."""
        failed: list[str] = []
        for step in self.steps:
            snapshot = _snapshot(data) if not step.fail_closed else None
            started = obs.monotonic()
            try:
                result = step.fn(data, step.params, api)
                if isinstance(result, dict):
                    data = result
            except Exception as exc:
                obs.TRANSFORM_FAILURES.labels(step.name, "fail_closed" if step.fail_closed else "fail_open").inc()
                obs.event(
                    "transform_failed",
                    transform=step.name,
                    policy="fail_closed" if step.fail_closed else "fail_open",
                    error=type(exc).__name__,
                    detail=str(exc)[:200],
                )
                if step.fail_closed:
                    raise TransformFailed(step.name, exc) from exc
                data = _restore(data, snapshot)  # type: ignore[arg-type]  # as before the failed step
                failed.append(step.name)
            finally:
                elapsed = obs.monotonic() - started
                obs.TRANSFORM_SECONDS.labels(step.name).observe(elapsed)
                if elapsed * 1000 > self.slow_ms:
                    obs.TRANSFORM_SLOW.labels(step.name).inc()
                    obs.event(
                        "transform_slow", transform=step.name, ms=round(elapsed * 1000, 3), threshold_ms=self.slow_ms
                    )
        return data, failed
