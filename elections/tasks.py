"""Background work of the voting engine: the tally, and closing votes whose time is up."""

from celery import shared_task

from elections import services
from governance.scoping import SYSTEM


@shared_task(acks_late=True)
def vote_tally_task(vote_id: int) -> int | None:
    """Count a closed vote (safe to run twice: the service claims the work); return the result's id."""
    result = services.vote_tally(vote_id=vote_id)
    return result.pk if result else None


@shared_task
def close_due_votes() -> list[int]:
    """Close every vote whose voting time has ended; each close enqueues its tally (the beat job)."""
    return services.close_due_votes()


@shared_task
def recover_tallies() -> list[int]:
    """Send again the tallies left pending or running too long (a killed worker, a lost message; beat)."""
    return services.tallies_recover(actor=SYSTEM)
