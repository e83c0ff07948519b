# Lookbook. `make demo` and `make test` are the two commands; both install what is missing.
SHELL := /bin/bash
PY_BOOT ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DATA ?= data/demo
SCALE ?= demo
SEED ?= 7
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo test lint typecheck pytest generate validate index bench eval clean e2e-index e2e-backend

install: $(STAMP)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PY_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

$(DATA)/articles.csv: | $(STAMP)
	$(PY) -m indexer generate --out $(DATA) --scale $(SCALE) --seed $(SEED)

generate: $(DATA)/articles.csv

validate: $(DATA)/articles.csv
	$(PY) -m indexer validate $(DATA)

demo: install generate validate

lint: install
	$(VENV)/bin/ruff check core indexer scoring api tests bench
	$(VENV)/bin/ruff format --check core indexer scoring api tests bench

typecheck: install
	$(VENV)/bin/mypy core indexer scoring api

pytest: install
	$(PY) -m pytest -q

# Debian's docker-compose (1.29) validates docker-compose.yml without a Docker engine.
/usr/bin/docker-compose:
	apt-get install -y -q docker-compose || (apt-get update -q && apt-get install -y -q docker-compose)

pytest: /usr/bin/docker-compose

test: lint typecheck pytest

eval: install $(DATA)/articles.csv
	$(PY) -m scoring.evaluate --data $(DATA) --out reports

bench: install
	$(PY) bench/generate.py
	$(PY) bench/load.py

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache

# A tiny world, its index and the API on it: what the browser tests run against.
E2E := var/e2e
E2E_ENV := LOOKBOOK_DATA_DIR=$(E2E)/data LOOKBOOK_INDEX_DIR=$(E2E)/index LOOKBOOK_DB_PATH=$(E2E)/lookbook.db
API_PORT ?= 8000

$(E2E)/data/articles.csv: | $(STAMP)
	$(PY) -m indexer generate --out $(E2E)/data --scale tiny --seed 11

$(E2E)/index/store/CURRENT: $(E2E)/data/articles.csv
	$(E2E_ENV) $(PY) -m indexer build --data $(E2E)/data

e2e-index: $(E2E)/index/store/CURRENT

e2e-backend: e2e-index
	$(E2E_ENV) $(VENV)/bin/uvicorn api.main:app --host 127.0.0.1 --port $(API_PORT)

# --- frontend (begin)
# The Next.js storefront (frontend/): install, build, unit + browser tests, serve.
FRONTEND := frontend
FE_STAMP := $(FRONTEND)/node_modules/.installed
WEB_PORT ?= 3000
API_URL ?= http://127.0.0.1:$(API_PORT)

.PHONY: frontend-install chromium frontend-build frontend-test e2e frontend-serve

frontend-install: $(FE_STAMP)

# npm ci only when node_modules is missing or package-lock.json changed.
$(FE_STAMP): $(FRONTEND)/package-lock.json
	cd $(FRONTEND) && npm ci --no-audit --no-fund
	touch $(FE_STAMP)

# Debian's Chromium drives the browser tests (Playwright's own browser download is not used).
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

frontend-build: frontend-install
	cd $(FRONTEND) && npm run build

# Generated API types up to date, unit tests, a production build (type-checked), browser tests.
frontend-test: frontend-install install chromium e2e-index
	cd $(FRONTEND) && npm run check:api
	cd $(FRONTEND) && npm run test:unit
	cd $(FRONTEND) && npm run build
	cd $(FRONTEND) && npm run test:e2e

# Browser tests alone (builds first when there is no build).
e2e: frontend-install install chromium e2e-index
	test -f $(FRONTEND)/.next/BUILD_ID || (cd $(FRONTEND) && npm run build)
	cd $(FRONTEND) && npm run test:e2e

# The storefront on WEB_PORT against the API at API_URL.
frontend-serve: frontend-install
	test -f $(FRONTEND)/.next/BUILD_ID || (cd $(FRONTEND) && npm run build)
	cd $(FRONTEND) && LOOKBOOK_API_URL=$(API_URL) LOOKBOOK_DATA_DIR=$(abspath $(DATA)) npx next start -H 127.0.0.1 -p $(WEB_PORT)
# --- frontend (end)
