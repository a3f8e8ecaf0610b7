"""Access as code for the LiteLLM proxy: reconcile the teams and virtual keys an environment declares
(the rendered access.json) with a live proxy's management API, like `terraform plan` / `apply`.

Runs where the tooling is not installed (a Kubernetes Job from the official image, mounted like the
gateway hooks): it depends only on the standard library, httpx and jsonschema (both LiteLLM
dependencies, so in the image) and never imports the bundle's tooling.

    python -m gateway_access plan  --url URL --desired access.json
    python -m gateway_access apply --url URL --desired access.json --keys-to SINK [--prune] [--rotate ALIAS]
"""
