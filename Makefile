# The two set-up commands of the README. Both use one virtual environment (.venv): `run` installs
# what serving needs, `test` adds the test tools and installs the package editable.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
export NO_MKDOCS_2_WARNING = 1

.PHONY: run test lint docs browser clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## run: install, serve the page and API on the demo corpus at http://localhost:8000/
run: $(VENV)/.installed-run
	$(BIN)/papersift serve

## test: install (with Chromium for the browser tests), lint, type-check, build the docs, test
test: $(VENV)/.installed-test browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/mkdocs build --strict --site-dir build/site
	$(BIN)/python -m pytest

browser:
	@scripts/install-browser.sh

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache *.egg-info
