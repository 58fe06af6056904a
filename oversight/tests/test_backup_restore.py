"""The scripted backup and restore (scripts/backup.sh, scripts/restore.sh) on the real PostgreSQL.

A little world (a counted vote with its ballots, a ledger with a published statement and its
vouchers) is backed up, restored into a new database, and verified there; a ballot changed in
the restored copy, as a database administrator could, is caught by ``verify_all``.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from oversight.tests.integrity import TAMPER_ONE_BALLOT_SQL, integrity_world

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def _url(settings, name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def _run(args, env, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def new_database(settings):
    """An empty database beside the test database, dropped afterwards whatever happens."""
    name = f"{settings.DATABASES['default']['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    admin = _url(settings, "postgres")
    subprocess.run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-qc", f'CREATE DATABASE "{name}"'], check=True)
    yield _url(settings, name)
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)


@pytest.fixture
def backup(world, cast, django_capture_on_commit_callbacks, settings, subprocess_env, tmp_path):
    """The little world, backed up with scripts/backup.sh; the backup's directory."""
    built = integrity_world(world, cast, django_capture_on_commit_callbacks)
    env = {**subprocess_env, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    done = _run(["scripts/backup.sh", str(tmp_path / "backups")], env)
    assert done.returncode == 0, done.stderr
    return {**built, "dir": Path(done.stdout.strip().splitlines()[-1])}


@pytest.fixture
def empty_backup(new_database, subprocess_env, tmp_path):
    """A backup of an empty database (enough for the refusals, which come before any restore)."""
    env = {**subprocess_env, "DATABASE_URL": new_database, "MEDIA_ROOT": str(tmp_path / "no-media")}
    done = _run(["scripts/backup.sh", str(tmp_path / "backups")], env)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])


def _restore(backup_dir, target, media, subprocess_env) -> subprocess.CompletedProcess:
    env = {**subprocess_env, "PYTHON": sys.executable}
    return _run(["scripts/restore.sh", str(backup_dir), target, str(media)], env)


@pytest.mark.django_db(transaction=True)
def test_a_restored_copy_verifies_and_a_ballot_changed_in_it_is_caught(backup, new_database, subprocess_env, tmp_path):
    restored = _restore(backup["dir"], new_database, tmp_path / "restored-media", subprocess_env)
    assert restored.returncode == 0, restored.stderr
    assert "verify_all: OK — 1 vote(s) and 1 ledger(s) verified" in restored.stdout
    assert any((tmp_path / "restored-media" / "ledger" / "vouchers").rglob("*")), "the vouchers came back"

    vote = backup["vote"]
    tamper = f"BEGIN; SET LOCAL session_replication_role = replica; {TAMPER_ONE_BALLOT_SQL % vote.pk}; COMMIT;"
    subprocess.run(["psql", new_database, "-v", "ON_ERROR_STOP=1", "-qc", tamper], check=True)
    env = {**subprocess_env, "DATABASE_URL": new_database, "MEDIA_ROOT": str(tmp_path / "restored-media")}
    checked = _run([sys.executable, "manage.py", "verify_all"], env)
    assert checked.returncode == 1
    assert f"vote {vote.pk} ({vote.title}): " in checked.stderr


@pytest.mark.django_db
def test_restore_refuses_a_database_that_already_has_tables(empty_backup, settings, subprocess_env, tmp_path):
    from governance.models import AuditEvent

    before = AuditEvent.objects.count()
    refused = _restore(
        empty_backup, _url(settings, settings.DATABASES["default"]["NAME"]), tmp_path / "m", subprocess_env
    )
    assert refused.returncode == 2
    assert "the target database already has" in refused.stderr
    assert AuditEvent.objects.count() == before
    assert not (tmp_path / "m").exists()


def test_restore_refuses_a_damaged_backup_and_leaves_the_target_empty(
    empty_backup, new_database, subprocess_env, tmp_path
):
    dump = empty_backup / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    refused = _restore(empty_backup, new_database, tmp_path / "m", subprocess_env)
    assert refused.returncode == 2
    assert "do not match SHA256SUMS" in refused.stderr
    tables = subprocess.run(
        ["psql", new_database, "-tAc", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert tables.stdout.strip() == "0"
