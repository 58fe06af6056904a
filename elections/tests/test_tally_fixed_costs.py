"""The tally's fixed costs (issue 13): the close's read as one fixed SQL statement, and the statements a close runs.

The fixed SQL of ``settle_at_close`` is compared with its ORM form (kept for other databases) on the
changes a vote can see; its plan reads the units and owners only as subqueries, never as the input of a
join (planning a join read the ends of their keys' indexes, where a register import left dead entries);
and a tally with no split runs a fixed, short list of statements. So do the tally's claim and locked read,
and the close's lock with the estate (fixed SQL on PostgreSQL, their ORM forms elsewhere): each compared
with its ORM form, and the close's two statements counted.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elections import services
from elections.events import ElectionsEvent
from elections.models import Ballot, BallotBox, RollEntry, TallyState, Vote, VoteResult, VoteStatus
from elections.services import roll as roll_services
from elections.services import tally as tally_services
from elections.services import votes as vote_services
from elections.services.tally import vote_tally
from elections.tests.factories import OwnerFactory, open_resolution
from elections.tests.test_tally_counting import _ballot, _changes_during_the_vote, _estate_with_changes
from governance.models import AuditEvent, Place
from governance.scoping import SYSTEM
from residents.models import Ownership
from residents.selectors import DEVELOPER_KEY

pytestmark = pytest.mark.django_db


def _both_forms(vote) -> tuple[set[int], set[int]]:
    frozen_day = timezone.localdate(vote.roll_frozen_at)
    day = timezone.localdate(vote.closes_at)
    return (
        roll_services._changed_at_close(vote, frozen_day, day),
        roll_services._changed_at_close_orm(vote, frozen_day, day),
    )


@pytest.mark.parametrize("developer_votes", [False, True])
def test_the_close_reads_the_same_units_with_its_sql_as_with_the_orm(world, cast, developer_votes):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    _changes_during_the_vote(world, vote, cast, setup)
    if developer_votes:
        developer = RollEntry.objects.get(vote=vote, is_developer=True)
        _ballot(vote, developer.pk, developer.area, seq=99_999, channel="central", choice="for")
    sql, orm = _both_forms(vote)
    assert sql == orm and setup["flats"][1].pk in sql
    assert (setup["late"].pk in sql) is not developer_votes


@pytest.mark.postgres
def test_once_the_developer_has_voted_the_dated_changes_alone_are_the_units_the_close_reads(world, cast):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    # A flat sold during the vote (no ballot yet: no split), and the developer's late sale, delivered.
    flat, late = setup["flats"][1], setup["late"]
    Ownership.objects.filter(unit=flat, owner=setup["seller"], end__isnull=True).update(end=timezone.localdate())
    Ownership.objects.create(unit=flat, owner=OwnerFactory(place=world["estate_a"]), start=timezone.localdate())
    Ownership.objects.filter(unit=late, owner=setup["dev"], end__isnull=True).update(end=timezone.localdate())
    Ownership.objects.create(unit=late, owner=OwnerFactory(place=world["estate_a"]), start=timezone.localdate())
    developer = RollEntry.objects.get(vote=vote, is_developer=True)
    _ballot(vote, developer.pk, developer.area, seq=99_999, channel="central", choice="for")
    frozen_day, day = timezone.localdate(vote.roll_frozen_at), timezone.localdate(vote.closes_at)
    dated = roll_services._changed_at_close(vote, frozen_day, day, developer_settled=True)
    assert Vote.objects.get(pk=vote.pk).split_count == 0
    assert dated == roll_services._changed_at_close(vote, frozen_day, day) == {flat.pk, late.pk}


@pytest.mark.postgres
@pytest.mark.parametrize("developer_votes", [False, True])
def test_the_tallys_locked_read_says_whether_the_developer_has_voted(world, cast, developer_votes):
    _estate_with_changes(world)  # the estate's developer, and its units on the roll
    vote = open_resolution(world["estate_a"])
    if developer_votes:
        developer = RollEntry.objects.get(vote=vote, is_developer=True)
        _ballot(vote, developer.pk, developer.area, seq=99_999, channel="central", choice="for")
    with transaction.atomic():
        assert tally_services._locked(vote.pk).developer_voted is developer_votes


def test_the_close_reads_a_developers_unit_split_off_before_it_voted_with_its_sql_as_with_the_orm(world, cast):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    sold = Ownership.objects.filter(owner=setup["dev"], unit__delivered=True, end__isnull=True).first().unit
    today = timezone.localdate()
    Ownership.objects.filter(unit=sold, owner=setup["dev"], end__isnull=True).update(end=today)
    buyer = OwnerFactory(place=world["estate_a"])
    Ownership.objects.create(unit=sold, owner=buyer, start=today)
    services.ballot_cast(
        vote=vote, channel="phone", reference="B2", owner_id=buyer.pk, actor=cast["clerk"], choice="for"
    )
    developer = RollEntry.objects.get(vote=vote, key=DEVELOPER_KEY)
    _ballot(vote, developer.pk, developer.area, seq=99_999, channel="central", choice="for")
    sql, orm = _both_forms(vote)
    assert sql == orm and sold.pk in sql


def _reads_through_a_join(node: dict, table: str, under_subplan: bool = False) -> bool:
    under_subplan = under_subplan or node.get("Parent Relationship") in ("SubPlan", "InitPlan")
    if node.get("Relation Name") == table and not under_subplan:
        return True
    return any(_reads_through_a_join(child, table, under_subplan) for child in node.get("Plans", []))


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["residents_owner", "residents_propertyunit"])
def test_the_close_reads_units_and_owners_only_in_subqueries_never_in_a_join(world, table):
    vote = open_resolution(world["estate_a"])
    day = timezone.localdate(vote.closes_at)
    params = {"vote": vote.pk, "frozen": day, "day": day, "developer": DEVELOPER_KEY}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + roll_services.CHANGED_AT_CLOSE_SQL, params)
        (plan,) = cursor.fetchone()[0]
    assert table in roll_services.CHANGED_AT_CLOSE_SQL
    assert not _reads_through_a_join(plan["Plan"], table)


def _statements(vote) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        result = vote_tally(vote_id=vote.pk)
    assert result is not None
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


def _counting(world, cast) -> Vote:
    vote = open_resolution(world["estate_a"])
    for n, entry in enumerate(RollEntry.objects.filter(vote=vote)):  # every owner: the quorum is met
        _ballot(vote, entry.pk, entry.area, seq=1000 + n, channel="central", choice="for")
    services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    return Vote.objects.get(pk=vote.pk)


@pytest.mark.postgres
def test_a_tally_with_no_split_runs_five_statements(world, cast, ten_owners):
    vote = _counting(world, cast)
    statements = _statements(vote)
    # The claim; the lock with the result's id; the close's units; the count; the result, its audit
    # row and the vote's state.
    assert len(statements) == 5, statements
    assert not any("elections_rollsplit" in sql for sql in statements[3:])
    assert statements[-1].startswith("WITH") and "UPDATE" in statements[-1]


def test_a_tally_in_one_statement_stores_the_result_its_audit_row_and_the_votes_state(world, cast, ten_owners):
    vote = _counting(world, cast)
    result = vote_tally(vote_id=vote.pk)
    vote.refresh_from_db()
    stored = VoteResult.objects.get(vote=vote)
    event = AuditEvent.objects.filter(action=ElectionsEvent.VOTE_TALLY, object_id=str(vote.pk)).get()
    assert (
        stored.pk == result.pk and stored.data["quorum"]["voted_owners"] == RollEntry.objects.filter(vote=vote).count()
    )
    assert vote.tally_state == TallyState.DONE
    assert event.by_system and event.data == {"round": 1, "hash": stored.hash} and event.place_id == vote.estate_id


def test_a_tally_after_a_split_reads_the_splits(world, cast, ten_owners):
    setup = _estate_with_changes(world)
    vote = open_resolution(world["estate_a"])
    _changes_during_the_vote(world, vote, cast, setup)  # the buyer's ballot recorded a split
    for n, entry in enumerate(RollEntry.objects.filter(vote=vote, is_developer=False)[:3]):
        if not Ballot.objects.filter(entry=entry).exists():
            _ballot(vote, entry.pk, entry.area, seq=1000 + n, channel="central", choice="for")
    services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote = Vote.objects.get(pk=vote.pk)
    assert vote.split_count > 0
    statements = _statements(vote)
    assert any("elections_rollsplit" in sql and "ORDER BY" in sql for sql in statements)
    assert VoteResult.objects.get(vote=vote).data["roll_changes"]


@pytest.mark.postgres
def test_a_tally_plans_its_statements_without_jit_compiling(world, cast, ten_owners):
    vote = _counting(world, cast)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")
        vote_tally(vote_id=vote.pk)
        cursor.execute("SHOW jit")  # the tally's transaction is the test's: its setting is still in force
        assert cursor.fetchone()[0] == "off"


def _fields(vote: Vote) -> dict:
    return {f.attname: getattr(vote, f.attname) for f in Vote._meta.concrete_fields}


def _claims(vote: Vote) -> list[tuple[bool, str]]:
    """What the claim's SQL and its ORM form each do to ``vote``, each undone after."""
    outcomes = []
    for claim in (tally_services._claim, lambda pk: tally_services._claim_orm(pk, timezone.now())):
        with transaction.atomic():
            point = transaction.savepoint()
            outcomes.append((claim(vote.pk), Vote.objects.get(pk=vote.pk).tally_state))
            transaction.savepoint_rollback(point)
    return outcomes


@pytest.mark.postgres
@pytest.mark.parametrize("case", ["pending", "a_box_being_entered", "running", "done", "voting"])
def test_the_claims_sql_claims_the_votes_its_orm_form_claims(world, cast, ten_owners, case):
    vote = open_resolution(world["estate_a"]) if case == "voting" else _counting(world, cast)
    if case == "a_box_being_entered":
        BallotBox.objects.create(vote=vote, label="1", channel="central", sealed_at=vote.closes_at)
    elif case in ("running", "done"):
        Vote.objects.filter(pk=vote.pk).update(tally_state=case)
    before = Vote.objects.get(pk=vote.pk).tally_state
    (sql, sql_state), (orm, orm_state) = _claims(vote)
    assert (sql, sql_state) == (orm, orm_state)
    assert sql is (case == "pending") and sql_state == (TallyState.RUNNING if sql else before)


@pytest.mark.postgres
def test_the_tallys_locked_read_brings_what_its_orm_form_brings_and_the_results_id(world, cast, ten_owners):
    vote = _counting(world, cast)
    vote_tally(vote_id=vote.pk)
    with transaction.atomic():
        sql = tally_services._locked(vote.pk)
        orm = tally_services._locked_orm(vote.pk)
    assert _fields(sql) == _fields(orm) and sql.last_round == orm.last_round == 1
    assert sql.result_id > VoteResult.objects.get(vote=vote).pk


def test_a_transition_reloads_the_vote_and_its_estate_as_stored_now(world):
    vote = open_resolution(world["estate_a"])
    held = Vote.objects.select_related("estate").get(pk=vote.pk)
    Vote.objects.filter(pk=vote.pk).update(title="改过的标题")
    Place.objects.filter(pk=vote.estate_id).update(name="改过的小区名", lft=held.estate.lft + 1000)
    with transaction.atomic():
        vote_services._lock_and_reload(held)
    fresh = Vote.objects.select_related("estate").get(pk=vote.pk)
    assert _fields(held) == _fields(fresh) and held.title == "改过的标题"
    assert (held.estate.name, held.estate.lft) == ("改过的小区名", fresh.estate.lft)


@pytest.mark.postgres
def test_a_close_runs_two_statements_the_lock_with_the_estate_and_one_write(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    vote = Vote.objects.get(pk=vote.pk)  # its estate not loaded, as the beat job's votes
    with CaptureQueriesContext(connection) as queries:
        services.vote_close(vote=vote, actor=SYSTEM, now=vote.closes_at)
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # The lock with the estate; the step, the audit row and the vote's state.
    assert len(statements) == 2, statements
    assert "governance_place" in statements[0] and "FOR UPDATE OF v" in statements[0]
    assert Vote.objects.get(pk=vote.pk).status == VoteStatus.COUNTING
