import pytest

from governance.models import AuditEvent, CoverageSnapshot
from governance.tasks import coverage_recount


def test_coverage_recount_keeps_a_snapshot_of_the_figures(world):
    snapshot = CoverageSnapshot.objects.get(pk=coverage_recount.delay(world["district"].pk).get())
    assert (snapshot.estates, snapshot.covered_estates) == (2, 0)
    assert snapshot.data["parts"]["buildings"] == 3


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_coverage_recount_runs_on_a_real_worker_through_redis(world, celery_worker_process):
    result = coverage_recount.delay(world["district"].pk)
    snapshot_id = result.get(timeout=60)
    assert result.successful()
    assert CoverageSnapshot.objects.get(pk=snapshot_id).estates == 2


def test_the_api_queues_a_coverage_recount_for_street_staff(api, cast, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(cast["street_staff"]).post(f"/api/v1/places/{world['street_a'].pk}/coverage/recount/")
    assert response.status_code == 202
    assert CoverageSnapshot.objects.filter(place=world["street_a"]).count() == 1


def test_a_coverage_recount_is_audited_with_its_task(api, cast, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(cast["street_staff"]).post(f"/api/v1/places/{world['street_a'].pk}/coverage/recount/")
    event = AuditEvent.objects.get(action="coverage.recount")
    assert (event.actor, event.place, event.data["task"]) == (
        cast["street_staff"],
        world["street_a"],
        response.data["task"],
    )


@pytest.mark.parametrize("role", ["auditor", "reviewer"])
def test_auditors_and_reviewers_cannot_trigger_a_recount(api, cast, world, role, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.as_user(cast[role]).post(f"/api/v1/places/{world['street_a'].pk}/coverage/recount/")
    assert response.status_code == 403
    assert not CoverageSnapshot.objects.exists()
    assert not AuditEvent.objects.filter(action="coverage.recount").exists()


def test_the_nightly_recount_is_scheduled_in_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="governance.tasks.coverage_recount_all")
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")


def test_the_nightly_job_recounts_every_district(world):
    from governance.tasks import coverage_recount_all

    coverage_recount_all.delay()
    assert CoverageSnapshot.objects.filter(place=world["district"]).exists()
