# The two set-up commands of the README. Each creates its own virtual environment (.venv).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: run test lint browser clean

$(BIN)/papersift: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## run: install, build the demo index on first start, serve the page and API on :8000
run: $(BIN)/papersift
	$(BIN)/papersift serve

## test: install (with Chromium for the browser test), lint, type-check, run every test
test: $(BIN)/papersift browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

browser:
	@scripts/install-browser.sh

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
