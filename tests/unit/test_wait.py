"""The one poll loop (core/wait.py) and the one reader of the proxy's /metrics/ text (runtime/metrics.py)."""

from __future__ import annotations

import pytest

from litellm_bundle.core.wait import WaitTimeout, wait_until
from litellm_bundle.runtime import metrics


def test_wait_until_returns_the_first_truthy_value() -> None:
    values = iter([None, 0, "", "ready", "later"])
    assert wait_until(lambda: next(values), 60, 0.001, "a value") == "ready"


def test_wait_until_names_what_it_waited_for_and_the_last_value() -> None:
    with pytest.raises(WaitTimeout, match=r"timed out after 0s waiting for the port \(last value: False\)"):
        wait_until(lambda: False, 0.05, 0.01, "the port")


def test_a_timeout_is_a_timeout_error_and_a_runtime_error() -> None:
    """Callers that report a failed start catch RuntimeError; new ones may catch TimeoutError."""
    assert issubclass(WaitTimeout, TimeoutError) and issubclass(WaitTimeout, RuntimeError)


def test_ignored_errors_are_not_yet_and_named_at_the_end() -> None:
    # called again after each refusal (a deadline far off: the test must not depend on how soon a busy
    # machine gives this process a core back)
    answers = iter([ConnectionRefusedError("nothing listens"), ConnectionRefusedError("nothing listens"), "up"])

    def refused_twice() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert wait_until(refused_twice, 60, 0.001, "the server", ignore=(OSError,)) == "up"

    def refused() -> bool:
        raise ConnectionRefusedError("nothing listens")

    with pytest.raises(WaitTimeout, match="last error: ConnectionRefusedError: nothing listens"):
        wait_until(refused, 0.05, 0.01, "the server", ignore=(OSError,))


def test_any_other_error_ends_the_wait_at_once() -> None:
    def exited() -> bool:
        raise RuntimeError("process exited with 1")

    with pytest.raises(RuntimeError, match="process exited with 1"):
        wait_until(exited, 5, 0.01, "the server", ignore=(OSError,))


TEXT = """\
# HELP gateway_hook_duration_seconds Time spent inside the gateway hooks per request, by stage.
# TYPE gateway_hook_duration_seconds histogram
gateway_hook_duration_seconds_bucket{stage="pre_call",le="0.001"} 2.0
gateway_hook_duration_seconds_bucket{stage="pre_call",le="+Inf"} 3.0
gateway_hook_duration_seconds_count{stage="pre_call"} 3.0
gateway_hook_duration_seconds_sum{stage="pre_call"} 0.003
gateway_hook_duration_seconds_count{stage="secret_redaction"} 3.0
gateway_hook_duration_seconds_sum{stage="secret_redaction"} 0.0015
# HELP gateway_guardrail_actions_total Guardrail actions.
# TYPE gateway_guardrail_actions_total counter
gateway_guardrail_actions_total{guardrail="redact-secrets",action="redacted",detector="url_password"} 2.0
gateway_guardrail_actions_total{guardrail="redact-secrets",action="blocked",detector="url_password"} 1.0
"""


def test_samples_are_read_by_their_full_name() -> None:
    assert metrics.samples(TEXT, "gateway_hook_duration_seconds_count") == [
        ({"stage": "pre_call"}, 3.0),
        ({"stage": "secret_redaction"}, 3.0),
    ]
    assert metrics.samples(TEXT, "gateway_hook_duration_seconds") == []  # the family, not a sample


def test_total_sums_the_samples_with_every_label_given() -> None:
    assert metrics.total(TEXT, "gateway_hook_duration_seconds_sum") == pytest.approx(0.0045)
    assert metrics.total(TEXT, "gateway_hook_duration_seconds_count", stage="pre_call") == 3.0
    assert metrics.total(TEXT, "gateway_guardrail_actions_total", action="redacted", detector="url_password") == 2.0
    assert metrics.total(TEXT, "gateway_guardrail_actions_total", action="none") == 0.0
