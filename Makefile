# Gongzhi: the two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: venv run test test-pg lint bench worker beat

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

# Run the platform with demo data on SQLite, Celery eager, at http://127.0.0.1:8000
run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# Run the whole test suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set).
test: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# The same against the machine's PostgreSQL and Redis, failing where a service is missing.
test-pg: venv
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongzhi REDIS_URL=redis://127.0.0.1:6379/0 \
	GONGZHI_REQUIRE_SERVICES=1 $(MAKE) test

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks (PostgreSQL): the register import against COPY, the tally against one SQL aggregate.
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/gongzhi_bench
bench: venv
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='gongzhi_bench'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres gongzhi_bench
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_register
	DATABASE_URL=$(BENCH_DB) $(PY) manage.py bench_tally

worker: venv
	$(VENV)/bin/celery -A config worker -l info

beat: venv
	$(VENV)/bin/celery -A config beat -l info
