# Front Office: every task a developer or CI runs. `make run` and `make test` do all set-up.
# Every install is the exact set of versions in uv.lock (see the README's "Dependencies").
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
TOOLS   := .venv-uv
UV      := $(TOOLS)/bin/uv
# uv uses the Python it is given and never downloads one; its venv is $(VENV).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Some machines set PYTHONDONTWRITEBYTECODE: every Python process then compiles every module it
# imports, about 7 s of CPU each for the test processes and the servers they start.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test lint format openapi bench lock runtime-deps test-deps clean

# uv itself, pinned with its hashes (tools/uv.txt, written by `make lock`), in a venv of its own.
$(UV): tools/uv.txt
	test -x $(TOOLS)/bin/python || $(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r tools/uv.txt
	touch $(UV)

# The runtime only: no test toolchain, no example plugin, no browser. uv removes what the lock
# does not list for this set, so `make run` after `make test` serves exactly what production would.
runtime-deps: $(UV)
	$(UV) sync --locked --no-dev --quiet --python $(PY)

# The runtime, the test toolchain (the lock's dev group) and Debian's Chromium for the player's
# browser tests (never a browser Playwright downloads).
test-deps: $(UV)
	$(UV) sync --locked --quiet --python $(PY)
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

## run: the service on SQLite (migrated, course loaded, demo district and key printed)
run: runtime-deps
	$(BIN)/frontoffice serve --demo

## test: lint, type checks and the whole suite (SQLite and PostgreSQL)
test: lint
	$(BIN)/python -m pytest -n auto

## lint: the lock matches pyproject.toml, ruff, mypy --strict
lint: test-deps
	$(UV) lock --check --quiet || (echo "uv.lock does not match pyproject.toml: run 'make lock'" >&2; exit 1)
	$(BIN)/ruff check api plugins schemas tests bench
	$(BIN)/ruff format --check api plugins schemas tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: test-deps
	$(BIN)/ruff format api plugins schemas tests bench
	$(BIN)/ruff check --fix api plugins schemas tests bench

## lock: re-resolve uv.lock from pyproject.toml's ranges (newest allowed versions), on purpose
lock: $(UV)
	$(UV) lock --upgrade
	$(UV) pip compile --quiet --universal --generate-hashes --no-header tools/uv.in -o tools/uv.txt

## openapi: regenerate openapi/openapi.json after an API change
openapi: test-deps
	$(BIN)/frontoffice openapi

## bench: benchmarks as ratios against floors measured in the same run (never part of `test`)
bench: test-deps
	command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)
	PYTHONPATH=. $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) frontoffice.db frontoffice.db-wal frontoffice.db-shm
