# HealthBridge: `make demo` runs the platform with demo data; `make test` runs everything CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test install system-deps lint typecheck architecture serve clean help docs screenshots

help:
	@echo "make demo   - install, migrate, load demo data and serve on http://127.0.0.1:8000"
	@echo "make test   - install test dependencies and run lint, types, architecture and all tests"
	@echo "               (SQLite and a throw-away PostgreSQL; Chromium for browser tests)"
	@echo "make serve  - serve the configured database without loading the demo"
	@echo "make docs   - build the documentation site into site/ (offline; open site/index.html)"
	@echo "make screenshots - retake the documentation's screenshots from the demo (Chromium)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/healthbridge demo

serve: install
	$(BIN)/healthbridge migrate
	$(BIN)/healthbridge serve

system-deps:
	scripts/install-system-deps

lint: install
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench

typecheck: install
	$(BIN)/mypy

architecture: install
	$(BIN)/lint-imports

test: system-deps install lint typecheck architecture
	HEALTHBRIDGE_REQUIRE_POSTGRES=1 HEALTHBRIDGE_REQUIRE_BROWSER=1 HEALTHBRIDGE_REQUIRE_DOCS=1 \
	  scripts/with-postgres $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The API reference is regenerated from the app's OpenAPI document before every build.
docs: install
	$(BIN)/python scripts/build-api-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

screenshots: install
	$(BIN)/python scripts/screenshots

clean:
	rm -rf $(VENV) site .pytest_cache .mypy_cache .ruff_cache build dist src/*.egg-info
