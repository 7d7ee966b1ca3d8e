# Canal Events — `make run` (the app with demo data on SQLite) and `make test` (the whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test lint format install clean messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/events serve --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract the Chinese source strings and merge them into the English catalog.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o events/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i events/locale/messages.pot -d events/locale -l en --no-fuzzy-matching

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
