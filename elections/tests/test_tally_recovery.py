"""A tally left behind (its worker killed mid-count, or its message lost with the broker down) is sent again.

``services.tallies_recover`` (the beat job ``recover_tallies``, every five minutes) puts a vote
whose tally has been running or pending past ``TALLY_STALL_MINUTES`` back to pending and sends
its tally again; the retried count equals a clean one.
"""

import datetime
import signal
import time

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from conftest import celery_worker
from elections import selectors, services
from elections.models import Channel, TallyState, Vote, VoteResult
from elections.tests.factories import open_resolution
from governance.models import AuditEvent
from governance.scoping import SYSTEM

LATER = datetime.timedelta(minutes=11)  # past the default TALLY_STALL_MINUTES (10)


def _closed(estate, owners, clerk, closer, capture=None) -> Vote:
    """A resolution with eight phone ballots (six for), closed; its tally sent but not run when ``capture``."""
    vote = open_resolution(estate)
    for i, (_unit, owner) in enumerate(owners[:8]):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference=f"T{i}",
            owner_id=owner.pk,
            choice="for" if i < 6 else "against",
            actor=clerk,
        )
    if capture is None:
        services.vote_close(vote=vote, actor=closer, now=vote.closes_at)
    else:
        with capture(execute=False):  # the worker never got it
            services.vote_close(vote=vote, actor=closer, now=vote.closes_at)
    return Vote.objects.get(pk=vote.pk)


def _as_if_killed_mid_tally(vote: Vote) -> None:
    """What a worker killed after its claim leaves: the claim, and nothing of its rolled-back count."""
    Vote.objects.filter(pk=vote.pk).update(tally_state=TallyState.RUNNING, tally_since=timezone.now())


@pytest.mark.django_db
def test_a_tally_left_running_past_the_timeout_is_sent_again_and_counts_once(
    estate, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"], django_capture_on_commit_callbacks)
    _as_if_killed_mid_tally(vote)
    with django_capture_on_commit_callbacks(execute=True):
        recovered = services.tallies_recover(actor=SYSTEM, now=timezone.now() + LATER)
    assert recovered == [vote.pk]
    vote.refresh_from_db()
    assert vote.tally_state == TallyState.DONE
    result = VoteResult.objects.get(vote=vote)
    assert (result.round, result.data) == (1, selectors.tally(vote))
    assert result.data["passed"] is True


@pytest.mark.django_db
def test_a_tally_running_for_less_than_the_timeout_is_left_alone(
    estate, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"], django_capture_on_commit_callbacks)
    _as_if_killed_mid_tally(vote)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        assert services.tallies_recover(actor=SYSTEM, now=timezone.now() + datetime.timedelta(minutes=9)) == []
    assert sent == []
    assert Vote.objects.get(pk=vote.pk).tally_state == TallyState.RUNNING


@pytest.mark.django_db
def test_a_pending_tally_whose_message_was_lost_is_sent_again(
    estate, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"], django_capture_on_commit_callbacks)
    assert vote.tally_state == TallyState.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert services.tallies_recover(actor=SYSTEM, now=timezone.now() + LATER) == [vote.pk]
    assert Vote.objects.get(pk=vote.pk).tally_state == TallyState.DONE


@pytest.mark.django_db
def test_a_recovery_is_audited_as_the_system_and_a_second_run_finds_nothing(
    estate, ten_owners, cast, django_capture_on_commit_callbacks
):
    vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"], django_capture_on_commit_callbacks)
    _as_if_killed_mid_tally(vote)
    later = timezone.now() + LATER
    with django_capture_on_commit_callbacks(execute=False):
        services.tallies_recover(actor=SYSTEM, now=later)
        assert services.tallies_recover(actor=SYSTEM, now=later) == []
    event = AuditEvent.objects.get(action="vote.tally_recover")
    assert (event.by_system, event.place_id, event.data["was"]) == (True, estate.pk, "running")


@pytest.mark.django_db
def test_the_tally_recovery_is_scheduled_in_beat():
    task = PeriodicTask.objects.get(task="elections.tasks.recover_tallies")
    assert (task.interval.every, task.interval.period) == (5, "minutes")


def _dsn() -> str:
    db = connection.settings_dict
    host, port, user = db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["USER"] or "postgres"
    return f"host={host} port={port} user={user} dbname={db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_tally_whose_vote_a_live_tally_still_holds_is_not_sent_twice(estate, ten_owners, cast):
    vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"])
    Vote.objects.filter(pk=vote.pk).update(tally_state=TallyState.RUNNING)
    with psycopg.connect(_dsn()) as live, live.cursor() as cursor:
        cursor.execute("SELECT id FROM elections_vote WHERE id = %s FOR UPDATE", [vote.pk])  # a slow, live tally
        assert services.tallies_recover(actor=SYSTEM, now=timezone.now() + LATER) == []
    assert Vote.objects.get(pk=vote.pk).tally_state == TallyState.RUNNING


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s for {what}")


def _blocked_on_results(cursor) -> int | None:
    """The backend (pid) of a tally waiting to store its result behind the test's table lock."""
    cursor.execute(
        "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'elections_voteresult'::regclass AND pid <> %s"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",  # not another test run's
        [cursor.connection.info.backend_pid],
    )
    row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_tally_leaves_a_vote_the_recovery_job_has_counted_again_the_same(
    estate, ten_owners, cast, settings
):
    """The first worker claims the tally and, inside its transaction, waits to insert the result behind a
    table lock the test holds; it is killed (SIGKILL) there. Its transaction dies with it: the vote is left
    ``running`` with no result. The recovery job sends the tally again and a second worker counts it."""
    from config.celery import app

    app.control.purge()
    with psycopg.connect(_dsn(), autocommit=False) as blocker, blocker.cursor() as lock:
        lock.execute("LOCK TABLE elections_voteresult IN EXCLUSIVE MODE")  # reads pass, the result's INSERT waits
        with celery_worker(settings, "-doomed") as doomed:
            vote = _closed(estate, ten_owners, cast["clerk"], cast["secretary_a"])
            tally_pid = _wait(lambda: _blocked_on_results(lock), 30, "the tally to wait on its result")
            assert Vote.objects.get(pk=vote.pk).tally_state == TallyState.RUNNING
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        blocker.rollback()  # the orphaned backend finds its client gone and rolls the count back
        lock.execute("SELECT 1")
        _wait(
            lambda: (
                lock.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [tally_pid]).fetchone()[0] == 0
            ),
            30,  # the backend ends when it next talks to its dead client: slower on a loaded machine
            "the killed tally's transaction to end",
        )
        blocker.rollback()
    vote.refresh_from_db()
    assert (vote.tally_state, vote.results.count()) == (TallyState.RUNNING, 0)

    with celery_worker(settings, "-second"):
        assert services.tallies_recover(actor=SYSTEM, now=timezone.now() + LATER) == [vote.pk]
        _wait(lambda: Vote.objects.get(pk=vote.pk).tally_state == TallyState.DONE, 60, "the retried tally")
    result = VoteResult.objects.get(vote=vote)
    assert (result.round, result.data) == (1, selectors.tally(vote))
    assert result.data["passed"] is True
