"""Fixtures shared by every app's tests: the service markers, eager Celery, a small district and its cast.

The cast, one user per role (like healthchecks' alice, bob and charlie):
``auditor`` (district), ``reviewer`` (street A discipline), ``street_staff`` (street A),
``secretary_a`` / ``secretary_b`` (communities A and B), ``committee_member`` and
``clerk`` (estate A), ``resident`` (estate A), and ``admin`` (superuser).
"""

import contextlib
import os
import socket

import pytest
from rest_framework.test import APIClient

REQUIRE_SERVICES = os.environ.get("GONGZHI_REQUIRE_SERVICES") == "1"


def _allow_truncate(sender, connection, **kwargs):
    """Let the test runner empty its throwaway database: append-only tables refuse TRUNCATE otherwise."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET gongzhi.allow_truncate = 'on'")


def _connect_truncate_switch():
    from django.db.backends.signals import connection_created

    import core.appendonly

    core.appendonly.ALLOW_FLUSH = True
    connection_created.connect(_allow_truncate, dispatch_uid="gongzhi_allow_truncate")


_connect_truncate_switch()


def pytest_configure(config):
    for marker, text in (
        ("postgres", "needs PostgreSQL (DATABASE_URL pointing at it)"),
        ("redis", "needs a Redis broker (REDIS_URL)"),
        ("worker", "needs a real Celery worker consuming from Redis"),
        ("browser", "drives a real Chromium"),
    ):
        config.addinivalue_line("markers", f"{marker}: {text}")


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_up(url: str) -> bool:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _services(request, settings):
    """Skip (or, with GONGZHI_REQUIRE_SERVICES=1, fail) a marked test whose service is absent."""
    if request.node.get_closest_marker("postgres") and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        _missing("PostgreSQL is not configured (set DATABASE_URL)")
    needs_redis = request.node.get_closest_marker("redis") or request.node.get_closest_marker("worker")
    if needs_redis and not (settings.REDIS_URL and _redis_up(settings.REDIS_URL)):
        _missing("Redis is not configured or not answering (set REDIS_URL)")
    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if request.node.get_closest_marker("browser") and not os.path.exists(chromium):
        _missing("Chromium is not installed")


@pytest.fixture(autouse=True)
def _empty_cache(request, settings):
    """Each test starts with an empty cache of its own (attempt counters live there).

    A process-local memory cache, unless the test is marked ``redis``: then the configured
    Redis cache, under a key prefix of its own, so that emptying it touches nobody else's keys.
    """
    import uuid

    from django.core.cache import cache

    if request.node.get_closest_marker("redis") and "redis" in settings.CACHES["default"]["BACKEND"].lower():
        # A fresh prefix is an empty cache; clear() would empty the whole Redis database, others' keys too.
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}
    else:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
        }
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The cast logs in with passwords; a slow hasher would cost seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Run tasks in-process unless the test is about the real worker."""
    from config.celery import app

    eager = not request.node.get_closest_marker("worker")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def world(db):
    from governance.tests.factories import district_world

    return district_world()


def _user(username, role=None, place=None, **extra):
    from governance.models import RoleAssignment
    from governance.tests.factories import UserFactory

    user = UserFactory(username=username, **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, place=place)
    return user


@pytest.fixture
def cast(world):
    """One user per role, scoped to the small district of ``world``."""
    return {
        "admin": _user("admin", is_superuser=True, is_staff=True),
        "auditor": _user("auditor", "district_auditor", world["district"]),
        "reviewer": _user("reviewer", "discipline_reviewer", world["street_a"]),
        "street_staff": _user("street_staff", "street_staff", world["street_a"]),
        "secretary_a": _user("secretary_a", "community_secretary", world["community_a"], is_staff=True),
        "secretary_b": _user("secretary_b", "community_secretary", world["community_b"], is_staff=True),
        "committee_member": _user("committee_member", "committee_member", world["estate_a"]),
        "clerk": _user("clerk", "clerk", world["estate_a"]),
        "resident": _user("resident", "resident", world["estate_a"]),
    }


@pytest.fixture
def api():
    """An API client; ``api.as_user(user)`` logs it in."""
    client = APIClient()

    def as_user(user):
        client.force_authenticate(user=user)
        return client

    client.as_user = as_user
    return client


def _subprocess_database_url(settings) -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        _missing("another process needs PostgreSQL to share the test database")
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def subprocess_env(settings):
    """Environment for a separate Python process that works on this test's database."""
    return {
        **os.environ,
        "DATABASE_URL": _subprocess_database_url(settings),
        # The suite's own settings (pytest.ini), so that both processes share its keys.
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings_test"),
    }


@contextlib.contextmanager
def celery_worker(settings, label: str = "", env: dict | None = None):
    """Start a real Celery worker in its own process (consuming from Redis, writing to the test database),
    wait until it answers a ping, and stop it afterwards; yield the ``subprocess.Popen``.

    ``label`` tells apart several workers of one test (one killed, another started after it).
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    from config.celery import app

    env = {
        **os.environ,
        "DATABASE_URL": _subprocess_database_url(settings),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **(env or {}),
    }
    name = f"pytest-{os.getpid()}{label}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-n", name, "-l", "warning"],
        cwd=Path(__file__).parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    process.name = name
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the worker exited: {process.stderr.read().decode()[-2000:]}")
            if app.control.ping(destination=[name], timeout=0.5):
                break
        else:
            pytest.fail("the worker did not answer a ping within 60 s")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def celery_worker_process(settings, _services):
    """A real Celery worker in its own process, consuming from Redis and writing to the test database.

    Use it with ``@pytest.mark.worker`` and ``@pytest.mark.django_db(transaction=True)`` so that
    the worker sees committed rows.
    """
    from config.celery import app

    app.control.purge()
    with celery_worker(settings) as process:
        yield process.name
