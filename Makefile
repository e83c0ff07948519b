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
# torch threads spin-wait by default, which starves a 2-core machine shared with other work.
export OMP_WAIT_POLICY := PASSIVE
# The Python packages, lowest layer first (the dependency rule in README.md, Layout).
PACKAGES := core scoring encoders ranking indexer evaluation api

.PHONY: install demo test lint typecheck pytest generate validate index serve bench eval clean e2e-index e2e-backend

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

INDEX_DIR ?= var/index
# The demo signs in as sample customers (POST /session); a shop sets LOOKBOOK_AUTH__MODE=oidc.
DEMO_ENV = LOOKBOOK_DATA_DIR=$(DATA) LOOKBOOK_INDEX_DIR=$(INDEX_DIR) LOOKBOOK_AUTH__MODE=demo

# The demo index is built once; `make index` always builds a new version.
$(INDEX_DIR)/store/CURRENT: $(DATA)/articles.csv | $(STAMP)
	$(DEMO_ENV) $(PY) -m indexer build --data $(DATA)

index: install
	$(DEMO_ENV) $(PY) -m indexer build --data $(DATA)

# The demo storefront's Catalog page writes with a merchandiser key of the demo database,
# created once and kept (only) in var/, which git ignores.
DEMO_KEY := var/demo-merchandiser.key
$(DEMO_KEY): | $(STAMP)
	mkdir -p var
	$(DEMO_ENV) $(PY) -m api keys create --role merchandiser --name demo-catalog-$$(date +%s) \
	  | tail -n 1 > $@.tmp && mv $@.tmp $@

# Its server posts "Buy now" purchases with a service key (the API takes none from a token).
DEMO_SERVICE_KEY := var/demo-service.key
$(DEMO_SERVICE_KEY): | $(STAMP)
	mkdir -p var
	$(DEMO_ENV) $(PY) -m api keys create --role service --name demo-storefront-$$(date +%s) \
	  | tail -n 1 > $@.tmp && mv $@.tmp $@

# API and storefront together; Ctrl-C stops both.
serve: $(INDEX_DIR)/store/CURRENT frontend-install $(DEMO_KEY) $(DEMO_SERVICE_KEY)
	test -f frontend/.next/BUILD_ID || (cd frontend && npm run build)
	@trap 'kill 0' INT TERM EXIT; \
	$(DEMO_ENV) $(PY) -m api serve --host 127.0.0.1 --port $(API_PORT) & \
	(cd frontend && LOOKBOOK_API_URL=http://127.0.0.1:$(API_PORT) LOOKBOOK_DATA_DIR=$(abspath $(DATA)) \
	  LOOKBOOK_SERVICE_KEY=$$(cat ../$(DEMO_SERVICE_KEY)) \
	  npx next start -H 127.0.0.1 -p $(WEB_PORT)) & \
	sleep 2; echo; echo "  API:        http://127.0.0.1:$(API_PORT)  (docs: /docs)"; \
	echo "  Storefront: http://127.0.0.1:$(WEB_PORT)"; \
	echo "  Staff sign-in (Catalog, Merchandising): http://127.0.0.1:$(WEB_PORT)/staff/sign-in with the key $$(cat $(DEMO_KEY))"; \
	echo "  Ctrl-C stops both."; echo; wait

demo: install generate validate serve

lint: install
	$(VENV)/bin/ruff check $(PACKAGES) tests bench
	$(VENV)/bin/ruff format --check $(PACKAGES) tests bench

typecheck: install
	$(VENV)/bin/mypy $(PACKAGES)

pytest: install
	$(PY) -m pytest -q

# Debian's docker-compose (1.29) validates docker-compose.yml without a Docker engine.
/usr/bin/docker-compose:
	apt-get install -y -q docker-compose || (apt-get update -q && apt-get install -y -q docker-compose)

pytest: /usr/bin/docker-compose

# The state tests start a throwaway PostgreSQL server (tests/pg.py): its programs come from
# the machine image, else from Debian's postgresql package (the server is not left running).
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
ifeq ($(PG_INITDB),)
pytest: postgresql-server
endif
.PHONY: postgresql-server
postgresql-server:
	apt-get install -y -q postgresql || (apt-get update -q && apt-get install -y -q postgresql)

test: lint typecheck pytest frontend-test

eval: install $(DATA)/articles.csv
	$(PY) -m evaluation --data $(DATA) --out reports

bench: install
	$(PY) bench/generate.py --scales demo
	$(PY) bench/load.py --data $(DATA)
	$(PY) bench/index.py --data $(DATA) --index var/bench/index
	$(PY) bench/query.py --sweep 16,32,64,128,256,512
	$(PY) bench/served.py --index var/bench/index --data $(DATA) --sweep 64,128,256
	$(PY) bench/api.py --index var/bench/index --data $(DATA) --workers 1,2
	$(PY) bench/live.py --index var/bench/index --data $(DATA) --seconds 15 --trials 100
	$(PY) bench/soak.py --index var/bench/index --data $(DATA) --minutes 20
	$(PY) bench/api.py --index var/bench/index --data $(DATA) --workers 2 --rate 50 --seconds 20
	$(PY) bench/api.py --index var/bench/index --data $(DATA) --scaling 1,2,4,8,16 --seconds 10
	$(PY) bench/tastes.py --index var/bench/index
	$(PY) bench/auth.py --index var/bench/index --data $(DATA)

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache

# A tiny world, its index and the API on it: what the browser tests run against.
E2E := var/e2e
E2E_ENV := LOOKBOOK_DATA_DIR=$(E2E)/data LOOKBOOK_INDEX_DIR=$(E2E)/index LOOKBOOK_DB_PATH=$(E2E)/lookbook.db \
	LOOKBOOK_AUTH__MODE=demo
API_PORT ?= 8000

$(E2E)/data/articles.csv: | $(STAMP)
	$(PY) -m indexer generate --out $(E2E)/data --scale tiny --seed 11

# Rebuilt when the data or the indexing code changes.
$(E2E)/index/store/CURRENT: $(E2E)/data/articles.csv $(wildcard core/*.py core/store/*.py encoders/*.py indexer/*.py indexer/*/*.py)
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

# API types up to date, formatting, unit tests, a production build (type-checked), browser tests.
frontend-test: frontend-install install chromium e2e-index
	cd $(FRONTEND) && npm run check:api
	cd $(FRONTEND) && npm run format:check
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
