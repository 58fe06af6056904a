"""Receivers of the signals lower layers send on commit; each calls one oversight service as the system.

The change that sent the signal has already committed when these run, so a refusal is logged
for a person to act on, never raised into the request of whoever scheduled the meeting. Each
receiver reads the object afresh: the instance a service sent may be older than what later
services of the same transaction wrote (a project started, then accepted).
"""

import logging

from django.dispatch import receiver

from committees.models import Decision, Meeting, Project, SpendingRequest
from committees.signals import (
    decision_recorded,
    ledger_checked,
    meeting_attended,
    meeting_scheduled,
    project_changed,
    project_registered,
    spending_requested,
)
from core.errors import ApplicationError
from elections.models import Vote
from elections.signals import vote_scheduled
from governance.scoping import SYSTEM
from oversight import services

logger = logging.getLogger(__name__)


def _refused(what: str, pk, exc: ApplicationError) -> None:
    logger.warning("oversight: %s %s not handled: %s", what, pk, exc.message)


@receiver(meeting_scheduled, dispatch_uid="oversight.meeting_scheduled")
@receiver(meeting_attended, dispatch_uid="oversight.meeting_attended")
def meeting_obligations(sender, meeting, **kwargs):
    """A committee meeting or assembly is to be attended (必列席); its attendance record meets that."""
    try:
        services.obligations_for_meeting(meeting=Meeting.objects.get(pk=meeting.pk), actor=SYSTEM)
    except ApplicationError as exc:
        _refused("meeting", meeting.pk, exc)


@receiver(decision_recorded, dispatch_uid="oversight.decision_recorded")
def decision_obligations(sender, decision, **kwargs):
    """A major decision needs the party organization's participation (必参与)."""
    try:
        services.obligations_for_decision(decision=Decision.objects.get(pk=decision.pk), actor=SYSTEM)
    except ApplicationError as exc:
        _refused("decision", decision.pk, exc)


@receiver(vote_scheduled, dispatch_uid="oversight.vote_scheduled")
def vote_obligations(sender, vote, **kwargs):
    """An owners' assembly is to be attended; a resolution needs participation before voting closes."""
    try:
        services.obligations_for_vote(vote=Vote.objects.get(pk=vote.pk), actor=SYSTEM)
    except ApplicationError as exc:
        _refused("vote", vote.pk, exc)


@receiver(spending_requested, dispatch_uid="oversight.spending_requested")
def spending_obligations(sender, request, **kwargs):
    """Spending above the major-spending threshold needs participation before it is decided."""
    try:
        services.obligations_for_spending(request=SpendingRequest.objects.get(pk=request.pk), actor=SYSTEM)
    except ApplicationError as exc:
        _refused("spending request", request.pk, exc)


@receiver(project_registered, dispatch_uid="oversight.project_registered")
@receiver(project_changed, dispatch_uid="oversight.project_changed")
def project_obligations(sender, project, **kwargs):
    """A major project is supervised at its start, while it runs and at acceptance (必监督)."""
    try:
        services.obligations_for_project(project=Project.objects.get(pk=project.pk), actor=SYSTEM)
    except ApplicationError as exc:
        _refused("project", project.pk, exc)


@receiver(ledger_checked, dispatch_uid="oversight.ledger_checked")
def ledger_check(sender, estate, ok, problem="", **kwargs):
    """Keep the outcome of a ledger verification: a failure raises an early warning."""
    services.ledger_check_record(estate=estate, ok=ok, problem=problem, actor=SYSTEM)
