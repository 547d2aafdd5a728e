# Endorsement Review — `make run` serves the app with a demo cycle; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := app

.PHONY: install run test test-postgres bench browser-deps migration clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --show-users
	ENDORSEMENT_LOCAL_HTTP=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/python -m pytest -q

# The suite again, against a throwaway PostgreSQL cluster (installs Debian's postgresql when missing).
# tests/system drives gunicorn on the SQLite default by design, so it runs once, in `make test`.
test-postgres: install
	bash .ci/with-postgres $(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/system

bench: install
	$(BIN)/python -m bench

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# A new schema revision from the models: make migration NAME=0004_short_name MESSAGE="what changes"
migration: install
	./migrations/new-revision.sh "$(NAME)" "$(MESSAGE)"

clean:
	rm -rf $(VENV) .pytest_cache
