# The front door. Needs only Python 3.11+ and make; everything else is installed into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.local

.PHONY: help install install-prod run migrate seed test test-postgres lint fmt schema serve bench clean

help:
	@echo "make run      install, migrate, load demo data and serve on $(HOST):$(PORT) (PORT=...)"
	@echo "make test     install and run the whole test suite (SQLite unless DATABASE_URL is set)"
	@echo "make lint     ruff, format check, mypy, migrations check, schema drift"
	@echo "make schema   regenerate openapi/schema.yaml"
	@echo "make serve    production server (gunicorn) with config/gunicorn.conf.py"

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

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/mypy .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file $(VENV)/schema.check.yaml
	diff -u openapi/schema.yaml $(VENV)/schema.check.yaml

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file openapi/schema.yaml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
