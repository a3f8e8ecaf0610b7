from __future__ import annotations

import pytest

from litellm_bundle.core.tree import BundleTree
from litellm_bundle.external import kube

from .conftest import values_for


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("replicaCount=two", "at '/replicaCount': got string, want integer"),
        ("replicasCount=2", "additional properties 'replicasCount' not allowed"),
        ("image.tag=main-latest", "/image/tag"),
        ("image.repository=docker.io/litellm/litellm", "/image/repository"),
        ("proxy.logLevel=TRACE", "/proxy/logLevel"),
        ("networkPolicy.enable=true", "additional properties 'enable' not allowed"),
    ],
)
def test_values_schema_rejects_typos_and_wrong_types(checkout: BundleTree, setting: str, message: str) -> None:
    with pytest.raises(RuntimeError) as info:
        kube.helm_template(checkout, values_for("prod"), sets=[setting])
    assert message in str(info.value)


def test_missing_litellm_config_is_a_clear_error(checkout: BundleTree) -> None:
    with pytest.raises(RuntimeError, match="litellmConfig is required"):
        kube.helm_template(checkout, "")
