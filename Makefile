# The front door. Needs only Python 3.11+ and make; everything else is installed into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: help install install-prod run migrate seed test test-postgres lint fmt schema serve worker clients bench clean

help:
	@echo "make run      install, migrate, load demo data and serve on $(HOST):$(PORT) (PORT=...)"
	@echo "make test     install and run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint     ruff, format check, import contracts, mypy, migrations check, schema drift"
	@echo "make schema   regenerate openapi/schema.yaml"
	@echo "make serve    production server (gunicorn) with config/gunicorn.conf.py (env: docs/deploy.md)"
	@echo "make worker   production job worker (run one or more per host beside make serve)"
	@echo "make clients  generate the Python client and TypeScript types into clients/generated/"

$(PY):
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed-dev: requirements/dev.txt | $(PY)
	$(BIN)/uv pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	touch $@

$(VENV)/.installed-prod: requirements/base.txt | $(PY)
	$(BIN)/uv pip install --quiet --python $(PY) --require-hashes -r requirements/base.txt
	touch $@

install: $(VENV)/.installed-dev

install-prod: $(VENV)/.installed-prod

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The dev server and the job worker together, one command: Ctrl-C stops both.
run: seed
	@$(PY) manage.py worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --reload $(foreach d,api config core economy mentorship training,--reload-dir $(d)) --timeout-graceful-shutdown 3

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file $(VENV)/schema.check.yaml
	diff -u openapi/schema.yaml $(VENV)/schema.check.yaml

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file openapi/schema.yaml

# Production: needs SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL (and REDIS_URL with several workers).
# MIGRATE=1 runs migrations first (one host, or the release step; see docs/deploy.md).
MIGRATE ?= 0
serve: install-prod
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY is not set (50+ random characters): see docs/deploy.md"; exit 1; }
	@test -n "$$ALLOWED_HOSTS" || { echo "ALLOWED_HOSTS is not set: see docs/deploy.md"; exit 1; }
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py check --fail-level ERROR
	@if [ "$(MIGRATE)" = "1" ]; then DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py migrate --noinput; fi
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_SETTINGS_MODULE=config.settings.production $(BIN)/gunicorn --config config/gunicorn.conf.py

# Production job worker (webhook deliveries, housekeeping): run it beside `make serve`, as many
# per host and on as many hosts as needed; they share one queue in PostgreSQL (docs/deploy.md).
worker: install-prod
	@test -n "$$SECRET_KEY" || { echo "SECRET_KEY is not set (50+ random characters): see docs/deploy.md"; exit 1; }
	@test -n "$$ALLOWED_HOSTS" || { echo "ALLOWED_HOSTS is not set: see docs/deploy.md"; exit 1; }
	DJANGO_SETTINGS_MODULE=config.settings.production $(PY) manage.py worker --no-reload

# Clients from the committed schema: Python (openapi-python-client) and TypeScript types
# (openapi-typescript, pinned in package.json, installed from package-lock.json).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clients: install node_modules/.installed
	rm -rf clients/generated/python
	$(BIN)/openapi-python-client generate --path openapi/schema.yaml \
		--config clients/openapi-python-client.yaml --meta none \
		--output-path clients/generated/python/mythos_client
	npx --no-install openapi-typescript openapi/schema.yaml --default-non-nullable=false \
		--output clients/generated/typescript/schema.d.ts
	npx --no-install tsc --noEmit -p clients/typescript/tsconfig.json

bench: install
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) bench/streams.py $(BENCH_STREAMS_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
