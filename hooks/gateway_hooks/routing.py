"""Routing rules: ordered, first match wins; a match yields a label, labels map to model groups."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from gateway_hooks import messages

# the APIs the rules route, by LiteLLM's call type (what async_pre_call_hook receives)
API_OF_CALL = {
    "completion": "chat",
    "acompletion": "chat",
    "anthropic_messages": "messages",
    "aanthropic_messages": "messages",
    "responses": "responses",
    "aresponses": "responses",
}


@dataclass(frozen=True)
class Decision:
    rule: str  # rule name, or "default" / "none"
    label: str | None
    requested: str
    target: str  # model group the request goes to
    skipped: str | None = None  # why a matching rule was not applied: "mode" or "rights"

    @property
    def rerouted(self) -> bool:
        return self.target != self.requested

    def skip(self, reason: str) -> Decision:
        """The same match, served by the requested group."""
        return Decision(self.rule, self.label, self.requested, self.requested, reason)


def count_prompt_tokens(data: dict[str, Any], model: str, api: str = "chat") -> int:
    """Prompt tokens with the tokenizer LiteLLM has for the requested model (its default otherwise).
    Chat messages go to the tokenizer as messages; Anthropic and Responses bodies as their texts."""
    import litellm  # noqa: PLC0415  (the hooks load without litellm in unit tests; it is imported once)

    msgs = data.get("messages")
    if api == "chat" and isinstance(msgs, list):
        safe = [m for m in msgs if isinstance(m, dict)]
        return int(litellm.token_counter(model=model, messages=safe))
    text = " ".join(messages.iter_texts(data))
    return int(litellm.token_counter(model=model, text=text))


def _has_tools(data: dict[str, Any]) -> bool:
    return bool(data.get("tools") or data.get("functions"))


def _tool_names(data: dict[str, Any]) -> set[str]:
    """Chat `tools[].function.name` and `functions[].name`; Anthropic and Responses `tools[].name`."""
    names: set[str] = set()
    tools = data.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        if isinstance(tool, dict):
            function = tool.get("function")
            fn = function if isinstance(function, dict) else tool
            if isinstance(fn.get("name"), str):
                names.add(fn["name"])
    functions = data.get("functions")
    for fn in functions if isinstance(functions, list) else []:
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            names.add(fn["name"])
    return names


_NO_EFFORT = (None, "none", "minimal")


def wants_reasoning(data: dict[str, Any]) -> bool:
    """Chat `reasoning_effort`, Anthropic `thinking` (enabled, adaptive), Responses `reasoning` (an
    object whose `effort` is not none/minimal; no effort means the model's default, which reasons)."""
    if data.get("reasoning_effort") not in _NO_EFFORT:
        return True
    reasoning = data.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort", "default") not in _NO_EFFORT:
        return True
    thinking = data.get("thinking")
    if isinstance(thinking, dict):
        return thinking.get("type") in ("enabled", "adaptive")
    return bool(thinking)


class Router:
    def __init__(self, routing: dict[str, Any]):
        self.labels: dict[str, str] = routing["labels"]
        self.rules: list[dict[str, Any]] = routing["rules"]
        self.default_label: str | None = routing["default_label"]
        self.groups: set[str] = set(routing["model_groups"])

    def _matches(self, when: dict[str, Any], data: dict[str, Any], model: str, api: str) -> bool:
        # cheap conditions first; the token count only when everything else holds
        if "apis" in when and api not in when["apis"]:
            return False
        patterns = when.get("models")
        if patterns and not any(fnmatch.fnmatchcase(model, p) for p in patterns):
            return False
        if "has_tools" in when and _has_tools(data) != bool(when["has_tools"]):
            return False
        if "tool_name" in when and when["tool_name"] not in _tool_names(data):
            return False
        if "reasoning" in when and wants_reasoning(data) != bool(when["reasoning"]):
            return False
        if "header" in when:
            header = when["header"]
            if messages.request_headers(data).get(str(header["name"]).lower()) != header["equals"]:
                return False
        if "metadata" in when:
            metadata = messages.request_metadata(data)
            if any(metadata.get(k) != v for k, v in when["metadata"].items()):
                return False
        if "min_prompt_tokens" in when:
            threshold = int(when["min_prompt_tokens"])
            # a token is at least one character: short prompts never need the tokenizer
            if messages.total_chars(data) < threshold:
                return False
            if count_prompt_tokens(data, model, api) < threshold:
                return False
        return True

    def decide(self, data: dict[str, Any], api: str = "chat") -> Decision:
        """The first rule that matches a request of `api` (chat, messages, responses: API_OF_CALL)."""
        model = str(data.get("model") or "")
        for rule in self.rules:
            if self._matches(rule.get("when") or {}, data, model, api):
                return self._resolve(rule.get("name", "?"), rule.get("label"), model)
        if self.default_label is not None:
            return self._resolve("default", self.default_label, model)
        return Decision("none", None, model, model)

    def _resolve(self, rule: str, label: str | None, model: str) -> Decision:
        target = self.labels.get(label or "")
        if target is None or target not in self.groups:
            # unknown or unmapped label: fall back to the default label, else keep the requested group
            fallback = self.labels.get(self.default_label or "")
            if fallback in self.groups and label != self.default_label:
                return Decision(rule, self.default_label, model, fallback)
            return Decision(rule, label, model, model)
        return Decision(rule, label, model, target)
