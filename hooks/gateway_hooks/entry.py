"""What the rendered config.yaml names: LiteLLM loads this file by path from the config directory.

LiteLLM executes `<config dir>/gateway_hooks/entry.py` as a standalone module. To share one set of
objects (and one set of metrics) this file makes the package importable from its own location
and re-exports the package's objects, so the proxy works whether or not PYTHONPATH names the
config directory.
"""

from __future__ import annotations

import os
import sys

_CONFIG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _CONFIG_DIR not in sys.path:
    sys.path.append(_CONFIG_DIR)

from gateway_hooks import admin_guard, body_guard, metrics_files  # noqa: E402
from gateway_hooks import instance as _instance  # noqa: E402
from gateway_hooks.guardrails import BannedKeywordsGuardrail, SecretRedactionGuardrail  # noqa: E402
from gateway_hooks.proxy import GatewayHooks  # noqa: E402

proxy_hooks: GatewayHooks = _instance.proxy_hooks()
# in front of the router, the last one installed first: the admin UI's 404, then the body check, then the
# folding of dead workers' metrics files before a scrape
metrics_files.install_in_proxy()  # a recycled worker's metrics files do not pile up
body_guard.install_in_proxy()  # 400, not 500, for JSON bodies that are not objects
admin_guard.install_in_proxy()  # with DISABLE_ADMIN_UI nothing of the admin UI is served

__all__ = ["BannedKeywordsGuardrail", "SecretRedactionGuardrail", "proxy_hooks"]
