# Hygie: developer entry points. `make` alone lists them.
#
# Everything installs into ./.venv from the hash-pinned locks (requirements*.txt);
# nothing is installed into the system Python. `make clean` never touches var/
# (the embedded practice's database, keys and audit checkpoints live there).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --no-input
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

# pip-compile sees PyPI only (no machine-local indexes or find-links in the locks).
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(BIN)/pip-compile --generate-hashes --allow-unsafe --strip-extras --no-emit-find-links \
	--no-emit-index-url --quiet
PIP_COMPILE_ARGS ?=
PYTEST_ARGS ?=

.PHONY: help venv dev run chromium test lint fmt lock clean bench bench-fhir bench-cim10

help: ## List the targets
	@echo "Hygie make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-zA-Z_-]*:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PYTHON=$(PYTHON)  PYTEST_ARGS='...' (passed to pytest)  HYGIE_TEST_POSTGRES_URL=..."

venv: $(RUNTIME_STAMP) ## Create .venv and install the runtime lock (requirements.txt) and Hygie

dev: $(DEV_STAMP) ## venv + development and test tools (requirements-dev.txt)

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: $(PYTHON) not found. On Debian/Ubuntu: apt-get install python3 python3-venv" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: Hygie needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())')." >&2; \
	  echo "       Install a newer Python, or pass one: make PYTHON=python3.12 ..." >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "error: the Python venv module is missing for $(PYTHON). On Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "error: '$(PYTHON) -m venv $(VENV)' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }

$(RUNTIME_STAMP): requirements.txt requirements-data.txt pyproject.toml | $(BIN)/python
	$(PIP) install --require-hashes -r requirements.txt
	$(PIP) install --require-hashes --no-deps -r requirements-data.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(PIP) install --require-hashes -r requirements-dev.txt
	@touch $@

run: venv ## Migrate, seed the demo practice if the database is empty, serve on 127.0.0.1:8000
	$(BIN)/hygie migrate --noinput
	$(BIN)/hygie terminology load
	$(BIN)/hygie createcachetable
	$(BIN)/hygie demo --if-empty
	$(BIN)/hygie serve

chromium: ## Install Debian's Chromium for the browser tests (never `playwright install`)
	@bash scripts/ensure-chromium.sh

test: dev chromium ## Run the suite on SQLite, then on PostgreSQL if one answers
	@bash scripts/test.sh $(PYTEST_ARGS)

lint: dev ## ruff check, ruff format --check, mypy, import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy hygie config
	$(BIN)/lint-imports

fmt: dev ## Format the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: dev ## Re-pin requirements*.txt from requirements*.in (data packages: scripts/lock_data.py) (PIP_COMPILE_ARGS=--upgrade to refresh)
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) -o requirements.txt requirements.in
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) -o requirements-dev.txt requirements-dev.in
	$(BIN)/python scripts/lock_data.py requirements-data.in requirements-data.txt

clean: ## Remove .venv and caches only (never var/, where patient data lives)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
	find . -path ./var -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
	@echo "Removed .venv and caches. var/ (patient data, keys) was left untouched."

bench: dev ## Benchmark search, patient page, demo, throughput (BENCH_ARGS='--patients 100000'); see docs/performance.md
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-fhir: dev ## FHIR API under wrk, SQLite and PostgreSQL (BENCH_ARGS='--db sqlite'); see docs/performance.md
	$(BIN)/python -m bench.fhir_load $(BENCH_ARGS)

bench-cim10: dev ## CIM-10 load and search (BENCH_ARGS='--db both --draw codes'); see docs/performance.md
	$(BIN)/python -m bench.cim10 $(BENCH_ARGS)
