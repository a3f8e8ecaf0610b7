"""OSS guardrails: secret detection/redaction and banned keywords, run in LiteLLM's pre_call hook.

The scanning (gateway_hooks.textscan) is cut into bounded steps and the hook gives the event loop
back between them; a request with more prompt text than a guardrail's `max_scan_chars` is refused
with 413 before anything is scanned. Error messages and logs name the guardrail and detector, never
the matched text.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_guardrail import CustomGuardrail
from litellm.types.guardrails import GuardrailEventHooks

from gateway_hooks import messages, settings, textscan
from gateway_hooks import observability as obs


def _blocked(guardrail: str, reason: str, status: int = 400) -> HTTPException:
    return HTTPException(
        status_code=status,
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
        self.max_scan_chars: int = spec["max_scan_chars"]
        kwargs.setdefault("supported_event_hooks", [GuardrailEventHooks.pre_call])
        super().__init__(guardrail_name=guardrail_name, **kwargs)

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        if not self._should_run(data):
            return data
        started = obs.monotonic()
        try:
            await textscan.drive(self.steps(data))
            return data
        finally:
            obs.HOOK_SECONDS.labels(self.expected_type).observe(obs.monotonic() - started)

    def check(self, data: dict[str, Any]) -> dict[str, Any]:
        """The same work without giving way (tests, tools). Returns the request, changed in place."""
        textscan.run(self.steps(data))
        return data

    def steps(self, data: dict[str, Any]) -> textscan.Steps[None]:
        """Check (and change in place) the request, yielding between bounded pieces of work."""
        raise NotImplementedError

    def texts(self, data: dict[str, Any]) -> list[str]:
        """The request's prompt texts; 413 when together they are longer than max_scan_chars."""
        texts = list(messages.iter_texts(data))
        size = sum(len(text) for text in texts)
        if size > self.max_scan_chars:
            self.blocked(["too_large"])
            raise _blocked(
                str(self.guardrail_name),
                f"the prompt text is {size} characters, more than the {self.max_scan_chars} this guardrail "
                "scans (max_scan_chars); send less text",
                status=413,
            )
        return texts

    def blocked(self, detectors: list[str]) -> None:
        for name in detectors:
            obs.GUARDRAIL_ACTIONS.labels(self.guardrail_name, "blocked", name).inc()
        obs.event("guardrail_blocked", guardrail=self.guardrail_name, detectors=detectors)

    def _should_run(self, data: dict[str, Any]) -> bool:
        try:
            return bool(self.should_run_guardrail(data=data, event_type=GuardrailEventHooks.pre_call))
        except Exception:
            return True


class SecretRedactionGuardrail(_ConfiguredGuardrail):
    expected_type = "secret_redaction"

    def __init__(self, guardrail_name: str | None = None, **kwargs: Any):
        super().__init__(guardrail_name=guardrail_name, **kwargs)
        self.scanner = textscan.SecretScanner(self.spec["detectors"])
        self.action = self.spec["action"]

    def steps(self, data: dict[str, Any]) -> textscan.Steps[None]:
        """Redact in place (or raise 400 when the action is block)."""
        spans = yield from textscan.each_distinct(self.texts(data), self.scanner.scan)
        if self.action == "block":
            found = sorted({name for found in spans.values() for _, _, name in found})
            if found:
                self.blocked(found)
                raise _blocked(
                    str(self.guardrail_name), f"the prompt contains a secret ({', '.join(found)}); remove it and retry"
                )
            return
        redacted = yield from textscan.each_distinct(
            (text for text, found in spans.items() if found), lambda text: self.scanner.replace(text, spans[text])
        )
        if not redacted:
            return
        hits: dict[str, int] = {}

        def rewrite(text: str) -> str:
            if text not in redacted:
                return text
            new, counts = redacted[text]
            for name, count in counts.items():
                hits[name] = hits.get(name, 0) + count
            return new

        messages.rewrite_texts(data, rewrite)
        for name, count in hits.items():
            obs.GUARDRAIL_ACTIONS.labels(self.guardrail_name, "redacted", name).inc(count)
        obs.event("guardrail_redacted", guardrail=self.guardrail_name, detectors=hits)


class BannedKeywordsGuardrail(_ConfiguredGuardrail):
    expected_type = "banned_keywords"

    def __init__(self, guardrail_name: str | None = None, **kwargs: Any):
        super().__init__(guardrail_name=guardrail_name, **kwargs)
        self.matcher = textscan.KeywordMatcher(self.spec["keywords"])
        self.message = self.spec["message"]

    def steps(self, data: dict[str, Any]) -> textscan.Steps[None]:
        """Raise 400 when the request's normalised text contains a banned keyword."""
        if not self.matcher.keywords:
            return
        if (yield from self.matcher.search(self.texts(data))):
            self.blocked(["banned_keyword"])
            raise _blocked(str(self.guardrail_name), self.message)
