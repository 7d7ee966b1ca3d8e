# Canal Events — `make run` (the app with demo data on SQLite) and `make test` (the whole suite).
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test lint format install clean messages assets

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The scanner's JavaScript: npm packages from the committed lock file, bundled by esbuild into
# assets/build/ (ignored by git). Stamps keep both steps from rerunning when nothing changed.
NODE_STAMP   := node_modules/.installed-stamp
ASSETS_STAMP := assets/build/.stamp
ASSET_SRC    := $(wildcard assets/src/*.js)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS_STAMP): $(NODE_STAMP) $(ASSET_SRC)
	npm run --silent build
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

run: install assets
	$(BIN)/events serve --demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The scanner's offline decision (assets/src/decide.js) against the shared table of cases
# (tests/door/decision_cases.json, which pytest runs against the server's).
test: lint assets
	node --test tests/js/
	$(BIN)/pytest

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract the Chinese source strings and merge them into the English catalog.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -o events/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i events/locale/messages.pot -d events/locale -l en --no-fuzzy-matching

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules assets/build
