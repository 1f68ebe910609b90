# Cloudbroker — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install lint format migrate demo worker bench clean

$(STAMP): requirements/base.txt requirements/dev.txt requirements/lock.txt pyproject.toml
	@test -x $(BIN)/python || { echo "Creating the virtual environment in $(VENV) with $(PYTHON)…"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the pinned dependencies into $(VENV) (the first time takes a minute or two)…"
	@$(BIN)/pip install -q -r requirements/dev.txt -c requirements/lock.txt 2> >(grep -v '^WARNING: Location' >&2)
	@$(BIN)/pip install -q --no-deps -e . 2> >(grep -v '^WARNING: Location' >&2)
	@touch $(STAMP)
	@echo "Dependencies installed."

install: $(STAMP)

migrate: install
	@echo "Migrating the database…"
	@$(BIN)/python manage.py migrate --no-input -v 0

demo: migrate
	@$(BIN)/python manage.py seed_demo

## Start the product on its embedded defaults (SQLite, huey on SQLite) at http://127.0.0.1:8000
run: demo
	@echo ""
	@echo "  Cloudbroker is starting at http://127.0.0.1:$${PORT:-8000}/"
	@echo "  Demo login: admin@demo.cloudbroker.test / Broker-Demo-2026!"
	@echo "  API docs:   http://127.0.0.1:$${PORT:-8000}/api/v1/docs"
	@echo "  Partner Center emulator: http://127.0.0.1:$${PC_EMULATOR_PORT:-8765}/"
	@echo ""
	@$(BIN)/honcho start -f Procfile --port $${PORT:-8000}

## Run the whole test suite (PostgreSQL when DATABASE_URL is set, Redis jobs when REDIS_URL is set)
test: install
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } || \
		echo "chromium is not installed: the browser tests will be skipped"
	@CLOUDBROKER_DATA_DIR=$${CLOUDBROKER_DATA_DIR:-$(CURDIR)/var/test} $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## ruff, the layer contracts (import-linter, pyproject.toml), migrations in step with the models, mypy
lint: install
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check src tests bench
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/python manage.py makemigrations --check --dry-run
	@$(BIN)/mypy

format: install
	@$(BIN)/ruff format src tests bench
	@$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) var
