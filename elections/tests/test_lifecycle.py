"""The lifecycle the code enforces: order, notice period, candidates, cancelling, filing."""

import datetime

import pytest
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from elections import services
from elections.models import VoteKind, VoteStatus, VoteStep
from elections.services import TransitionRefused
from elections.tests.factories import VALID_GROUP, make_vote, open_resolution

pytestmark = pytest.mark.django_db


def test_resolution_goes_from_draft_straight_to_notice(estate, cast):
    vote = make_vote(estate)
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"])
    assert vote.status == VoteStatus.NOTICE
    step = VoteStep.objects.get(vote=vote)
    assert (step.from_status, step.to_status, step.actor) == ("draft", "notice", cast["secretary_a"])


def test_resolution_has_no_nomination(estate, cast):
    vote = make_vote(estate)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    assert refused.value.code == "out_of_order"


def test_election_cannot_leave_draft_without_a_preparatory_group(estate, cast):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    assert refused.value.code == "preparatory_group_missing"


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda m: m[:-1], "奇数"),
        (lambda m: [x for x in m if x["body"] != "police"] + [{"name": "业主8", "body": "owners"}], "派出所"),
        (lambda m: [{**x, "leads": x["body"] == "party"} for x in m], "街道代表"),
        (
            lambda m: [x for x in m if x["body"] != "owners"][:5] + [x for x in m if x["body"] == "owners"][:2],
            "业主代表",
        ),
    ],
)
def test_preparatory_group_breaking_a_rule_is_refused(estate, cast, change, rule):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    with pytest.raises(ApplicationError) as refused:
        services.preparatory_group_record(vote=vote, members=change(VALID_GROUP), actor=cast["secretary_a"])
    assert rule in refused.value.message


def test_voting_cannot_open_before_fifteen_days_of_notice_in_the_platform(estate, cast):
    vote = make_vote(estate)
    services.vote_transition(
        vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"], now=timezone.now() - datetime.timedelta(days=14)
    )
    assert vote.notice_starts == timezone.localdate() - datetime.timedelta(days=14)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert refused.value.code == "notice_too_short"
    vote.refresh_from_db()
    assert vote.status == VoteStatus.NOTICE and vote.roll_frozen_at is None


def test_notice_posted_fifteen_days_ago_lets_voting_open(estate, cast, ten_owners):
    # Opening now, not an hour ago: an hour ago may still be yesterday in Shanghai.
    vote = make_vote(estate, opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=1))
    services.vote_transition(
        vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"], now=timezone.now() - datetime.timedelta(days=15)
    )
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert vote.status == VoteStatus.VOTING and vote.roll_total_owners == 10


def test_voting_cannot_open_before_its_opening_time(estate, cast):
    now = timezone.now()
    vote = make_vote(estate, opens_at=now + datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1))
    services.vote_transition(
        vote=vote, to=VoteStatus.NOTICE, actor=cast["secretary_a"], now=now - datetime.timedelta(days=16)
    )
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=cast["secretary_a"])
    assert refused.value.code == "not_yet_open"


def test_cancelling_needs_a_reason(estate, cast):
    vote = make_vote(estate)
    with pytest.raises(TransitionRefused):
        services.vote_transition(vote=vote, to=VoteStatus.CANCELLED, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.CANCELLED, reason="物业已续约", actor=cast["secretary_a"])
    assert vote.status == VoteStatus.CANCELLED and vote.cancel_reason == "物业已续约"


def test_cancelling_after_counting_began_is_refused(estate, cast, ten_owners, django_capture_on_commit_callbacks):
    vote = open_resolution(estate)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.CANCELLED, reason="x", actor=cast["secretary_a"])
    assert refused.value.code == "out_of_order"


def test_failed_quorum_cannot_be_posted_as_a_preliminary_result(
    estate, cast, ten_owners, django_capture_on_commit_callbacks
):
    vote = open_resolution(estate, extension_allowed=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.PRELIMINARY, actor=cast["secretary_a"])
    assert refused.value.code == "quorum_not_met"
    services.vote_transition(vote=vote, to=VoteStatus.FAILED, actor=cast["secretary_a"])
    assert vote.status == VoteStatus.FAILED


def test_candidate_must_own_a_unit_in_the_estate(estate, world, cast, ten_owners):
    from elections.tests.factories import register

    ((_u, outsider),) = register(world["building_b1"], [90])
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    with pytest.raises(ApplicationError) as refused:
        services.candidate_nominate(vote=vote, owner=outsider, nominated_by="owners", actor=cast["secretary_a"])
    assert refused.value.code == "candidate_not_owner"


def test_finding_a_candidate_ineligible_needs_a_reason(estate, cast, ten_owners):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    c = services.candidate_nominate(vote=vote, owner=ten_owners[0][1], nominated_by="party", actor=cast["secretary_a"])
    with pytest.raises(ApplicationError):
        services.candidate_review(candidate=c, eligible=False, reason="", actor=cast["secretary_a"])
    c = services.candidate_review(candidate=c, eligible=False, reason="欠缴物业费", actor=cast["secretary_a"])
    assert c.eligible is False and c.review_reason == "欠缴物业费"


def test_same_owner_cannot_be_nominated_twice(estate, cast, ten_owners):
    vote = make_vote(estate, kind=VoteKind.COMMITTEE_ELECTION, seats=5)
    services.preparatory_group_record(vote=vote, members=VALID_GROUP, actor=cast["secretary_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOMINATION, actor=cast["secretary_a"])
    services.candidate_nominate(vote=vote, owner=ten_owners[0][1], nominated_by="owners", actor=cast["secretary_a"])
    with pytest.raises(Conflict):
        services.candidate_nominate(vote=vote, owner=ten_owners[0][1], nominated_by="party", actor=cast["secretary_a"])
