"""Growing past one machine: the replica router, queues by kind, S3-compatible uploads, PgBouncer, the Procfile."""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

import config.settings
from config import db
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def replica(monkeypatch):
    monkeypatch.setattr(db, "replica_configured", lambda: True)


def test_reads_stay_on_the_primary_unless_a_replica_is_asked_for(replica):
    router = db.ReplicaRouter()
    assert router.db_for_read(None) is None
    with db.replica_reads():
        assert router.db_for_read(None) == "replica"
    assert router.db_for_read(None) is None


def test_without_a_replica_configured_every_read_goes_to_the_primary():
    with db.replica_reads():
        assert db.ReplicaRouter().db_for_read(None) is None


@pytest.mark.django_db
def test_a_writer_reads_what_it_wrote_from_the_primary_even_inside_replica_reads(replica):
    router = db.ReplicaRouter()
    with db.replica_reads(), transaction.atomic():
        assert router.db_for_read(None) is None


def test_writes_and_migrations_never_go_to_the_replica(replica):
    router = db.ReplicaRouter()
    with db.replica_reads():
        assert router.db_for_write(None) == "default"
    assert router.allow_migrate("replica", "residents") is False
    assert router.allow_migrate("default", "residents") is True


@pytest.fixture
def flags(monkeypatch):
    """The replica flag seen by each read the router is asked about."""
    seen = []
    original = db.ReplicaRouter.db_for_read

    def spy(self, model, **hints):
        seen.append(db._use_replica.get())
        return original(self, model, **hints)

    monkeypatch.setattr(db.ReplicaRouter, "db_for_read", spy)
    return seen


@pytest.mark.django_db
def test_the_dashboard_reads_through_the_replica_flag_and_the_api_does_not(client, cast, api, flags):
    client.force_login(cast["secretary_a"])
    assert client.get("/").status_code == 200
    assert flags and any(flags)
    flags.clear()
    assert api.as_user(cast["secretary_a"]).get("/api/v1/units/").status_code == 200
    assert flags and not any(flags)


def test_every_task_of_the_platform_is_routed_to_a_queue_that_workers_consume():
    for label in ("governance", "residents", "elections", "committees", "oversight"):
        importlib.import_module(f"{label}.tasks")
    ours = [name for name in app.tasks if name.split(".")[0] in settings.INSTALLED_APPS]
    assert len(ours) >= 10
    consumed = {q.name for q in app.conf.task_queues}
    assert consumed == set(settings.CELERY_QUEUE_NAMES)
    for name in ours:
        queue = app.amqp.router.route({}, name)["queue"].name
        assert queue in consumed, name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("elections.tasks.vote_tally_task", "tallies"),
        ("residents.tasks.register_import", "imports"),
        ("oversight.tasks.build_report", "reports"),
        ("governance.tasks.coverage_recount", "reports"),
        ("oversight.tasks.email_notices", "notifications"),
    ],
)
def test_each_kind_of_work_has_its_queue(task, queue):
    assert app.amqp.router.route({}, task)["queue"].name == queue


@pytest.fixture
def reload_settings(monkeypatch):
    """Re-read config/settings.py under a changed environment; restore it afterwards."""

    def reload(**environ):
        for key, value in environ.items():
            monkeypatch.setenv(key, value)
        return importlib.reload(config.settings)

    yield reload
    monkeypatch.undo()
    importlib.reload(config.settings)


def test_uploads_go_to_an_s3_compatible_bucket_when_configured(reload_settings):
    from storages.backends.s3 import S3Storage

    module = reload_settings(
        MEDIA_STORAGE="s3",
        S3_BUCKET="gongzhi-media",
        S3_ENDPOINT_URL="http://127.0.0.1:9000",
        S3_ACCESS_KEY_ID="key",
        S3_SECRET_ACCESS_KEY="secret",
    )
    default = module.STORAGES["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    storage = S3Storage(**default["OPTIONS"])
    url = storage.url("committees/vouchers/a.pdf")
    assert url.startswith("http://127.0.0.1:9000/gongzhi-media/media/committees/vouchers/a.pdf?")
    assert "Signature" in url  # private files: signed, expiring links only
    assert storage.default_acl is None


def test_uploads_stay_on_the_file_system_by_default(reload_settings):
    module = reload_settings()
    assert module.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"


def test_behind_pgbouncer_no_server_side_cursors_and_a_replica_alias(reload_settings):
    module = reload_settings(
        DATABASE_URL="postgres://u@127.0.0.1:6432/gongzhi",
        DATABASE_REPLICA_URL="postgres://u@10.0.0.2:6432/gongzhi",
        PGBOUNCER="1",
    )
    assert module.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert module.DATABASES["replica"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert module.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
    assert module.DATABASES["replica"]["CONN_MAX_AGE"] == module.DATABASES["default"]["CONN_MAX_AGE"]


def test_the_procfile_starts_web_workers_on_every_queue_and_one_beat():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line and line[0] != "#"
    )
    assert set(processes) == {"web", "worker", "beat"}
    assert "gunicorn config.wsgi" in processes["web"]
    queues = re.search(r"-Q \$\{WORKER_QUEUES:-([a-z,]+)\}", processes["worker"]).group(1).split(",")
    assert set(queues) == set(settings.CELERY_QUEUE_NAMES)
    assert "celery -A config beat" in processes["beat"]
