"""The local stack's .env file: read, created from .env.example (mode 0600) and filled with generated
secrets; the environment of a local proxy (the contract itself: render/env_example.py)."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values, set_key

from litellm_bundle.core.facts import FAKE_PROVIDER_KEY
from litellm_bundle.render.env_example import GENERATED


def read_env_file(file: Path) -> dict[str, str]:
    """NAME -> value of a .env file (python-dotenv's parser; unset names are left out)."""
    return {name: value for name, value in dotenv_values(file).items() if value is not None}


def _create_private(file: Path, text: str) -> None:
    """Create `file` with mode 0600 from its first byte (never world-readable, not even briefly)."""
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def ensure_env_file(file: Path, example: Path) -> list[str]:
    """Create .env from .env.example when missing; fill generated secrets that are empty or absent.

    Returns the names that were generated."""
    if not file.exists():
        _create_private(file, example.read_text(encoding="utf-8"))
    present = read_env_file(file)
    filled = []
    for name, make in GENERATED.items():
        if not present.get(name):
            set_key(file, name, make(), quote_mode="never")
            filled.append(name)
    file.chmod(0o600)
    return filled


def local_secrets(fake_provider_url: str, redis_port: int | None) -> dict[str, str]:
    """The environment of a local proxy (tests, benchmark): the fake provider, a local Redis and
    freshly generated keys (LITELLM_MASTER_KEY is the admin key); no real provider keys."""
    values = {
        "LITELLM_MASTER_KEY": GENERATED["LITELLM_MASTER_KEY"](),
        "LITELLM_SALT_KEY": GENERATED["LITELLM_SALT_KEY"](),
        "FAKE_PROVIDER_API_BASE": f"{fake_provider_url}/v1",
        "FAKE_PROVIDER_API_KEY": FAKE_PROVIDER_KEY,
    }
    if redis_port is not None:
        values.update({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)})
    return values
