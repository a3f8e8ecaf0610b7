from __future__ import annotations

from .conftest import Render, find, kinds


def test_no_secret_object_carries_data_from_the_repo(render: Render) -> None:
    for env in ("dev", "staging", "prod"):
        docs = render(env)
        # the one Secret the chart creates is the access Job's, empty (the Job merges new key values in)
        secrets = [d for d in docs if d["kind"] == "Secret"]
        assert [s["metadata"]["name"] for s in secrets] == ["litellm-gateway-keys"], env
        assert not {"data", "stringData"} & set(secrets[0]), f"{env}: a Secret with data from the repo"
        container = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        for entry in container["env"]:
            if entry["name"] in ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY") or entry["name"].endswith("_API_KEY"):
                assert "value" not in entry and "secretKeyRef" in entry["valueFrom"], entry


def test_prod_secrets_come_from_external_secrets(render: Render) -> None:
    docs = render("prod")
    external = find(docs, "ExternalSecret")
    assert external["apiVersion"] == "external-secrets.io/v1"
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault-backend"}
    keys = {d["secretKey"] for d in external["spec"]["data"]}
    assert {"LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "DATABASE_URL"} <= keys
    # a normal release object: no upgrade deletes it, or the Secret it owns
    assert not any(k.startswith("helm.sh/hook") for k in external["metadata"].get("annotations", {}))
    assert external["spec"]["target"]["creationPolicy"] == "Owner"


def test_staging_uses_existing_kubernetes_secrets(render: Render) -> None:
    docs = render("staging")
    assert "ExternalSecret" not in kinds(docs)
    env = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {
        "name": "OPENAI_API_KEY",
        "valueFrom": {"secretKeyRef": {"name": "litellm-provider-keys", "key": "openai"}},
    } in env
