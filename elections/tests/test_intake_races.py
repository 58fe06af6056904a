"""A ballot checked before the vote's lock, while something changes before it gets the lock (issue 13).

Intake reads and checks a ballot without the vote's lock and takes the lock only to append the
chain link; what can change meanwhile must be checked again under the lock. Each test holds the
vote's lock on one connection, lets a ballot on another pass its checks and wait for the lock,
changes something in the same transaction as the lock, commits, and checks what became of the
waiting ballot.
"""

import threading
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils import timezone

from elections import services
from elections.models import Ballot, Channel, RefusedBallot, Vote, VoteStatus
from elections.services.common import lock
from elections.tests.factories import OwnerFactory, UnitFactory, open_resolution, own, register
from governance.scoping import SYSTEM
from residents.models import Ownership

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            # The activity view is a snapshot per transaction: read it afresh each time.
            "SELECT pg_stat_clear_snapshot()"
        )
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")
        return cursor.fetchone()[0] > 0


def _while_it_waits_for_the_lock(vote, cast_ballot, meanwhile) -> str:
    """Cast ``cast_ballot()`` in a thread while the vote is locked here; run ``meanwhile()`` once it waits.

    Returns the thread's outcome: "accepted" or the refusal's code.
    """
    outcome: list[str] = []

    def run():
        try:
            cast_ballot()
            outcome.append("accepted")
        except services.BallotRefused as exc:
            outcome.append(exc.code)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    with transaction.atomic():
        lock(vote)
        thread.start()
        deadline = time.monotonic() + 20
        while not _waiting_for_a_lock():
            assert time.monotonic() < deadline, "the ballot never waited for the vote's lock"
            time.sleep(0.02)
        meanwhile()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return outcome[0]


def _paper(vote, owner, clerk, serial, box=""):
    return services.ballot_cast(
        vote=vote, channel=Channel.CENTRAL, paper_serial=serial, box=box, owner_id=owner.pk, choice="for", actor=clerk
    )


def test_a_unit_sold_and_voted_by_its_buyer_while_the_sellers_ballot_waits_is_counted_once(world, cast):
    building = world["building_a1"]
    seller = OwnerFactory(place=world["estate_a"])
    units = [UnitFactory(building=building) for _ in range(3)]
    for unit in units:
        own(unit, seller)
    register(building, [100] * 3)
    vote = open_resolution(world["estate_a"])
    buyer = OwnerFactory(place=world["estate_a"])

    def sell_and_let_the_buyer_vote():
        today = timezone.localdate()
        Ownership.objects.filter(unit=units[1], owner=seller, end__isnull=True).update(end=today)
        Ownership.objects.create(unit=units[1], owner=buyer, start=today, registered=True)
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference="B", owner_id=buyer.pk, choice="against", actor=cast["clerk"]
        )

    outcome = _while_it_waits_for_the_lock(
        vote,
        lambda: services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference="S", owner_id=seller.pk, choice="for", actor=cast["clerk"]
        ),
        sell_and_let_the_buyer_vote,
    )
    assert outcome == "accepted"
    areas = dict(Ballot.objects.filter(vote=vote).values_list("reference", "area_cents"))
    # The seller's ballot covers the two flats still held, not the one its buyer voted for.
    assert areas == {"B": 100_00, "S": 200_00}


def test_a_paper_ballot_waiting_while_its_box_is_declared_finished_is_refused(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=["P1"], actor=cast["secretary_a"])
    box = services.ballot_box_seal(vote=vote, label="中心箱1", channel=Channel.CENTRAL, actor=cast["clerk"])

    outcome = _while_it_waits_for_the_lock(
        vote,
        lambda: _paper(vote, ten_owners[0][1], cast["clerk"], "P1", box="中心箱1"),
        lambda: services.ballot_box_finish(box=box, actor=cast["clerk"]),
    )
    assert outcome == "box_finished"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert RefusedBallot.objects.filter(vote=vote, reason="box_finished").count() == 1


def test_two_clerks_entering_the_same_serial_for_two_owners_at_once_get_it_entered_once(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    services.paper_serials_issue(vote=vote, serials=["P1"], actor=cast["secretary_a"])

    outcome = _while_it_waits_for_the_lock(
        vote,
        lambda: _paper(vote, ten_owners[1][1], cast["clerk"], "P1"),
        lambda: _paper(vote, ten_owners[0][1], cast["clerk"], "P1"),
    )
    assert outcome == "serial_used"
    assert list(Ballot.objects.filter(vote=vote).values_list("paper_serial", "cast_by_owner_id")) == [
        ("P1", ten_owners[0][1].pk)
    ]


def test_an_online_ballot_waiting_while_voting_closes_is_refused(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    _entry_id, voting_code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]

    def close():  # as vote_close does under the lock (without queueing its tally)
        Vote.objects.filter(pk=vote.pk).update(status=VoteStatus.COUNTING)

    outcome = _while_it_waits_for_the_lock(
        vote,
        lambda: services.ballot_cast(
            vote=vote, channel=Channel.ONLINE, voting_code=voting_code, choice="for", actor=AnonymousUser()
        ),
        close,
    )
    assert outcome == "outside_window"
    assert not Ballot.objects.filter(vote=vote).exists()
