"""The chain's tip kept on the vote's row, and a ballot appended in one statement with the lock (issue 13).

The lock's read returns the tip; an online ballot's statement takes the lock, computes the link's
hash from that tip and writes the ballot, its published head, its audit row and the new tip, so
nothing else runs under the lock; the tip must therefore always be the chain's last link, whatever
else writes the vote's row.
"""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from elections import services
from elections.chain import area_text, ballot_body, link_hash, text, timestamp
from elections.models import Ballot, Channel, PublishedHead, Vote
from elections.services.links import chain_end
from elections.tests.factories import open_resolution
from elections.tests.test_intake_races import _while_it_waits_for_the_lock
from governance.models import AuditEvent
from governance.scoping import SYSTEM
from oversight.integrity import vote_problems


def _phone(vote, owner, clerk, reference, choice="for"):
    return services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference=reference, owner_id=owner.pk, choice=choice, actor=clerk
    )


def _tip(vote) -> tuple[int, str]:
    return tuple(Vote.objects.filter(pk=vote.pk).values_list("chain_seq", "chain_head").get())


def test_the_votes_row_holds_the_chains_last_link_after_the_roll_and_each_ballot(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    assert _tip(vote) == chain_end(vote) != (0, "0" * 64)
    ballot = _phone(vote, ten_owners[0][1], cast["clerk"], "A")
    assert _tip(vote) == (ballot.seq, ballot.hash) == chain_end(vote)


def test_a_stale_copy_of_the_vote_saved_whole_leaves_the_tip_where_the_ballots_moved_it(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    stale = Vote.objects.get(pk=vote.pk)
    ballot = _phone(vote, ten_owners[0][1], cast["clerk"], "A")
    stale.title = "改过的标题"
    stale.save()
    assert _tip(vote) == (ballot.seq, ballot.hash)
    assert Vote.objects.get(pk=vote.pk).title == "改过的标题"
    # The next ballot chains after the first, as it would have without the stale save.
    second = _phone(vote, ten_owners[1][1], cast["clerk"], "B")
    assert (second.seq, second.prev_hash) == (ballot.seq + 1, ballot.hash)


@pytest.mark.postgres
def test_the_database_refuses_moving_the_tip_backwards(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    _phone(vote, ten_owners[0][1], cast["clerk"], "A")
    before = _tip(vote)
    with pytest.raises(DatabaseError, match="moves forward only"), transaction.atomic():
        Vote.objects.filter(pk=vote.pk).update(chain_seq=before[0] - 1)
    assert _tip(vote) == before


@pytest.mark.postgres
def test_an_online_ballot_takes_the_votes_lock_in_the_statement_that_writes_it(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    _entry, code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]
    with CaptureQueriesContext(connection) as queries:
        services.ballot_cast(vote=vote, channel=Channel.ONLINE, voting_code=code, choice="for", actor=AnonymousUser())
    sql = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    locked_at = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and '"elections_vote"' in s)
    # Nothing after the lock but that statement itself (and the commit, which the capture does not list).
    assert locked_at == len(sql) - 1, sql[locked_at:]
    assert 'INSERT INTO "elections_ballot"' in sql[locked_at]
    assert 'INSERT INTO "governance_auditevent"' in sql[locked_at]


@pytest.mark.postgres
def test_the_hash_the_statement_computes_is_the_one_the_chain_checks(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    before = _tip(vote)
    ballot = _phone(vote, ten_owners[0][1], cast["clerk"], 'A "引号" \\ =SUM(1) \u2028 😀')
    body = ballot_body(
        vote_id=vote.pk,
        seq=ballot.seq,
        key=ballot.entry.key,
        channel=ballot.channel,
        choice=ballot.choice,
        approve="",
        valid=True,
        invalid_reason="",
        area=area_text(ballot.area_cents),
        proxy="",
        proxy_id=None,
        paper_serial="",
        box="",
        reference=text(ballot.reference),
        cast_at=timestamp(ballot.cast_at),
        receipt_hash=ballot.receipt_hash,
    )
    assert (ballot.seq, ballot.prev_hash) == (before[0] + 1, before[1])
    assert ballot.hash == link_hash(body, before[1]) == Ballot.objects.get(pk=ballot.pk).hash
    assert vote_problems(Vote.objects.get(pk=vote.pk)) == []


@pytest.mark.postgres
def test_a_reference_that_looks_like_a_slot_of_the_hash_is_hashed_in_python_and_still_chains(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    with CaptureQueriesContext(connection) as queries:
        first = _phone(vote, ten_owners[0][1], cast["clerk"], "\ue000seq\ue001")
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and "INSERT" not in locks[0]  # the lock's own read, then the Python-hashed write
    second = _phone(vote, ten_owners[1][1], cast["clerk"], "B")
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert Ballot.objects.get(pk=first.pk).reference == "\ue000seq\ue001"
    assert vote_problems(Vote.objects.get(pk=vote.pk)) == []


@pytest.mark.postgres
def test_the_one_statement_writes_the_ballot_its_head_its_audit_row_and_the_tip(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    ballot = _phone(vote, ten_owners[0][1], cast["clerk"], "A")
    stored = Ballot.objects.get(pk=ballot.pk)
    assert (stored.seq, stored.hash, stored.reference) == (ballot.seq, ballot.hash, "A")
    assert PublishedHead.objects.filter(vote=vote, seq=ballot.seq, head=ballot.hash).exists()
    event = AuditEvent.objects.get(action="ballot.cast", object_id=str(ballot.pk))
    assert (event.data["seq"], event.data["hash"], event.actor_id) == (ballot.seq, ballot.hash, cast["clerk"].pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_ballot_waiting_for_the_lock_chains_after_the_ballot_appended_meanwhile(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    first: list[Ballot] = []
    outcome = _while_it_waits_for_the_lock(
        vote,
        lambda: _phone(vote, ten_owners[1][1], cast["clerk"], "waited"),
        lambda: first.append(_phone(vote, ten_owners[0][1], cast["clerk"], "meanwhile")),
    )
    assert outcome == "accepted"
    waited = Ballot.objects.get(vote=vote, reference="waited")
    assert (waited.seq, waited.prev_hash) == (first[0].seq + 1, first[0].hash)
    assert vote_problems(Vote.objects.get(pk=vote.pk)) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ballots_cast_at_once_from_several_connections_form_one_unbroken_chain(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    errors: list[Exception] = []

    def cast_one(n):
        try:
            _phone(vote, ten_owners[n][1], cast["clerk"], f"R{n}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast_one, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert Ballot.objects.filter(vote=vote).count() == 8
    assert vote_problems(Vote.objects.get(pk=vote.pk)) == []


def test_verify_names_a_tip_that_is_not_the_chains_last_link(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    _phone(vote, ten_owners[0][1], cast["clerk"], "A")
    # As a restore from a copy taken between the ballot's rows and the vote's row would leave it.
    Vote.objects.filter(pk=vote.pk).update(chain_seq=99, chain_head="f" * 64)
    problems = vote_problems(Vote.objects.get(pk=vote.pk))
    assert any("records its chain's tip at seq 99" in p for p in problems)


@pytest.mark.postgres
def test_a_ballot_by_voting_code_takes_four_round_trips_in_all(world, cast, ten_owners):
    """The vote, the code found and marked used in one statement, the entry's units with its split,
    transfers and ballot read at once, and the one statement that locks the vote and writes (five before:
    the code was found, then marked used)."""
    vote = open_resolution(world["estate_a"])
    _entry, code = services.voting_codes_issue(vote=vote, actor=SYSTEM)[0]
    with CaptureQueriesContext(connection) as queries:
        services.ballot_cast(vote=vote, channel=Channel.ONLINE, voting_code=code, choice="for", actor=AnonymousUser())
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 4, statements


def test_a_copy_of_the_vote_read_before_voting_opened_still_casts(world, cast, ten_owners):
    from django.utils import timezone

    from elections.models import VoteStatus
    from elections.tests.factories import NOTICE_AGO, make_vote

    vote = make_vote(world["estate_a"])
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=timezone.now() - NOTICE_AGO)
    stale = Vote.objects.get(pk=vote.pk)  # in notice, its roll not frozen
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)
    ballot = _phone(stale, ten_owners[0][1], cast["clerk"], "A")
    assert Ballot.objects.filter(pk=ballot.pk, vote=vote).exists()


@pytest.mark.postgres
def test_the_settled_read_in_sql_equals_the_orms_for_split_sold_voted_and_plain_entries(world, cast, ten_owners):
    import datetime

    from django.utils import timezone

    from elections.models import RollEntry
    from elections.services.ballots import _settled_rows, _settled_rows_orm
    from elections.tests.factories import OwnerFactory
    from residents.models import Ownership

    vote = open_resolution(world["estate_a"])
    _phone(vote, ten_owners[0][1], cast["clerk"], "voted")
    today = timezone.localdate()
    sold_unit, seller = ten_owners[1]
    Ownership.objects.filter(unit=sold_unit, owner=seller, end__isnull=True).update(end=today)
    Ownership.objects.create(unit=sold_unit, owner=OwnerFactory(place=world["estate_a"]), start=today)
    services.ballot_cast(  # the buyer's ballot records a split off the seller's entry
        vote=vote, channel=Channel.PHONE, reference="buyer", unit_id=sold_unit.pk, choice="for", actor=cast["clerk"]
    )
    frozen_day = timezone.localdate(Vote.objects.get(pk=vote.pk).roll_frozen_at)
    entries = list(RollEntry.objects.filter(vote=vote).order_by("pk"))
    seen = set()
    for entry in entries:
        for day in (frozen_day, frozen_day + datetime.timedelta(days=1)):
            sql, orm = sorted(_settled_rows(vote, entry, day)), sorted(_settled_rows_orm(vote, entry, day))
            assert sql == orm, entry
            seen |= {tuple(bool(flag) for flag in row[2:]) for row in sql}
    # The comparison met a split, a transfer, a live ballot and a plain entry.
    assert {(False, False, False), (True, True, False), (False, False, True)} <= seen
