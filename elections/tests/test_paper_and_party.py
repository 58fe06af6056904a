"""Paper serials reconcile; party membership of candidates comes from the register."""

import pytest

from core.errors import Conflict
from elections import selectors, services
from elections.models import Channel, VoteKind, VoteStatus
from elections.services import BallotRefused
from elections.tests.factories import VALID_GROUP, make_vote, open_resolution

pytestmark = pytest.mark.django_db


def test_paper_serials_reconcile_issued_returned_void(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.paper_serials_issue(vote=vote, serials=["S1", "S2", "S3", "S4"], actor=cast["secretary_a"])
    services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="S1",
        owner_id=ten_owners[0][1].pk,
        choice="for",
        actor=cast["clerk"],
    )
    services.paper_serial_void(vote=vote, serial="S2", reason="选票污损", actor=cast["secretary_a"])
    figures = selectors.paper_reconciliation(vote)
    assert (figures["issued"], figures["returned"], figures["void"]) == (4, 1, 1)
    assert figures["outstanding"] == ["S3", "S4"]


def test_void_paper_serial_cannot_be_entered(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.paper_serials_issue(vote=vote, serials=["S1"], actor=cast["secretary_a"])
    services.paper_serial_void(vote=vote, serial="S1", reason="选票污损", actor=cast["secretary_a"])
    with pytest.raises(BallotRefused) as refused:
        services.ballot_cast(
            vote=vote,
            channel=Channel.MOBILE_BOX,
            paper_serial="S1",
            owner_id=ten_owners[0][1].pk,
            choice="for",
            actor=cast["clerk"],
        )
    assert refused.value.code == "serial_void"


def test_serial_of_an_entered_ballot_cannot_be_voided(estate, ten_owners, cast):
    vote = open_resolution(estate)
    services.paper_serials_issue(vote=vote, serials=["S1"], actor=cast["secretary_a"])
    services.ballot_cast(
        vote=vote,
        channel=Channel.CENTRAL,
        paper_serial="S1",
        owner_id=ten_owners[0][1].pk,
        choice="for",
        actor=cast["clerk"],
    )
    with pytest.raises(Conflict):
        services.paper_serial_void(vote=vote, serial="S1", reason="x", actor=cast["secretary_a"])


def test_candidate_who_is_a_registered_party_member_is_reported_as_one(estate, ten_owners, cast):
    from governance.models import OrgKind
    from governance.tests.factories import org
    from residents.models import PartyMember

    branch = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", estate.parent)
    owner = ten_owners[0][1]
    PartyMember.objects.create(person=owner.person, organization=branch)
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    c = services.candidate_nominate(vote=vote, owner=owner, nominated_by="party", actor=cast["secretary_a"])
    other = services.candidate_nominate(
        vote=vote, owner=ten_owners[1][1], nominated_by="owners", actor=cast["secretary_a"]
    )
    assert c.is_party_member is True and other.is_party_member is False


def test_candidate_list_takes_a_fixed_number_of_queries(estate, ten_owners, cast, api, django_assert_max_num_queries):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    for _u, owner in ten_owners:
        services.candidate_nominate(vote=vote, owner=owner, nominated_by="owners", actor=cast["secretary_a"])
    client = api.as_user(cast["resident"])
    with django_assert_max_num_queries(5):
        r = client.get(f"/api/v1/votes/{vote.pk}/candidates/")
    assert len(r.data) == 10 and r.data[0]["name"]
