# Two entry points for a fresh machine (Python 3.11+, Node 20+, npm):
#   make demo   installs nbdash with its front end into .venv and opens the example
#   make test   runs every test, browser tests included (installs Chromium if missing)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO_ARGS ?=

.PHONY: install demo test lint typecheck clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

demo: install
	$(BIN)/nbdash demo $(DEMO_ARGS)

test: install
	bash scripts/install-chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy
	npx tsc --noEmit -p tsconfig.json

clean:
	rm -rf $(VENV) node_modules src/nbdash/static src/nbdash/labextension js/lib
