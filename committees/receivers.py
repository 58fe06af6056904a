"""Receivers of signals sent by lower layers; each calls one service of this app."""

import logging

from django.dispatch import receiver

from committees import services
from committees.events import CommitteesEvent
from core.errors import ApplicationError
from elections.signals import vote_filed
from governance.audit import audit_record
from governance.scoping import SYSTEM, acting_user

logger = logging.getLogger(__name__)


@receiver(vote_filed, dispatch_uid="committees.record_committee_from_election")
def record_committee_from_election(sender, vote, elected, actor, **kwargs):
    """A filed owners' election records the new committee.

    The platform records it (``SYSTEM``): the filer had the right to file the election, and
    the committee follows from the filing; who filed is kept in the audit data. The filing
    has already committed when this runs: a refusal is recorded for a person to act on
    (enter the committee by hand), not raised into the filer's request.
    """
    filed_by = getattr(acting_user(actor), "pk", None)
    try:
        services.committee_record_from_election(vote=vote, elected=elected, actor=SYSTEM, filed_by=actor)
    except ApplicationError as exc:
        logger.warning("committee not recorded from election %s: %s", vote.pk, exc.message)
        audit_record(
            actor=SYSTEM,
            action=CommitteesEvent.COMMITTEE_RECORD_REFUSED,
            obj=vote,
            place=vote.estate,
            summary=exc.message,
            data={"code": exc.code, "elected": list(elected), "filed_by": filed_by},
        )
