"""Import jobs: queued on commit, run by the task, claimed once, their progress and report shown."""

import datetime
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.errors import NotPermitted
from governance.models import AuditEvent, RoleAssignment
from governance.scoping import SYSTEM
from residents import services
from residents.models import ImportJob, ImportState, PropertyUnit
from residents.tasks import register_import

from .factories import PersonOwnerFactory, register_csv, register_row


def _job(estate, rows, actor=SYSTEM):
    data = register_csv(rows).getvalue()
    return services.register_import_submit(
        estate=estate, file=ContentFile(data, name="register.csv"), actor=actor, run=False
    )


def test_a_valid_job_imports_and_records_its_summary(estate, cast):
    job = _job(estate, [register_row(room=str(100 + i), n=i) for i in range(30)], actor=cast["secretary_a"])
    register_import(job.pk)
    job.refresh_from_db()
    assert job.state == ImportState.DONE and job.percent == 100
    assert (job.total_rows, job.processed_rows, job.total_units, job.written_units) == (30, 30, 30, 30)
    assert job.summary["units_created"] == 30
    assert AuditEvent.objects.get(action="register.import").actor == cast["secretary_a"]


def test_the_uploaded_file_is_deleted_once_the_job_has_run(estate):
    job = _job(estate, [register_row()])
    path = job.file.path
    register_import(job.pk)
    job.refresh_from_db()
    assert not job.file and not os.path.exists(path) and job.file_name == "register.csv"


def test_an_invalid_job_imports_nothing_and_keeps_the_report(estate):
    job = _job(estate, [register_row(), register_row(room="102", building="9栋")])
    register_import(job.pk)
    job.refresh_from_db()
    assert job.state == ImportState.INVALID and job.error_count == 1
    assert job.errors[0]["line"] == 3 and not PropertyUnit.objects.exists()


def test_running_a_job_twice_imports_once(estate):
    job = _job(estate, [register_row()])
    register_import(job.pk)
    register_import(job.pk)
    assert AuditEvent.objects.filter(action="register.import").count() == 1


def test_submitting_queues_the_task_on_commit(estate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = services.register_import_submit(
            estate=estate, file=ContentFile(register_csv([register_row()]).getvalue(), name="r.csv"), actor=SYSTEM
        )
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == ImportState.DONE


def test_submitting_for_an_estate_outside_change_scope_is_refused(estate, cast):
    with pytest.raises(NotPermitted):
        _job(estate, [register_row()], actor=cast["committee_member"].__class__.objects.get(username="reviewer"))


def test_the_import_page_uploads_a_file_and_shows_the_report(client, cast, estate, django_capture_on_commit_callbacks):
    client.force_login(cast["secretary_a"])
    upload = ContentFile(register_csv([register_row(), register_row(room="102", area="abc")]).getvalue(), name="r.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/register/imports/", {"estate": estate.pk, "file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "校验未通过" in page.content.decode() and "不是数字" in page.content.decode()
    job = ImportJob.objects.get()
    assert (job.state, job.created_by, job.error_count) == (ImportState.INVALID, cast["secretary_a"], 1)
    assert not PropertyUnit.objects.exists()


def test_the_import_page_offers_only_estates_the_user_may_change(client, cast, estate, world):
    client.force_login(cast["secretary_b"])
    response = client.post("/register/imports/", {"estate": estate.pk, "file": ContentFile(b"x", name="r.csv")})
    assert response.status_code == 400 and not ImportJob.objects.exists()  # a refused form: 400 (docs/web.md)


def test_another_communitys_job_page_is_not_found(client, cast, estate):
    job = _job(estate, [register_row()])
    client.force_login(cast["secretary_b"])
    assert client.get(f"/register/imports/{job.pk}/").status_code == 404


def test_admin_upload_creates_and_runs_a_job(client, cast, estate, django_capture_on_commit_callbacks):
    client.force_login(cast["admin"])
    upload = ContentFile(register_csv([register_row()]).getvalue(), name="r.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/residents/importjob/add/", {"estate": estate.pk, "file": upload, "on": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ImportJob.objects.get().state == ImportState.DONE and PropertyUnit.objects.count() == 1


def test_admin_owner_list_shows_masked_numbers(client, cast, estate):
    owner = PersonOwnerFactory(place=estate)
    owner.person.set_id_number("110105194912310029")
    owner.person.save()
    client.force_login(cast["admin"])
    page = client.get("/admin/residents/owner/").content.decode()
    assert "1101**********0029" in page and "110105194912310029" not in page


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    """A media folder that a worker process started after this fixture sees too."""
    root = tmp_path / "shared-media"
    settings.MEDIA_ROOT = root
    monkeypatch.setenv("MEDIA_ROOT", str(root))
    return root


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_queued_import_and_the_job_shows_it(world, shared_media, celery_worker_process):
    rows = [register_row(room=str(100 + i), n=i) for i in range(50)]
    job = services.register_import_submit(
        estate=world["estate_a"], file=ContentFile(register_csv(rows).getvalue(), name="r.csv"), actor=SYSTEM
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            break
        time.sleep(0.2)
    assert job.state == ImportState.DONE and job.summary["units_created"] == 50
    assert PropertyUnit.objects.filter(estate=world["estate_a"]).count() == 50


def _started(job, state, minutes_ago):
    ImportJob.objects.filter(pk=job.pk).update(
        state=state, started_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )


def test_a_job_whose_worker_stopped_is_marked_failed_and_its_file_removed(estate):
    job = _job(estate, [register_row()])
    path = job.file.path
    _started(job, ImportState.IMPORTING, minutes_ago=180)
    assert services.register_imports_fail_stalled(actor=SYSTEM) == 1
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert "重新上传" in job.errors[0]["message"]
    assert not os.path.exists(path)
    assert AuditEvent.objects.filter(action="register.import_stalled", object_id=str(job.pk)).exists()


def test_a_job_still_within_its_time_is_left_running(estate):
    job = _job(estate, [register_row()])
    _started(job, ImportState.VALIDATING, minutes_ago=5)
    assert services.register_imports_fail_stalled(actor=SYSTEM) == 0
    job.refresh_from_db()
    assert job.state == ImportState.VALIDATING


def test_the_stalled_import_check_is_scheduled_in_beat(db):
    task = PeriodicTask.objects.get(task="residents.tasks.register_imports_fail_stalled")
    assert (task.interval.every, task.interval.period) == (10, "minutes")


def test_a_job_whose_submitter_lost_the_right_fails_and_writes_nothing(estate, cast):
    job = _job(estate, [register_row()], actor=cast["secretary_a"])
    RoleAssignment.objects.filter(user=cast["secretary_a"]).delete()
    register_import(job.pk)
    job.refresh_from_db()
    assert job.state == ImportState.FAILED and "无权" in job.errors[0]["message"]
    assert not PropertyUnit.objects.exists() and not AuditEvent.objects.filter(action="register.import").exists()


def test_the_job_page_lists_the_units_whose_counted_area_changed(client, cast, estate):
    first = _job(estate, [register_row(area="88.00", source="surveyed")], actor=cast["secretary_a"])
    register_import(first.pk)
    job = _job(estate, [register_row(area="89.50", source="registered")], actor=cast["secretary_a"])
    register_import(job.pk)
    client.force_login(cast["secretary_a"])
    page = client.get(f"/register/imports/{job.pk}/").content.decode()
    assert "1栋-1单元-101" in page and "88.00 m²" in page and "89.50 m²" in page and "优先于原来计入的实测面积" in page


def _submitted(job, minutes_ago: int):
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago))


def test_a_job_left_pending_past_the_resend_time_is_sent_again_and_runs(estate):
    job = _job(estate, [register_row()])
    _submitted(job, minutes_ago=15)
    assert services.register_imports_resend_pending(actor=SYSTEM) == [job.pk]
    job.refresh_from_db()
    assert job.state == ImportState.DONE and PropertyUnit.objects.count() == 1  # tasks run eagerly here


def test_a_job_submitted_a_moment_ago_is_left_to_its_own_message(estate):
    job = _job(estate, [register_row()])
    _submitted(job, minutes_ago=2)
    assert services.register_imports_resend_pending(actor=SYSTEM) == []
    job.refresh_from_db()
    assert job.state == ImportState.PENDING and not PropertyUnit.objects.exists()


def test_a_secretary_cannot_resend_pending_imports(estate, cast):
    job = _job(estate, [register_row()])
    _submitted(job, minutes_ago=15)
    with pytest.raises(NotPermitted):
        services.register_imports_resend_pending(actor=cast["secretary_a"])
    job.refresh_from_db()
    assert job.state == ImportState.PENDING and not PropertyUnit.objects.exists()
