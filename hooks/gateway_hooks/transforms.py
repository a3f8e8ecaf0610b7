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

Transform = Callable[[dict[str, Any], dict[str, Any]], "dict[str, Any] | None"]


def system_prompt(data: dict[str, Any], params: dict[str, Any]) -> None:
    msgs = data.get("messages")
    if not isinstance(msgs, list):
        return
    mode = params["mode"]
    system = {"role": "system", "content": params["text"]}
    existing = [i for i, m in enumerate(msgs) if isinstance(m, dict) and m.get("role") in ("system", "developer")]
    if mode == "inject_if_missing":
        if not existing:
            msgs.insert(0, system)
    elif mode == "replace":
        for index in reversed(existing):
            del msgs[index]
        msgs.insert(0, system)
    else:
        msgs.insert(0, system)


def clamp_max_tokens(data: dict[str, Any], params: dict[str, Any]) -> None:
    ceiling = int(params["max"])
    for key in ("max_tokens", "max_completion_tokens"):
        value = data.get(key)
        if isinstance(value, (int, float)) and value > ceiling:
            data[key] = ceiling


def drop_params(data: dict[str, Any], params: dict[str, Any]) -> None:
    models = params.get("models")
    if models and not any(fnmatch.fnmatchcase(str(data.get("model", "")), p) for p in models):
        return
    for name in params["params"]:
        data.pop(name, None)


def default_temperature(data: dict[str, Any], params: dict[str, Any]) -> None:
    if data.get("temperature") is None and isinstance(data.get("messages"), list):
        data["temperature"] = params["value"]


BUILTINS: dict[str, Transform] = {
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


@dataclass
class Step:
    name: str
    fn: Transform
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
            else:
                fn = BUILTINS[kind]
            self.steps.append(Step(entry["name"], fn, dict(entry["params"]), entry["on_error"] == "fail_closed"))

    def apply(self, data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Run every step in order; returns the request and the names of steps that failed open."""
        failed: list[str] = []
        for step in self.steps:
            snapshot = _snapshot(data) if not step.fail_closed else None
            started = obs.monotonic()
            try:
                result = step.fn(data, step.params)
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
