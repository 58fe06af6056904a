"""What ``verify_vote`` proves: the frozen roll, candidate decisions, voids and the chain's end, each
altered in the database behind the platform's back (triggers out of the way) and detected."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.appendonly import AppendOnlyError
from elections import selectors, services
from elections.models import Ballot, BallotVoid, ChainLink, Channel, RollEntry, VoteResult
from elections.tests.factories import open_election, open_resolution, register
from elections.tests.tamper import behind_the_platforms_back
from elections.verify import verify_csv

pytestmark = pytest.mark.django_db


def _phone(vote, owner, choice, clerk, **extra):
    kwargs = {"approve": choice} if vote.is_election else {"choice": choice}
    return services.ballot_cast(
        vote=vote,
        channel=Channel.PHONE,
        reference=extra.pop("reference", f"T{owner.pk}"),
        owner_id=owner.pk,
        actor=clerk,
        **kwargs,
        **extra,
    )


def _close(vote, actor, capture):
    with capture(execute=True):
        services.vote_close(vote=vote, actor=actor, now=vote.closes_at)
    vote.refresh_from_db()


def _verify(vote) -> tuple[int, str]:
    err = io.StringIO()
    try:
        call_command("verify_vote", str(vote.pk), stdout=io.StringIO(), stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, err.getvalue()


@pytest.fixture
def counted(world, cast, django_capture_on_commit_callbacks):
    """A resolution of ten owners of 100 m², seven for and three against, one entry voided and re-entered, counted."""
    owners = register(world["building_a1"], [100] * 10)
    vote = open_resolution(world["estate_a"])
    for i, (_unit, owner) in enumerate(owners):
        ballot = _phone(vote, owner, "for" if i < 7 else "against", cast["clerk"])
        if i == 0:
            services.ballot_void(ballot=ballot, reason="录入错误", actor=cast["secretary_a"])
            _phone(vote, owner, "for", cast["clerk"], reference="T-again")
    _close(vote, cast["secretary_a"], django_capture_on_commit_callbacks)
    assert vote.latest_result.data["passed"] is True
    return vote


def test_the_chain_starts_with_the_frozen_roll_then_the_candidates_decisions(world, cast):
    owners = register(world["building_a1"], [100] * 6)
    vote = open_election(world["estate_a"], [o for _u, o in owners[:6]], seats=5)
    kinds = list(ChainLink.objects.filter(vote=vote).order_by("seq").values_list("seq", "kind"))
    assert kinds == [(1, "roll")] + [(n, "candidate") for n in range(2, 8)]
    ballot = _phone(vote, owners[0][1], [], cast["clerk"])
    assert ballot.seq == 8 and ballot.prev_hash == ChainLink.objects.get(vote=vote, seq=7).hash


def test_verify_vote_passes_on_a_vote_with_a_void_and_a_reentry(counted):
    assert _verify(counted) == (0, "")


def test_raising_three_roll_entries_area_before_the_tally_is_detected(world, cast, django_capture_on_commit_callbacks):
    owners = register(world["building_a1"], [100] * 10)
    vote = open_resolution(world["estate_a"])
    for i, (_unit, owner) in enumerate(owners[:7]):
        _phone(vote, owner, "for" if i < 3 else "against", cast["clerk"])
    raised = list(RollEntry.objects.filter(vote=vote).order_by("pk").values_list("pk", flat=True)[:3])
    with behind_the_platforms_back("elections_rollentry"), connection.cursor() as cursor:
        cursor.execute("UPDATE elections_rollentry SET area = 1000 WHERE id IN (%s, %s, %s)", raised)
    _close(vote, cast["secretary_a"], django_capture_on_commit_callbacks)
    code, err = _verify(vote)
    assert code == 1
    assert "link seq 1: the frozen roll differs from the one hashed when voting opened" in err


def test_a_void_inserted_in_the_database_to_remove_an_against_ballot_is_detected(counted):
    against = Ballot.objects.filter(vote=counted, choice="against").order_by("seq").first()
    with behind_the_platforms_back("elections_ballot", "elections_ballotvoid"):
        BallotVoid.objects.create(ballot=against, reason="录入错误", actor=None, at=timezone.now())
        with connection.cursor() as cursor:
            cursor.execute("UPDATE elections_ballot SET voided = %s WHERE id = %s", [True, against.pk])
    code, err = _verify(counted)
    assert code == 1
    assert f"ballot seq {against.seq}: voided without a void link in the chain" in err


def test_a_candidate_found_eligible_in_the_database_after_voting_opened_is_detected(world, cast):
    owners = register(world["building_a1"], [100] * 6)
    vote = open_election(world["estate_a"], [o for _u, o in owners[:5]], seats=5)
    candidate = vote.candidates.order_by("pk").first()
    with connection.cursor() as cursor:  # candidates are not append-only: reviews update them
        cursor.execute("UPDATE elections_candidate SET eligible = %s WHERE id = %s", [False, candidate.pk])
    code, err = _verify(vote)
    assert code == 1
    assert f"candidate {candidate.pk}: the database differs from the decision chained when voting opened" in err


def test_removing_the_last_ballot_with_the_triggers_out_of_the_way_is_detected(counted):
    last = Ballot.objects.filter(vote=counted).order_by("-seq").first()
    with behind_the_platforms_back("elections_ballot"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM elections_ballotapproval WHERE ballot_id = %s", [last.pk])
        cursor.execute("DELETE FROM elections_ballot WHERE id = %s", [last.pk])
    code, err = _verify(counted)
    assert code == 1
    assert f"the chain ends at seq {last.seq - 1} but the bulletin published its head at seq {last.seq}" in err


def test_a_result_altered_in_the_database_is_detected(counted):
    result = VoteResult.objects.get(vote=counted)
    data = {**result.data, "passed": False}
    with behind_the_platforms_back("elections_voteresult"), connection.cursor() as cursor:
        cursor.execute("UPDATE elections_voteresult SET data = %s WHERE id = %s", [_json(data), result.pk])
    code, err = _verify(counted)
    assert code == 1 and "result round 1: its hash does not match its data" in err


def _json(data):
    import json

    return json.dumps(data)


# The database refuses what the services never do --------------------------------------------


def test_the_database_refuses_to_change_a_ballots_choice(counted):
    ballot = Ballot.objects.filter(vote=counted).first()
    with pytest.raises(AppendOnlyError):
        Ballot.objects.filter(pk=ballot.pk).update(choice="against")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE elections_ballot SET choice = 'against' WHERE id = %s", [ballot.pk])
    assert Ballot.objects.get(pk=ballot.pk).choice == ballot.choice


def test_the_database_refuses_to_delete_a_ballot_a_roll_entry_a_void_or_a_result(counted, monkeypatch):
    import core.appendonly

    # As in production: on SQLite only the test runner's own flush may delete.
    monkeypatch.setattr(core.appendonly, "ALLOW_FLUSH", False)
    for table in ("elections_ballot", "elections_rollentry", "elections_ballotvoid", "elections_voteresult"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")
    assert Ballot.objects.filter(vote=counted).count() == 11
    assert BallotVoid.objects.count() == 1 and VoteResult.objects.count() == 1


def test_the_database_refuses_to_void_a_ballot_without_its_void_record(counted):
    ballot = Ballot.objects.filter(vote=counted, voided=False).first()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE elections_ballot SET voided = %s WHERE id = %s", [True, ballot.pk])
    assert Ballot.objects.get(pk=ballot.pk).voided is False


@pytest.mark.postgres
def test_the_database_refuses_to_truncate_ballots_or_results(counted):
    for table in ("elections_ballot", "elections_voteresult", "elections_chainlink", "elections_publishedhead"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # fire the inserts' deferred checks first
            cursor.execute("SET LOCAL gongzhi.allow_truncate = 'off'")
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert Ballot.objects.filter(vote=counted).count() == 11


# The export ---------------------------------------------------------------------------------


def test_a_formula_typed_into_a_ballot_comes_out_of_the_export_as_text_and_still_verifies(world, cast):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"])
    formula = '=HYPERLINK("http://evil.example/","点击")'
    _phone(vote, owners[0][1], "for", cast["clerk"], reference=formula)
    text = selectors.export_csv(vote)
    assert f"'{formula}".replace('"', '""') in text
    assert not any(line.split(",")[0].startswith("=") for line in text.splitlines())
    assert verify_csv(text).problems == []
    assert Ballot.objects.get(vote=vote).reference == formula  # stored as typed


def test_an_export_with_a_ballot_dropped_from_the_file_is_refused(counted):
    lines = selectors.export_csv(counted).splitlines(keepends=True)
    last_ballot = max(i for i, line in enumerate(lines) if line.startswith("ballot,"))
    found = verify_csv("".join(lines[:last_ballot] + lines[last_ballot + 1 :]))
    assert any("links are missing" in p for p in found.problems)


def test_a_vote_still_in_voting_verifies_against_its_published_heads(world, cast):
    owners = register(world["building_a1"], [100] * 3)
    vote = open_resolution(world["estate_a"], closes_at=timezone.now() + datetime.timedelta(days=2))
    _phone(vote, owners[0][1], "for", cast["clerk"])
    assert _verify(vote) == (0, "")
