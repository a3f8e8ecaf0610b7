"""OSS guardrails: secret detection/redaction and banned keywords, run in LiteLLM's pre_call hook.

Error messages and logs name the guardrail and detector, never the matched text.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks

from gateway_hooks import messages, settings
from gateway_hooks import observability as obs


class SecretScanner:
    """Finds and redacts secrets with the detectors from hooks.json (policies/secret_patterns.json,
    the same detectors `make validate` runs over the config).

    One pass over the text: every detector's matches are collected, overlaps resolved (earliest
    start, then the longest match, then the detector listed first) and each kept match replaced
    once. A secret inside another (a key used as the password of a URL) is redacted as a whole,
    never half, and a replacement is never scanned again."""

    def __init__(self, detectors: dict[str, str]):
        self.detectors = [(name, re.compile(pattern)) for name, pattern in detectors.items()]

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        found = [
            (m.start(), m.end(), index, name)
            for index, (name, pattern) in enumerate(self.detectors)
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ]
        kept: list[tuple[int, int, str]] = []
        end = -1
        for start, stop, _, name in sorted(found, key=lambda f: (f[0], f[0] - f[1], f[2])):
            if start >= end:
                kept.append((start, stop, name))
                end = stop
        return kept

    def find(self, text: str) -> list[str]:
        return sorted({name for _, _, name in self.spans(text)})

    def redact(self, text: str, hits: dict[str, int]) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts, last = [], 0
        for start, stop, name in spans:
            parts += [text[last:start], f"[REDACTED:{name}]"]
            last = stop
            hits[name] = hits.get(name, 0) + 1
        parts.append(text[last:])
        return "".join(parts)


def _blocked(guardrail: str, reason: str) -> HTTPException:
    return HTTPException(
        status_code=400,
        detail={"error": f"Request blocked by guardrail '{guardrail}': {reason}", "guardrail": guardrail},
    )


class _ConfiguredGuardrail(CustomGuardrail):
    """Reads its settings from hooks.json by guardrail_name; fails at startup when they are missing."""

    expected_type = ""

    def __init__(self, guardrail_name: str | None = None, config_path: str | None = None, **kwargs: Any):
        spec = settings.load(config_path)["guardrails"].get(guardrail_name or "")
        if spec is None or spec.get("type") != self.expected_type:
            raise ValueError(
                f"gateway hooks: guardrail '{guardrail_name}' has no {self.expected_type} entry in hooks.json; "
                "re-render the config"
            )
        self.spec = spec
        kwargs.setdefault("supported_event_hooks", [GuardrailEventHooks.pre_call])
        super().__init__(guardrail_name=guardrail_name, **kwargs)

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        if not self._should_run(data):
            return data
        started = obs.monotonic()
        try:
            return self.check(data)
        finally:
            obs.HOOK_SECONDS.labels(self.expected_type).observe(obs.monotonic() - started)

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _should_run(self, data: dict[str, Any]) -> bool:
        try:
            return bool(self.should_run_guardrail(data=data, event_type=GuardrailEventHooks.pre_call))
        except Exception:
            return True


class SecretRedactionGuardrail(_ConfiguredGuardrail):
    expected_type = "secret_redaction"

    def __init__(self, guardrail_name: str | None = None, **kwargs: Any):
        super().__init__(guardrail_name=guardrail_name, **kwargs)
        self.scanner = SecretScanner(self.spec["detectors"])
        self.action = self.spec["action"]

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        """Redact in place (or raise 400 when the action is block). Returns the request."""
        if self.action == "block":
            found = sorted({name for text in messages.iter_texts(data) for name in self.scanner.find(text)})
            if found:
                for name in found:
                    obs.GUARDRAIL_ACTIONS.labels(self.guardrail_name, "blocked", name).inc()
                obs.event("guardrail_blocked", guardrail=self.guardrail_name, detectors=found)
                raise _blocked(
                    str(self.guardrail_name), f"the prompt contains a secret ({', '.join(found)}); remove it and retry"
                )
            return data
        hits: dict[str, int] = {}
        messages.rewrite_texts(data, lambda text: self.scanner.redact(text, hits))
        if hits:
            for name, count in hits.items():
                obs.GUARDRAIL_ACTIONS.labels(self.guardrail_name, "redacted", name).inc(count)
            obs.event("guardrail_redacted", guardrail=self.guardrail_name, detectors=hits)
        return data


class BannedKeywordsGuardrail(_ConfiguredGuardrail):
    expected_type = "banned_keywords"

    def __init__(self, guardrail_name: str | None = None, **kwargs: Any):
        super().__init__(guardrail_name=guardrail_name, **kwargs)
        keywords = [k for k in self.spec["keywords"] if k]
        self.pattern = re.compile("|".join(re.escape(k) for k in keywords), re.IGNORECASE) if keywords else None
        self.message = self.spec["message"]

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        if self.pattern is None:
            return data
        for text in messages.iter_texts(data):
            if self.pattern.search(text):
                obs.GUARDRAIL_ACTIONS.labels(self.guardrail_name, "blocked", "banned_keyword").inc()
                obs.event("guardrail_blocked", guardrail=self.guardrail_name, detectors=["banned_keyword"])
                raise _blocked(str(self.guardrail_name), self.message)
        return data
