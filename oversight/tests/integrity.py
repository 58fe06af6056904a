"""A little world of records that must never change: a counted vote with its ballots, a ledger with a statement."""

from __future__ import annotations

import datetime

from committees import services as committees_services
from committees.tests.factories import income
from elections import services as election_services
from elections.models import Channel, Vote
from elections.tests.factories import open_resolution, register
from governance.models import Place


def counted_vote(building, clerk, closer) -> Vote:
    """A resolution of six owners of 100 m², five for and one against, closed and counted (tasks run eagerly)."""
    owners = register(building, [100] * 6)
    vote = open_resolution(Place.objects.get(pk=building.estate_id))
    for i, (_unit, owner) in enumerate(owners):
        election_services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference=f"T{i}",
            owner_id=owner.pk,
            choice="for" if i < 5 else "against",
            actor=clerk,
        )
    election_services.vote_close(vote=vote, actor=closer, now=vote.closes_at)
    return vote


def published_ledger(estate, publisher):
    """Three incomes, a statement published over them, and one income after it."""
    committees_services.ledger_open(estate=estate, actor=publisher)
    income(estate, "3000.00", datetime.date(2026, 1, 5))
    income(estate, "15000.00", datetime.date(2026, 1, 20))
    income(estate, "800.00", datetime.date(2026, 2, 3))
    statement = committees_services.statement_publish(
        estate=estate, period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 3, 31), actor=publisher
    )
    income(estate, "500.00", datetime.date(2026, 4, 2))
    return statement


def integrity_world(world, cast, capture) -> dict:
    """Build both; ``capture`` is pytest-django's ``django_capture_on_commit_callbacks`` (runs the tally)."""
    for place in world.values():
        place.refresh_from_db()
    with capture(execute=True):
        vote = counted_vote(world["building_a1"], cast["clerk"], cast["secretary_a"])
    vote.refresh_from_db()
    assert vote.latest_result is not None, "the tally ran"
    statement = published_ledger(Place.objects.get(pk=world["estate_a"].pk), cast["committee_member"])
    return {"vote": vote, "statement": statement, "estate": statement.estate}


# A DBA turns the vote's one 'against' ballot into 'for' (run it with the triggers switched off).
TAMPER_ONE_BALLOT_SQL = "UPDATE elections_ballot SET choice = 'for' WHERE vote_id = %s AND choice = 'against'"
