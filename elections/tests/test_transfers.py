"""Units that change hands during the vote (issue 9 items 1 and 2, docs/domain.md §4).

A ballot already cast by the previous owner stands; otherwise the new owner votes for the
units they acquired, with those units' area, and the seller for the units still held. Only
the developer casts the developer's entry; a buyer who does not yet possess a unit is not on
the roll.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from elections import services
from elections.models import Ballot, Channel, RefusedBallot, RollSplit
from elections.services import BallotRefused
from elections.tests.factories import OwnerFactory, UnitFactory, open_resolution, own, register
from residents.models import Owner, OwnerKind, Ownership

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _sell(unit, seller, buyer, *, registered=True):
    """Register the sale of ``unit`` today: the seller's title ends, the buyer's starts."""
    Ownership.objects.filter(unit=unit, owner=seller, end__isnull=True).update(end=TODAY())
    return Ownership.objects.create(unit=unit, owner=buyer, start=TODAY(), registered=registered)


def _phone(vote, owner, clerk, choice="for", **extra):
    return services.ballot_cast(
        vote=vote,
        channel=Channel.PHONE,
        reference=f"T{owner.pk}",
        owner_id=owner.pk,
        choice=choice,
        actor=clerk,
        **extra,
    )


def _count(vote, secretary, capture):
    with capture(execute=True):
        services.vote_close(vote=vote, actor=secretary, now=vote.closes_at)
    vote.refresh_from_db()
    return vote.latest_result.data


@pytest.fixture
def three_unit_owner(world):
    """One owner of three flats of 100 m² (one counted owner, 300 m²), and seven others of 100 m²."""
    building = world["building_a1"]
    seller = OwnerFactory(place=world["estate_a"])
    units = [UnitFactory(building=building) for _ in range(3)]
    for unit in units:
        own(unit, seller)
    others = register(building, [100] * 7)
    return seller, units, others


def _verify(vote):
    call_command("verify_vote", str(vote.pk), stdout=io.StringIO())


def test_a_buyer_of_one_of_three_units_votes_for_that_unit_only_and_the_seller_for_the_two_still_held(
    world, cast, three_unit_owner, django_capture_on_commit_callbacks
):
    seller, units, _others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    buyer = OwnerFactory(place=world["estate_a"])
    transfer = _sell(units[1], seller, buyer)
    bought = _phone(vote, buyer, cast["clerk"], "against")
    kept = _phone(vote, seller, cast["clerk"], "for")
    assert (bought.area_cents, kept.area_cents) == (100_00, 200_00)
    assert bought.entry != kept.entry and kept.entry.key == f"u{units[0].pk}"
    data = _count(vote, cast["secretary_a"], django_capture_on_commit_callbacks)
    # The buyer is one more counted owner; the area is the same.
    assert data["quorum"]["total_owners"] == 8 + 1 and data["quorum"]["total_area"] == "1000.00"
    assert data["quorum"]["voted_owners"] == 2 and data["quorum"]["voted_area"] == "300.00"
    assert data["roll_changes"] == [
        {
            "from": f"u{units[0].pk}",
            "to": f"t{transfer.pk}",
            "new_owner": True,
            "units": [units[1].pk],
            "area": "100.00",
            "transfer": transfer.pk,
        }
    ]
    _verify(vote)


def test_a_seller_voting_after_the_sale_covers_only_the_units_still_held(world, cast, three_unit_owner):
    seller, units, _others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    buyer = OwnerFactory(place=world["estate_a"])
    _sell(units[2], seller, buyer)
    assert _phone(vote, seller, cast["clerk"]).area_cents == 200_00
    assert _phone(vote, buyer, cast["clerk"]).area_cents == 100_00
    assert RollSplit.objects.filter(vote=vote).count() == 1
    _verify(vote)


def test_a_ballot_cast_before_the_sale_stands_and_the_buyer_is_refused(
    world, cast, three_unit_owner, django_capture_on_commit_callbacks
):
    seller, units, _others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    assert _phone(vote, seller, cast["clerk"]).area_cents == 300_00
    buyer = OwnerFactory(place=world["estate_a"])
    _sell(units[0], seller, buyer)
    with pytest.raises(BallotRefused) as refused:
        _phone(vote, buyer, cast["clerk"], "against")
    assert refused.value.code == "previous_owner_voted"
    assert Ballot.objects.filter(vote=vote).count() == 1 and not RollSplit.objects.filter(vote=vote).exists()
    data = _count(vote, cast["secretary_a"], django_capture_on_commit_callbacks)
    assert data["quorum"]["voted_area"] == "300.00" and data["quorum"]["total_owners"] == 8
    assert data["roll_changes"] == []


def test_a_seller_who_sold_every_unit_is_no_longer_on_the_roll(world, cast, three_unit_owner):
    seller, units, _others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    buyer = OwnerFactory(place=world["estate_a"])
    for unit in units:
        _sell(unit, seller, buyer)
    with pytest.raises(BallotRefused) as refused:
        _phone(vote, seller, cast["clerk"])
    assert refused.value.code == "not_on_roll"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert _phone(vote, buyer, cast["clerk"]).area_cents == 300_00


def test_a_buyer_already_on_the_roll_votes_once_with_the_areas_added(world, cast, three_unit_owner):
    seller, units, others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    _unit, neighbour = others[0]
    _sell(units[0], seller, neighbour)
    ballot = _phone(vote, neighbour, cast["clerk"])
    assert ballot.area_cents == 200_00 and ballot.entry.frozen
    split = RollSplit.objects.get(vote=vote)
    assert split.new_owner is False and split.target == ballot.entry
    assert _phone(vote, seller, cast["clerk"]).area_cents == 200_00


def test_a_transfer_nobody_voted_on_is_recorded_when_the_tally_runs(
    world, cast, three_unit_owner, django_capture_on_commit_callbacks
):
    seller, units, others = three_unit_owner
    vote = open_resolution(world["estate_a"])
    _sell(units[0], seller, OwnerFactory(place=world["estate_a"]))
    for _unit, owner in others[:6]:
        _phone(vote, owner, cast["clerk"])
    data = _count(vote, cast["secretary_a"], django_capture_on_commit_callbacks)
    assert len(data["roll_changes"]) == 1 and data["quorum"]["total_owners"] == 9
    _verify(vote)


# The developer's entry --------------------------------------------------------------------------


@pytest.fixture
def developer(world):
    """The developer: two unsold flats and one sold but undelivered; with three other owners."""
    building = world["building_a2"]
    dev = Owner.objects.create(
        kind=OwnerKind.ORGANIZATION, org_name="重庆某置业有限公司", is_developer=True, place=world["estate_a"]
    )
    unsold = [UnitFactory(building=building) for _ in range(2)]
    for unit in unsold:
        own(unit, dev)
    undelivered = UnitFactory(building=building, delivered=False)
    buyer = OwnerFactory(place=world["estate_a"])
    Ownership.objects.create(
        unit=undelivered, owner=buyer, start=TODAY() - datetime.timedelta(days=60), registered=False
    )
    others = register(building, [100] * 3)
    return dev, unsold, undelivered, buyer, others


def test_a_buyer_of_a_sold_but_undelivered_unit_is_not_on_the_roll(world, cast, developer):
    _dev, _unsold, _undelivered, buyer, _others = developer
    vote = open_resolution(world["estate_a"])
    with pytest.raises(BallotRefused) as refused:
        _phone(vote, buyer, cast["clerk"])
    assert refused.value.code == "not_on_roll"
    assert not Ballot.objects.filter(vote=vote).exists()
    assert RefusedBallot.objects.get(vote=vote).reason == "not_on_roll"


def test_a_unit_delivered_to_its_buyer_during_the_vote_leaves_the_developers_entry(world, cast, developer):
    _dev, _unsold, undelivered, buyer, _others = developer
    vote = open_resolution(world["estate_a"])
    undelivered.delivered = True  # handed over: the buyer now lawfully possesses it (Interpretation Art. 1)
    undelivered.save(update_fields=["delivered"])
    ballot = _phone(vote, buyer, cast["clerk"])
    assert ballot.area_cents == 100_00 and ballot.entry.key.startswith("t")
    split = RollSplit.objects.get(vote=vote)
    assert split.source.is_developer and split.new_owner
    _verify(vote)
