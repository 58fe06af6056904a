"""A committee that breaks docs/domain.md §5.4 is never filed (issue 9 item 10): a tie for the last seat is
settled by a run-off or the rules of procedure; empty seats are filled by a by-election."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import ApplicationError
from elections import services
from elections.models import Channel, FollowUp, TieSettlement, Vote, VoteStatus
from elections.services import TransitionRefused
from elections.signals import vote_filed
from elections.tests.factories import NOTICE_AGO, open_election, register
from governance.scoping import SYSTEM

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _run_on_commit(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def _count(vote, ballots, clerk):
    """Cast ``ballots`` (candidate indexes each voter approves) by phone, close at the announced time, tally."""
    ids = list(vote.candidates.order_by("pk").values_list("pk", flat=True))
    owners = list(vote.roll.order_by("pk").values_list("owners__owner_id", flat=True))
    for i, marks in enumerate(ballots):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference=f"T{vote.pk}-{i}",
            owner_id=owners[i],
            approve=[ids[m] for m in marks],
            actor=clerk,
        )
    with _capture(execute=True):
        services.vote_close(vote=vote, actor=SYSTEM, now=vote.closes_at)
    vote.refresh_from_db()
    services.vote_transition(vote=vote, to=VoteStatus.PRELIMINARY, actor=SYSTEM, now=vote.closes_at + DAY)
    return vote.current_result.data


def _after_objections(vote):
    return datetime.datetime.combine(vote.objection_ends + DAY, datetime.time(10), tzinfo=datetime.UTC)


@pytest.fixture
def owners(world):
    return [o for _u, o in register(world["building_a1"], [100] * 12)]


def test_an_election_that_filled_one_of_five_seats_is_never_made_final(world, cast, owners):
    vote = open_election(world["estate_a"], owners[:5], seats=5)
    # Candidate 0 gets 7 of 12 approvals; the others 1 each: only one passes.
    data = _count(vote, [[0]] * 6 + [[0, 1, 2, 3, 4]] + [[]] * 5, cast["clerk"])
    assert len(data["elected"]) == 1 and data["vacancies"] == 4
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.FINAL, actor=cast["secretary_a"], now=_after_objections(vote))
    assert refused.value.status == 409 and refused.value.code == "committee_size"
    assert "5 至 11" in refused.value.message and "1 名" in refused.value.message
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PRELIMINARY


def test_a_tie_for_the_last_seat_blocks_the_final_result_until_it_is_settled(world, cast, owners):
    vote = _tied_election(world, cast, owners)
    data = vote.current_result.data
    ids = list(vote.candidates.order_by("pk").values_list("pk", flat=True))
    assert data["elected"] == ids[:4] and sorted(data["ties"]) == ids[4:6] and data["tied_seats"] == 1
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=vote, to=VoteStatus.FINAL, actor=cast["secretary_a"], now=_after_objections(vote))
    assert refused.value.status == 409 and refused.value.code == "tie_unresolved"
    vote.refresh_from_db()
    assert vote.status == VoteStatus.PRELIMINARY


def _tied_election(world, cast, owners):
    """Five seats, six candidates: 0–2 approved by all twelve, 3 by ten, 4 and 5 by seven each (tied)."""
    vote = open_election(world["estate_a"], owners[:6], seats=5, title="同票选举")
    ballots = [[0, 1, 2, 3, 4]] * 5 + [[0, 1, 2, 4, 5]] * 2 + [[0, 1, 2, 3, 5]] * 5
    _count(vote, ballots, cast["clerk"])
    return vote


def test_a_runoff_among_the_tied_candidates_settles_the_tie_and_the_committee_is_filed_with_its_winner(
    world, cast, owners
):
    first = _tied_election(world, cast, owners)
    tied = first.current_result.data["ties"]
    now = timezone.now()
    runoff = services.election_runoff_create(
        vote=first, opens_at=now - datetime.timedelta(hours=1), closes_at=now + 2 * DAY, actor=cast["secretary_a"]
    )
    assert runoff.follows == first and runoff.follow_up == FollowUp.RUNOFF and runoff.seats == 1
    assert sorted(runoff.candidates.values_list("owner_id", flat=True)) == sorted(
        first.candidates.filter(pk__in=tied).values_list("owner_id", flat=True)
    )
    services.vote_transition(vote=runoff, to=VoteStatus.NOTICE, actor=SYSTEM, now=now - NOTICE_AGO)
    services.vote_transition(vote=runoff, to=VoteStatus.VOTING, actor=SYSTEM)
    runoff_data = _count(runoff, [[0]] * 8 + [[1]] * 4, cast["clerk"])
    assert len(runoff_data["elected"]) == 1
    # The first election waits for the run-off's final result.
    with pytest.raises(TransitionRefused):
        services.vote_transition(vote=first, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(first))
    services.vote_transition(vote=runoff, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(runoff))
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(
            vote=runoff, to=VoteStatus.FILED, actor=SYSTEM, filing_reference="x", filed_on=timezone.localdate()
        )
    assert refused.value.code == "follow_up_not_filed"
    services.vote_transition(vote=first, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(runoff))
    received = []
    vote_filed.connect(
        lambda sender, vote, elected, actor, **kw: received.append(elected), weak=False, dispatch_uid="t"
    )
    try:
        with _capture(execute=True):
            services.vote_transition(
                vote=first,
                to=VoteStatus.FILED,
                actor=cast["street_staff"],
                filing_reference="观街备〔2026〕1号",
                filed_on=timezone.localdate(),
            )
    finally:
        vote_filed.disconnect(dispatch_uid="t")
    winner_owner = runoff.candidates.get(pk=runoff.current_result.data["elected"][0]).owner_id
    assert len(received[0]) == 5 and received[0][-1] == winner_owner


def test_the_method_of_the_rules_of_procedure_settles_a_tie_with_its_document(world, cast, owners):
    first = _tied_election(world, cast, owners)
    tied = first.current_result.data["ties"]
    document = SimpleUploadedFile("议事规则.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ApplicationError):
        services.election_tie_settle(
            vote=first, winners=tied, rule_text="抽签", document=document, actor=cast["secretary_a"]
        )
    assert not TieSettlement.objects.exists()
    document.seek(0)
    settlement = services.election_tie_settle(
        vote=first,
        winners=[tied[0]],
        rule_text="议事规则第十二条：同票时由业主大会现场抽签确定",
        document=document,
        actor=cast["secretary_a"],
    )
    assert settlement.document_type == "pdf" and settlement.winners == [tied[0]]
    services.vote_transition(vote=first, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(first))
    assert first.status == VoteStatus.FINAL
    assert len(services.committee_members(first)) == 5


def test_a_by_election_fills_the_seats_left_empty_before_the_committee_is_filed(world, cast, owners):
    first = open_election(world["estate_a"], owners[:5], seats=5, title="首次选举")
    # Four pass with 7 of 12; the fifth gets no approval: four members, an even number.
    data = _count(first, [[0, 1, 2, 3]] * 7 + [[]] * 5, cast["clerk"])
    assert len(data["elected"]) == 4 and data["vacancies"] == 1
    with pytest.raises(TransitionRefused) as refused:
        services.vote_transition(vote=first, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(first))
    assert refused.value.code == "committee_size"
    now = timezone.now()
    by_election = services.election_by_election_create(
        vote=first,
        seats=1,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + 2 * DAY,
        actor=cast["secretary_a"],
    )
    assert by_election.status == VoteStatus.NOMINATION and by_election.follows == first
    candidate = services.candidate_nominate(vote=by_election, owner=owners[6], nominated_by="owners", actor=SYSTEM)
    services.candidate_review(candidate=candidate, eligible=True, reason="", actor=SYSTEM)
    services.vote_transition(vote=by_election, to=VoteStatus.REVIEW, actor=SYSTEM)
    services.vote_transition(vote=by_election, to=VoteStatus.NOTICE, actor=SYSTEM, now=now - NOTICE_AGO)
    services.vote_transition(vote=by_election, to=VoteStatus.VOTING, actor=SYSTEM)
    _count(by_election, [[0]] * 9, cast["clerk"])
    services.vote_transition(vote=by_election, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(by_election))
    services.vote_transition(vote=first, to=VoteStatus.FINAL, actor=SYSTEM, now=_after_objections(by_election))
    assert services.committee_members(first)[-1] == owners[6].pk and len(services.committee_members(first)) == 5


def test_a_by_election_cannot_elect_more_than_the_empty_seats(world, cast, owners):
    first = open_election(world["estate_a"], owners[:5], seats=5, title="首次选举")
    _count(first, [[0, 1, 2, 3]] * 7 + [[]] * 5, cast["clerk"])
    now = timezone.now()
    with pytest.raises(ApplicationError) as refused:
        services.election_by_election_create(
            vote=first, seats=2, opens_at=now, closes_at=now + DAY, actor=cast["secretary_a"]
        )
    assert refused.value.code == "seats_invalid"
    assert not Vote.objects.filter(follows=first).exists()
