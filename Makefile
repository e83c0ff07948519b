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

.PHONY: install demo test lint typecheck pytest generate validate index bench eval clean

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

test: lint typecheck pytest

bench: install
	$(PY) bench/generate.py
	$(PY) bench/load.py

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
