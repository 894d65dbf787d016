# Front Office: every task a developer or CI runs. `make run` and `make test` do all set-up.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test lint format openapi bench clean

$(STAMP): pyproject.toml tests/plugin_example/pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	# A third-party plugin the tests install, as any district's would be.
	$(BIN)/pip install --quiet -e tests/plugin_example
	# The player's browser tests drive Debian's Chromium (never a browser Playwright downloads).
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)
	touch $(STAMP)

## run: the service on SQLite (migrated, course loaded, demo district and key printed)
run: $(STAMP)
	$(BIN)/frontoffice serve --demo

## test: lint, type checks and the whole suite (SQLite and PostgreSQL)
test: $(STAMP) lint
	$(BIN)/python -m pytest -n auto

lint: $(STAMP)
	$(BIN)/ruff check api plugins schemas tests bench
	$(BIN)/ruff format --check api plugins schemas tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format api plugins schemas tests bench
	$(BIN)/ruff check --fix api plugins schemas tests bench

## openapi: regenerate openapi/openapi.json after an API change
openapi: $(STAMP)
	$(BIN)/frontoffice openapi

## bench: benchmarks as ratios against floors measured in the same run (never part of `test`)
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	PYTHONPATH=. $(BIN)/python -m bench

clean:
	rm -rf $(VENV) frontoffice.db frontoffice.db-wal frontoffice.db-shm
