#!/usr/bin/env python3
"""The guardrails' scanning cost (docs/hooks.md, "Scanning cost and the event loop"): for ordinary and
adversarial prompt texts of 4 M characters, the CPU time per million characters of the secret scan with
its redaction (every detector of policies/secret_patterns.json) and of the banned-keyword check, and the
longest single step, i.e. the longest the event loop waits for the scan. Best of two runs.

    .venv/bin/python scripts/scan_cost.py
"""

from __future__ import annotations

import json
import random
import string
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hooks"))

from gateway_hooks import textscan  # noqa: E402

SIZE = 4_000_000


def texts() -> dict[str, str]:
    samples = json.loads((ROOT / "tests" / "secret_samples.json").read_text())["secrets"]
    rng = random.Random(1)
    code = (
        'def handler(event, ctx):\n    token = os.environ["API_TOKEN"]\n'
        '    url = f"https://{host}:8443/v1/items?id={ctx.id}"\n'
        '    return {"statusCode": 200, "body": json.dumps({"ok": True, "items": [1, 2, 3]})}\n'
    )
    blob = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(4096))
    shapes = {
        "prose (ASCII)": "The gateway forwards each request to the model group the routing rules choose. ",
        "code, JSON and base64": code * 40 + blob + "\n",
        "GitLab tokens only (a match every 27 characters)": samples["gitlab_token"][0]["text"] + " ",
        "AWS key ids only (a match every 21 characters)": samples["aws_access_key_id"][0]["text"] + " ",
        "JWT-like fragments (`eyJaaaaaaaa-`)": "eyJaaaaaaaa-",
        "URL fragments (`postgres://app:KwGA4s6YXnYV=`)": "postgres://app:KwGA4s6YXnYV=",
        "one private key without END line": "",
        "full-width letters, zero-width spaces, ligatures": "ｉｇｎｏｒｅ\u200b ａｌｌ\u00a0ｐｒｅｖｉｏｕｓ ﬁ Straße ",
    }
    out = {name: (unit * (SIZE // max(len(unit), 1) + 1))[:SIZE] for name, unit in shapes.items() if unit}
    out["one private key without END line"] = "-----BEGIN RSA PRIVATE KEY-----\n" + ("A" * 63 + "\n") * (SIZE // 64)
    return out


def cost(steps: Generator[None, None, Any]) -> tuple[float, float]:
    """(CPU seconds of the whole, CPU seconds of the longest step)."""
    longest, started = 0.0, time.process_time()
    while True:
        step = time.thread_time()
        try:
            next(steps)
        except StopIteration:
            return time.process_time() - started, max(longest, time.thread_time() - step)
        longest = max(longest, time.thread_time() - step)


def main() -> None:
    detectors = json.loads((ROOT / "policies" / "secret_patterns.json").read_text())["detectors"]
    scanner = textscan.SecretScanner({name: d["pattern"] for name, d in detectors.items()})
    keywords = textscan.KeywordMatcher(["ignore all previous instructions", "DROP TABLE"])

    def redaction(text: str) -> Generator[None, None, Any]:
        spans = yield from scanner.scan(text)
        return (yield from scanner.replace(text, spans))

    print("| text (4 M chars) | secrets: ms CPU per M | longest step, ms | keywords: ms CPU per M | longest step, ms |")
    print("|---|---:|---:|---:|---:|")
    for name, text in texts().items():
        per = len(text) / 1e6
        runs = [cost(redaction(text)) + cost(keywords.search([text])) for _ in range(2)]
        secrets, secret_step, words, word_step = (min(column) for column in zip(*runs, strict=True))
        row = [
            f"{secrets * 1e3 / per:.0f}",
            f"{secret_step * 1e3:.1f}",
            f"{words * 1e3 / per:.0f}",
            f"{word_step * 1e3:.1f}",
        ]
        print(f"| {name} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
