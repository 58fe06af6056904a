import pytest

from governance.models import CoverageSnapshot
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


def test_the_api_queues_a_coverage_recount(api, cast, world):
    response = api.as_user(cast["auditor"]).post(f"/api/v1/places/{world['district'].pk}/coverage/recount/")
    assert response.status_code == 202
    assert CoverageSnapshot.objects.filter(place=world["district"]).count() == 1


def test_the_nightly_recount_is_scheduled_in_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="governance.tasks.coverage_recount_all")
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")


def test_the_nightly_job_recounts_every_district(world):
    from governance.tasks import coverage_recount_all

    coverage_recount_all.delay()
    assert CoverageSnapshot.objects.filter(place=world["district"]).exists()
