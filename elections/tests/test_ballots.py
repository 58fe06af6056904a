"""Casting ballots: every channel, one counted owner one ballot, and every refusal logged."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError, NotPermitted
from elections import services
from elections.models import Ballot, ChainLink, Channel, RefusedBallot, VoteStatus
from elections.services import BallotRefused
from elections.tests.factories import OwnerFactory, codes_by_unit, open_election, open_resolution, own, register
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db


def test_online_ballot_by_the_owner_is_accepted_with_a_receipt(estate, ten_owners, cast):
    vote = open_resolution(estate)
    unit, owner = ten_owners[0]
    owner.person.user = cast["resident"]
    cast["resident"].person = owner.person
    cast["resident"].save()
    ballot = services.ballot_cast(vote=vote, channel=Channel.ONLINE, choice="for", actor=cast["resident"])
    assert len(ballot.receipt) == 12
    assert ballot.entry.key == f"u{unit.pk}"


def test_second_ballot_for_same_owner_through_another_channel_is_refused_and_logged(estate, ten_owners, cast):
    vote = open_resolution(estate)
    unit, owner = ten_owners[0]
    services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="T-1", owner_id=owner.pk, choice="for", actor=cast["clerk"]
    )
    services.paper_serials_issue(vote=vote, serials=["P-1"], actor=cast["secretary_a"])
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.CENTRAL,
            paper_serial="P-1",
            unit_id=unit.pk,
            choice="against",
            actor=cast["clerk"],
        )
    assert refused.value.status == 409 and refused.value.code == "duplicate"
    assert RefusedBallot.objects.get(vote=vote).reason == "duplicate"
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_ballot_after_closing_time_is_refused(estate, ten_owners, cast):
    vote = open_resolution(estate)
    later = vote.closes_at + datetime.timedelta(seconds=1)
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["clerk"],
            now=later,
        )
    assert refused.value.code == "outside_window"
    assert RefusedBallot.objects.filter(vote=vote, reason="outside_window").exists()


def test_ballot_before_voting_opens_is_refused(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["clerk"],
            now=vote.opens_at - datetime.timedelta(seconds=1),
        )
    assert refused.value.code == "outside_window"


def test_election_ballot_approving_more_than_seats_is_invalid_but_takes_part(estate, ten_owners, cast):
    vote = open_election(estate, [o for _u, o in ten_owners[:6]], seats=5)
    ids = list(vote.candidates.values_list("pk", flat=True))
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="T", owner_id=ten_owners[0][1].pk, approve=ids, actor=cast["clerk"]
    )
    assert ballot.valid is False
    assert not ballot.approvals.exists()


def test_paper_ballot_needs_an_issued_serial(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.MOBILE_BOX,
            paper_serial="X-9",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["clerk"],
        )
    assert refused.value.code == "serial_unknown"


def test_paper_ballot_without_serial_is_refused(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(ApplicationError) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.CENTRAL, owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
        )
    assert refused.value.code == "serial_required"
    assert RefusedBallot.objects.filter(reason="serial_required").exists()


def test_phone_ballot_without_reference_is_refused(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(ApplicationError) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.WECHAT, owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
        )
    assert refused.value.code == "reference_required"


def test_same_paper_serial_cannot_be_entered_twice(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.paper_serials_issue(vote=vote, serials=["P-1"], actor=cast["secretary_a"])
    services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="P-1",
        owner_id=ten_owners[0][1].pk,
        choice="for",
        actor=cast["clerk"],
    )
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.CENTRAL,
            paper_serial="P-1",
            owner_id=ten_owners[1][1].pk,
            choice="for",
            actor=cast["clerk"],
        )
    assert refused.value.code == "serial_used"


def test_voided_entry_stays_and_the_owner_can_be_entered_again(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.paper_serials_issue(vote=vote, serials=["P-1"], actor=cast["secretary_a"])
    wrong = services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="P-1",
        owner_id=ten_owners[0][1].pk,
        choice="against",
        actor=cast["clerk"],
    )
    services.ballot_void(ballot=wrong, reason="录入错误：应为同意", actor=cast["secretary_a"])
    again = services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="P-1",
        owner_id=ten_owners[0][1].pk,
        choice="for",
        actor=cast["clerk"],
    )
    assert Ballot.objects.filter(vote=vote).count() == 2
    assert Ballot.objects.get(pk=wrong.pk).voided is True
    void_link = ChainLink.objects.get(vote=vote, kind="void")
    assert (void_link.prev_hash, void_link.body["ballot"]) == (wrong.hash, wrong.seq)
    assert again.prev_hash == void_link.hash


def test_clerk_may_not_void_a_ballot(estate, ten_owners, cast):
    vote = open_resolution(estate)
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="T", owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
    )
    with pytest.raises(NotPermitted):
        services.ballot_void(ballot=ballot, reason="x", actor=cast["clerk"])


def test_resident_may_not_cast_someone_elses_ballot_without_a_mandate(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(NotPermitted):
        services.ballot_cast(
            vote=vote, channel=Channel.ONLINE, owner_id=ten_owners[3][1].pk, choice="for", actor=cast["resident"]
        )


def test_clerk_may_not_cast_an_online_ballot_and_resident_may_not_enter_paper(estate, ten_owners, cast):
    vote = open_resolution(estate)
    with pytest.raises(NotPermitted):
        services.ballot_cast(
            vote=vote, channel=Channel.ONLINE, owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
        )
    with pytest.raises(NotPermitted):
        services.ballot_cast(
            vote=vote,
            channel=Channel.CENTRAL,
            paper_serial="1",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["resident"],
        )


def test_new_owner_of_a_unit_may_vote_if_no_ballot_was_cast_for_it(estate, ten_owners, cast):
    vote = open_resolution(estate)
    unit, seller = ten_owners[0]
    today = timezone.localdate()
    seller.ownerships.update(end=today)
    buyer = OwnerFactory(place=estate)
    own(unit, buyer, start=today)
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="T", owner_id=buyer.pk, choice="for", actor=cast["clerk"]
    )
    assert ballot.entry.key.startswith("t") and ballot.area_cents == 100_00


def test_new_owner_may_not_vote_when_the_previous_owner_already_did(estate, ten_owners, cast):
    vote = open_resolution(estate)
    unit, seller = ten_owners[0]
    services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="T", owner_id=seller.pk, choice="for", actor=cast["clerk"]
    )
    today = timezone.localdate()
    seller.ownerships.update(end=today)
    buyer = OwnerFactory(place=estate)
    own(unit, buyer, start=today)
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference="T2", owner_id=buyer.pk, choice="against", actor=cast["clerk"]
        )
    assert refused.value.code == "previous_owner_voted"
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_owner_not_on_the_frozen_roll_is_refused(estate, ten_owners, world, cast):
    vote = open_resolution(estate)
    ((_unit, late_owner),) = register(world["building_a2"], [80])  # registered after voting opened
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote, channel=Channel.PHONE, reference="T", owner_id=late_owner.pk, choice="for", actor=cast["clerk"]
        )
    assert refused.value.code == "not_on_roll"


def test_voting_code_lets_a_resident_vote_without_an_account(estate, ten_owners, cast):
    vote = open_resolution(estate)
    codes = codes_by_unit(vote, dict(services.voting_codes_issue(vote=vote, actor=cast["secretary_a"])))
    unit = ten_owners[2][0]
    ballot = services.ballot_cast(
        vote=vote, channel=Channel.ONLINE, voting_code=codes[unit.pk], choice="abstain", actor=SYSTEM
    )
    assert ballot.entry.key == f"u{unit.pk}"


def test_ballots_are_chained_by_hash(estate, ten_owners, cast):
    vote = open_resolution(estate)
    first, second = (
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference=f"T{i}",
            owner_id=ten_owners[i][1].pk,
            choice="for",
            actor=cast["clerk"],
        )
        for i in range(2)
    )
    assert second.prev_hash == first.hash and first.hash != second.hash


def test_ballot_for_a_cancelled_vote_is_refused(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.vote_transition(vote=vote, to=VoteStatus.CANCELLED, reason="测试", actor=cast["secretary_a"])
    with pytest.raises(BallotRefused):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference="T",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["clerk"],
        )
