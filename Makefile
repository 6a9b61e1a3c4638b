# WTGR Platform: developer entry points.
#   make install   virtualenv in .venv with the pinned requirements (reruns when they change)
#   make run       the whole platform on real local servers, with demo data, and where to look
#   make stop      stop everything `make run` started (data stays in .local/run)
#   make status    what runs for `make run`, and whether it answers
#   make test      lint + all tests against real Postgres/Kafka/SMTP and every service, started
#                  for the run (env test) and always stopped after; PYTEST_ARGS="-k mail" narrows
#   make chaos     the fault suite on its own servers (env chaos): every scenario, a table of lost,
#                  duplicated and recovery time per fault; stops everything; CHAOS_ARGS="--only poison"
#   make bench     the benchmarks against every service on the test servers
#   make fuzz      schemathesis against every service's OpenAPI document (4xx, never 5xx)
#   make lint      ruff, import-linter's architecture contracts, mypy
#   make check     lint + the unit tests, with no server (what the pre-commit hook runs)
#   make screenshots  a PNG of every main portal page, in .local/screenshots/, on the test servers
# The servers are started by devstack (python -m devstack --help); their state is in .local/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
export PY

.PHONY: help install run stop status test chaos bench fuzz lint check screenshots chromium

help:
	@sed -n 's/^#   make /  make /p; s/^#                  /                 /p' $(MAKEFILE_LIST)

install: $(STAMP) $(NODE_STAMP) chromium

# The portal's NHS design system, the development OIDC provider and axe-core, from the lock file.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Debian's Chromium for the browser tests, poppler-utils (pdftoppm, pdftotext) for the certificate tests,
# fonts-dejavu-core (the font the training service draws certificates in) and Pango for WeasyPrint's PDFs
# (apt-get as root when missing).
chromium: $(STAMP)
	@$(PY) -m devstack.browser >/dev/null

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -e . --no-deps
	@touch $@

run: install
	$(PY) -m devstack up --env run --services --demo
	@$(PY) -m devstack info --env run

stop:
	$(PY) -m devstack down --env run

status:
	@$(PY) -m devstack status --env run

test: install
	devstack/run-tests.sh $(PYTEST_ARGS)

chaos: install
	$(PY) -m chaos $(CHAOS_ARGS)

bench: install
	devstack/run-bench.sh $(BENCH_ARGS)

fuzz: install
	devstack/run-fuzz.sh

lint: install
	devstack/lint.sh

screenshots: install
	devstack/run-screenshots.sh

check: install
	devstack/lint.sh
	$(PY) -m pytest -q -p no:cacheprovider -m "not integration and not e2e" shared services portal/tests tests devstack/tests
