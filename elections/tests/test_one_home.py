"""Each rule the voting engine shares is read from its one home (issue 8)."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from elections import services
from elections.committee_size import committee_size_refusal
from elections.models import Vote, VoteKind, VoteStatus
from elections.tests.factories import VALID_GROUP, make_vote
from governance.audit import event_label
from governance.models import AuditEvent, DistrictRule

pytestmark = pytest.mark.django_db


def test_with_the_district_allowing_three_seats_a_small_estate_may_elect_three(world, estate, cast, ten_owners):
    DistrictRule.objects.create(district=world["district"], key="COMMITTEE_SMALL_ESTATE_THREE", value=True)
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=3, actor=cast["secretary_a"])
    assert vote.seats == 3
    assert committee_size_refusal(3, estate) is None


def test_without_the_small_estate_rule_an_election_of_three_is_refused_with_the_committee_rule(
    estate, cast, ten_owners
):
    with pytest.raises(ApplicationError) as refused:
        make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=3, actor=cast["secretary_a"])
    assert refused.value.code == "seats_invalid"
    assert refused.value.message == committee_size_refusal(3, estate)
    assert not Vote.objects.exists()


def test_a_districts_own_notice_and_objection_periods_apply_to_its_votes(world, estate, cast):
    DistrictRule.objects.create(district=world["district"], key="VOTE_NOTICE_DAYS", value=20)
    DistrictRule.objects.create(district=world["district"], key="VOTE_OBJECTION_DAYS", value=10)
    vote = make_vote(estate, actor=cast["secretary_a"])
    assert (vote.notice_days, vote.objection_days) == (20, 10)


def test_a_nominee_who_says_they_are_a_party_member_counts_as_one_only_when_the_register_says_so(
    estate, cast, ten_owners
):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5, actor=cast["secretary_a"])
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    said = services.candidate_nominate(
        vote=vote,
        owner=ten_owners[0][1],
        nominated_by="owners",
        reported_party_member=True,
        actor=cast["secretary_a"],
    )
    assert said.reported_party_member is True and said.is_party_member is False


def test_party_membership_is_read_from_the_register_again_when_voting_opens(estate, cast, ten_owners):
    from governance.models import OrgKind
    from governance.tests.factories import org
    from residents.models import PartyMember

    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    c = services.candidate_nominate(vote=vote, owner=ten_owners[0][1], nominated_by="party", actor=cast["secretary_a"])
    assert c.is_party_member is False
    branch = org(OrgKind.COMMUNITY_COMMITTEE, "南桥苑社区党委", estate.parent)
    PartyMember.objects.create(person=ten_owners[0][1].person, organization=branch)
    services.candidate_review(candidate=c, eligible=True, reason="", actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.REVIEW, actor=cast["secretary_a"])
    services.vote_transition(
        vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"], now=timezone.now() - datetime.timedelta(days=16)
    )
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    c.refresh_from_db()
    assert c.is_party_member is True


def test_a_review_records_the_old_and_new_values_of_what_it_changed(estate, cast, ten_owners):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5, actor=cast["secretary_a"])
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    c = services.candidate_nominate(vote=vote, owner=ten_owners[0][1], nominated_by="party", actor=cast["secretary_a"])
    services.candidate_review(candidate=c, eligible=False, reason="欠缴物业费", actor=cast["secretary_a"])
    event = AuditEvent.objects.filter(action="candidate.review").latest("pk")
    assert event.data["changes"]["eligible"] == {"old": None, "new": False}
    assert event.data["changes"]["review_reason"] == {"old": "", "new": "欠缴物业费"}
    assert event_label("candidate.review") == "资格审查"


def test_a_transition_records_the_status_it_left_and_the_one_it_entered(estate, cast):
    vote = make_vote(estate, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
    event = AuditEvent.objects.filter(action="vote.transition").latest("pk")
    assert event.data["changes"]["status"] == {"old": "draft", "new": "notice"}


def test_extension_limit_comes_from_the_districts_rule(
    world, estate, cast, ten_owners, django_capture_on_commit_callbacks
):
    from elections.tests.factories import open_resolution

    DistrictRule.objects.create(district=world["district"], key="VOTE_EXTENSION_MAX_DAYS", value=3)
    vote = open_resolution(estate, extension_allowed=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    with pytest.raises(ApplicationError) as refused:
        services.vote_extend(
            vote=vote, closes_at=vote.closes_at + datetime.timedelta(days=4), actor=cast["secretary_a"]
        )
    assert refused.value.code == "extension_too_long"
    vote.refresh_from_db()
    assert vote.status == VoteStatus.COUNTING and not vote.extended
