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

# Run the whole test suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set), in TEST_WORKERS
# processes (pytest-xdist; each has its own test database and Redis databases; TEST_WORKERS=0 runs in one).
TEST_WORKERS ?= 2
test: venv
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The same against the machine's PostgreSQL and Redis, failing where a service is missing.
test-pg: venv
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/gongzhi REDIS_URL=redis://127.0.0.1:6379/0 \
	GONGZHI_REQUIRE_SERVICES=1 $(MAKE) test

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks (PostgreSQL): every figure of issue 13 beside its floor, into bench/results.json and README's
# table. BENCH_DB names the database (created if missing; the bench district is generated on the first run
# and kept); BENCH_ARGS passes options (--only lists pages, --scale 0.02, --repeat 9); the intake figure
# drives gunicorn with its own load generator (threads), the same for the platform and its floor.
BENCH_DB ?= gongzhi_bench
BENCH_URL ?= postgres://postgres@127.0.0.1:5432/$(BENCH_DB)
BENCH_ARGS ?=
bench: venv
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(BENCH_DB)'" | grep -q 1 \
		|| createdb -h 127.0.0.1 -U postgres $(BENCH_DB)
	DATABASE_URL=$(BENCH_URL) DJANGO_SETTINGS_MODULE=bench.settings $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(BENCH_URL) DJANGO_SETTINGS_MODULE=bench.settings $(PY) manage.py bench $(BENCH_ARGS)
	$(PY) manage.py bench_readme >/dev/null

worker: venv
	$(VENV)/bin/celery -A config worker -l info

beat: venv
	$(VENV)/bin/celery -A config beat -l info
