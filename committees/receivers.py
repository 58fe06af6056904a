"""Receivers of signals sent by lower layers; each calls one service of this app."""

from django.dispatch import receiver

from committees import services
from elections.signals import vote_filed


@receiver(vote_filed, dispatch_uid="committees.record_committee_from_election")
def record_committee_from_election(sender, vote, elected, actor, **kwargs):
    """A filed owners' election records the new committee."""
    services.committee_record_from_election(vote=vote, elected=elected, actor=actor)
