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
    """Finds and redacts secrets with the detectors from hooks.json (policies/secret_patterns.json)."""

    def __init__(self, detectors: dict[str, str]):
        self.detectors = [(name, re.compile(pattern)) for name, pattern in detectors.items()]

    def find(self, text: str) -> list[str]:
        return [name for name, pattern in self.detectors if pattern.search(text)]

    def redact(self, text: str, hits: dict[str, int]) -> str:
        for name, pattern in self.detectors:
            text, count = pattern.subn(f"[REDACTED:{name}]", text)
            if count:
                hits[name] = hits.get(name, 0) + count
        return text


def _blocked(guardrail: str, reason: str) -> HTTPException:
    return HTTPException(status_code=400, detail={"error": f"Request blocked by guardrail '{guardrail}': {reason}", "guardrail": guardrail})


class _ConfiguredGuardrail(CustomGuardrail):
    """Reads its settings from hooks.json by guardrail_name; fails at startup when they are missing."""

    expected_type = ""

    def __init__(self, guardrail_name: str | None = None, config_path: str | None = None, **kwargs: Any):
        spec = settings.load(config_path)["guardrails"].get(guardrail_name or "")
        if spec is None or spec.get("type") != self.expected_type:
            raise ValueError(
                f"gateway hooks: guardrail '{guardrail_name}' has no {self.expected_type} entry in hooks.json; re-render the config"
            )
        self.spec = spec
        kwargs.setdefault("supported_event_hooks", [GuardrailEventHooks.pre_call])
        super().__init__(guardrail_name=guardrail_name, **kwargs)

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
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
        except Exception:  # noqa: BLE001 - an odd request shape must not crash the proxy
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
                raise _blocked(str(self.guardrail_name), f"the prompt contains a secret ({', '.join(found)}); remove it and retry")
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
