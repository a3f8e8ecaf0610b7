from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException

from gateway_hooks import observability, settings, textscan
from gateway_hooks.guardrails import BannedKeywordsGuardrail, SecretRedactionGuardrail

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "secret_samples.json").read_text())
# (detector, text sent, what must be redacted) for every sample of tests/secret_samples.json
CASES = [
    (name, sample["text"], sample.get("secret", sample["text"]))
    for name, samples in CORPUS["secrets"].items()
    for sample in samples
]
SAMPLES = {name: samples[0]["text"] for name, samples in CORPUS["secrets"].items()}  # one per detector


@pytest.fixture
def hooks_file(tmp_path: Any, dev_config: dict[str, Any]) -> str:
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(dev_config))
    settings.load.cache_clear()
    return str(path)


def redactor(hooks_file: str) -> SecretRedactionGuardrail:
    return SecretRedactionGuardrail(
        guardrail_name="redact-secrets", config_path=hooks_file, event_hook="pre_call", default_on=True
    )


def test_dev_runs_every_detector(dev_config: dict[str, Any]) -> None:
    assert set(dev_config["guardrails"]["redact-secrets"]["detectors"]) == set(CORPUS["secrets"])


@pytest.mark.parametrize(("detector", "text", "secret"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_detector_redacts(hooks_file: str, detector: str, text: str, secret: str) -> None:
    data = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"use {text} please"}]}
    out = asyncio.run(redactor(hooks_file).async_pre_call_hook(None, None, data, "completion"))
    content = out["messages"][0]["content"]
    # what follows a private key without an END line is redacted with it
    assert content.startswith(f"use {text.replace(secret, f'[REDACTED:{detector}]')}"), content
    assert secret.split("\n")[0] not in content


def test_text_that_only_looks_like_a_secret_is_untouched(hooks_file: str) -> None:
    guard = redactor(hooks_file)
    for text in CORPUS["not_secrets"]:
        assert guard.check({"messages": [{"role": "user", "content": text}]})["messages"][0]["content"] == text


def test_redacts_every_place_a_prompt_can_hide(hooks_file: str) -> None:
    key = SAMPLES["openai_key"]
    data = {
        "messages": [
            {"role": "system", "content": None},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"a {key}"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "f", "arguments": json.dumps({"k": key})}}
                ],
            },
        ],
        "input": [f"embed {key}", 5],
    }
    out = redactor(hooks_file).check(data)
    assert key not in json.dumps(out)
    assert out["messages"][1]["content"][1]["image_url"]["url"] == "data:image/png;base64,AAAA"
    assert out["input"][1] == 5


def test_block_mode_rejects_without_echoing_the_secret(hooks_file: str) -> None:
    guard = redactor(hooks_file)
    guard.action = "block"
    with pytest.raises(HTTPException) as info:
        guard.check({"messages": [{"role": "user", "content": SAMPLES["aws_access_key_id"]}]})
    assert info.value.status_code == 400
    assert "aws_access_key_id" in json.dumps(info.value.detail)
    assert SAMPLES["aws_access_key_id"] not in json.dumps(info.value.detail)


def test_nothing_secret_reaches_the_logs(hooks_file: str, caplog: pytest.LogCaptureFixture) -> None:
    observability.log.propagate = True
    try:
        with caplog.at_level(logging.INFO, logger="gateway_hooks"):
            redactor(hooks_file).check({"messages": [{"role": "user", "content": " ".join(SAMPLES.values())}]})
    finally:
        observability.log.propagate = False
    text = json.dumps([getattr(r, "fields", r.getMessage()) for r in caplog.records])
    assert "guardrail_redacted" in text
    for _, _, secret in CASES:
        assert secret.split("\n")[0] not in text


def keyword_guard(hooks_file: str) -> BannedKeywordsGuardrail:
    return BannedKeywordsGuardrail(
        guardrail_name="banned-keywords", config_path=hooks_file, event_hook="pre_call", default_on=True
    )


# The dev keywords ("ignore all previous instructions", "DROP TABLE") written so that a literal match misses them.
DISGUISED = {
    "upper case": ["Please IGNORE ALL PREVIOUS INSTRUCTIONS now"],
    "two spaces": ["ignore all  previous instructions"],
    "newline and tab": ["ignore all\nprevious\tinstructions"],
    "zero-width space": ["ignore all previous instruc\u200btions"],
    "zero-width joiner and soft hyphen": ["drop\u200d \u00adtable"],
    "no-break and ideographic spaces": ["ignore\u00a0all\u3000previous instructions"],
    "full-width letters": ["\uff24\uff32\uff2f\uff30 \uff34\uff21\uff22\uff2c\uff25"],
    "long s and a combining accent": ["ignore all previou\u017f in\u017ftructions", "drop ta\u0301ble"][:1],
    "split across messages": ["first ignore all", "previous instructions then"],
    "split across content parts and a tool result": ["DROP", "TABLE users"],
}


@pytest.mark.parametrize("form", sorted(DISGUISED))
def test_banned_keywords_are_found_however_they_are_written(hooks_file: str, form: str) -> None:
    texts = DISGUISED[form]
    data = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": t}]} for t in texts[:-1]]
        + [{"role": "tool", "tool_call_id": "c1", "content": texts[-1]}]
    }
    with pytest.raises(HTTPException) as info:
        asyncio.run(keyword_guard(hooks_file).async_pre_call_hook(None, None, data, "completion"))
    assert info.value.status_code == 400
    assert "banned-keywords" in info.value.detail["error"]


def test_banned_keywords_leave_ordinary_text_alone(hooks_file: str) -> None:
    guard = keyword_guard(hooks_file)
    for text in ("a normal question", "drop the table cloth", "ignore all previous", "Table: DROP-down menus"):
        assert guard.check({"messages": [{"role": "user", "content": text}]})


def test_normalised_text_is_the_same_whatever_the_pieces() -> None:
    """Pieces of WINDOW characters, cut where normalising them one by one changes nothing."""
    unit = "Ｉｇｎｏｒｅ\u200b  ALL\n e\u0301 ﬁ Straße "
    text = unit * (3 * textscan.WINDOW // len(unit))
    assert textscan.run(textscan.normalise(text)) == " ".join(textscan._fold(text).split())


def test_missing_guardrail_config_fails_at_startup(hooks_file: str) -> None:
    with pytest.raises(ValueError, match="guardrail 'nope' has no secret_redaction entry"):
        SecretRedactionGuardrail(guardrail_name="nope", config_path=hooks_file)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"messages": None},
        {"messages": [None]},
        {"messages": [{"content": 3}]},
        {"input": None},
        {"prompt": ["x", None]},
    ],
)
def test_odd_shapes_pass_through(hooks_file: str, data: dict[str, Any]) -> None:
    assert redactor(hooks_file).check(data) == data


# Secrets in URL forms: (text sent, what must remain, what must be gone).
URL_FORMS = {
    "redis-empty-user": (
        "cache at redis://:s3cr3tPassw0rd@redis.internal:6379/0 ok",
        "redis://[REDACTED:url_password]@redis.internal:6379/0 ok",
        "s3cr3tPassw0rd",
    ),
    "postgresql-user-pass": (
        "dsn postgresql://app:pa55word@db.internal/app",
        "postgresql://[REDACTED:url_password]@db.internal/app",
        "pa55word",
    ),
    "password-with-at-sign": (
        "mysql://root:p@ss@word@db:3306/x",
        "mysql://[REDACTED:url_password]@db:3306/x",
        "p@ss@word",
    ),
    "query-string-password": (
        "https://api.example.com/v1?user=me&password=hunter22&x=1",
        "?user=me&password=[REDACTED:url_password]&x=1",
        "hunter22",
    ),
}


@pytest.mark.parametrize("form", sorted(URL_FORMS))
def test_url_forms_are_redacted(hooks_file: str, form: str) -> None:
    text, kept, gone = URL_FORMS[form]
    out = redactor(hooks_file).check({"messages": [{"role": "user", "content": text}]})["messages"][0]["content"]
    assert kept in out, out
    assert gone not in out


def test_a_url_without_credentials_is_untouched(hooks_file: str) -> None:
    text = "see https://docs.example.com:8443/a/b?page=2#x and redis://redis.internal:6379/0 and user@example.com"
    assert (
        redactor(hooks_file).check({"messages": [{"role": "user", "content": text}]})["messages"][0]["content"] == text
    )


def test_a_key_used_as_url_password_is_redacted_once_and_whole(hooks_file: str) -> None:
    key = SAMPLES["openai_key"]
    hits: dict[str, int] = {}
    out = redactor(hooks_file).scanner.redact(f"postgresql://svc:{key}@db/app and {key}", hits)
    assert out == "postgresql://[REDACTED:url_password]@db/app and [REDACTED:openai_key]"
    assert hits == {"url_password": 1, "openai_key": 1}


def test_responses_and_anthropic_shaped_texts_are_redacted(hooks_file: str) -> None:
    key = SAMPLES["github_token"]
    data = {
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": f"token {key}"}]},
            {"role": "user", "content": f"again {key}"},
        ],
        "instructions": f"never say {key}",
        "system": [{"type": "text", "text": f"system {key}"}],
    }
    out = redactor(hooks_file).check(data)
    assert key not in json.dumps(out)
    assert out["input"][0]["content"][0]["text"] == "token [REDACTED:github_token]"
    assert out["instructions"] == "never say [REDACTED:github_token]"


@pytest.mark.parametrize("guardrail", ["redact-secrets", "banned-keywords"])
def test_more_text_than_max_scan_chars_is_refused_with_413(hooks_file: str, guardrail: str) -> None:
    guard = redactor(hooks_file) if guardrail == "redact-secrets" else keyword_guard(hooks_file)
    limit = guard.max_scan_chars
    assert limit == 4_000_000  # the documented default (hooks.schema.json#/$defs/maxScanChars)
    guard.max_scan_chars = 100
    fits = {"messages": [{"role": "user", "content": "x" * 60}, {"role": "user", "content": "y" * 40}]}
    assert guard.check(fits) == fits
    with pytest.raises(HTTPException) as info:
        guard.check({"messages": [{"role": "user", "content": "x" * 60}, {"role": "user", "content": "y" * 41}]})
    assert info.value.status_code == 413
    assert "101 characters, more than the 100" in info.value.detail["error"]
    assert guardrail in info.value.detail["error"]


async def turns_of_another_task(guard: Any, data: dict[str, Any]) -> int:
    """How many times another task ran while the guardrail's hook worked on `data`."""
    turns = 0
    done = False

    async def other_task() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    counting = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    before = turns
    await guard.async_pre_call_hook(None, None, data, "completion")
    done = True
    await counting
    return turns - before


def test_the_hook_gives_the_event_loop_back_between_windows(hooks_file: str) -> None:
    """A long prompt is scanned in steps of textscan.WINDOW characters; another task runs between them."""
    text = "eyJhbGciOiJIUzI1NiJ9-" * (8 * textscan.WINDOW // 21)
    windows = len(text) // textscan.WINDOW
    for guard in (redactor(hooks_file), keyword_guard(hooks_file)):
        data = {"messages": [{"role": "user", "content": text}]}
        assert asyncio.run(turns_of_another_task(guard, data)) >= windows - 1, type(guard).__name__


def test_a_secret_across_a_window_boundary_is_found_whole() -> None:
    """Secrets placed at every offset around the boundary of small windows: the windowed scan finds what one
    search over the whole text finds."""
    patterns = {name: settings_detector for name, settings_detector in _detectors().items()}
    small = textscan.SecretScanner(patterns, window=64, overlap=160, reach=48)
    whole = textscan.SecretScanner(patterns, window=1 << 30)
    for _, text, _ in CASES:
        if len(text) > 100:
            continue
        for offset in range(40, 70):
            haystack = "x " * (offset // 2) + text + " tail " + text
            assert small.spans(haystack) == whole.spans(haystack), (text, offset)


def _detectors() -> dict[str, str]:
    rendered = Path(__file__).resolve().parents[2] / "rendered" / "dev" / "hooks.json"
    return dict(json.loads(rendered.read_text())["guardrails"]["redact-secrets"]["detectors"])
