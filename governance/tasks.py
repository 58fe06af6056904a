"""Background work of the governance layer."""

from celery import shared_task

from governance import services
from governance.models import Place
from governance.scoping import SYSTEM


@shared_task(acks_late=True)
def coverage_recount(place_id: int) -> int:
    """Recount coverage of a place's subtree and keep the result as a snapshot; return its id."""
    place = Place.objects.get(pk=place_id)
    return services.coverage_snapshot_create(place=place, actor=SYSTEM).pk


@shared_task
def coverage_recount_all() -> list[int]:
    """Recount every district (the nightly beat job)."""
    return [coverage_recount(pk) for pk in Place.objects.filter(parent__isnull=True).values_list("pk", flat=True)]
