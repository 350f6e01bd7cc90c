# Klientura: `make run` starts the demo, `make test` runs every test. Both install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
DEMO_ENV := KLIENTURA_DEMO=1 DEBUG=0
# PostgreSQL for the second test pass; .ci/run sets it, developers may too.
KLIENTURA_TEST_POSTGRES ?=
# pytest options for both passes: two pytest-xdist workers, each test module on one worker (its
# module-level fixtures, e.g. the demo company, load once). `make test PYTEST_ARGS=` runs serially.
PYTEST_ARGS ?= -n 2 --dist loadscope

.PHONY: install run test test-sqlite test-postgres lint bench demo worker messages clean

install: $(VENV)/.installed node_modules/.installed messages

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else "Klientura needs Python 3.11 or newer; %s is %d.%d. Install python3.11+ or run: make PYTHON=python3.12" % (sys.executable, v[0], v[1]))'
	$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): on Debian install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Klientura needs Node.js and npm for its front-end assets."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

messages: $(VENV)/.installed
	@DEBUG=1 $(PY) manage.py compile_translations

run: install
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py load_demo
	@echo "Starting the background worker, the scheduler and the web server on http://$(HOST):$(PORT)/"
	@$(DEMO_ENV) $(PY) manage.py worker & worker=$$!; \
	  $(DEMO_ENV) $(PY) manage.py scheduler & scheduler=$$!; \
	  trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
	  $(DEMO_ENV) $(PY) manage.py runserver --noreload $(HOST):$(PORT)

worker: install
	$(PY) manage.py worker

lint: $(VENV)/.installed
	$(PY) -m ruff check .

test: install lint test-sqlite test-postgres

# Each pass prints pytest's summary line; a failing pass fails `make test`.
# DATABASE_URL is cleared so a developer's own database never replaces SQLite here.
test-sqlite:
	@echo "== Tests on SQLite"
	DATABASE_URL= $(PY) -m pytest $(PYTEST_ARGS)

test-postgres:
	@if [ -n "$(KLIENTURA_TEST_POSTGRES)" ]; then \
	  echo "== Tests on PostgreSQL"; \
	  DATABASE_URL="$(KLIENTURA_TEST_POSTGRES)" $(PY) -m pytest $(PYTEST_ARGS); \
	elif [ -n "$$CI" ]; then \
	  echo "CI must run the PostgreSQL pass: set KLIENTURA_TEST_POSTGRES"; exit 1; \
	else \
	  echo "== PostgreSQL pass skipped: set KLIENTURA_TEST_POSTGRES=postgresql://user:pass@127.0.0.1/db to run it"; \
	fi

N ?= 100000
BENCH_ARGS ?=
bench: install
	$(DEMO_ENV) $(PY) manage.py migrate --no-input
	$(DEMO_ENV) $(PY) manage.py bench --count $(N) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles var/klientura.sqlite3*
