"""Two clerks entering a ballot for the same owner at the same instant: two connections, two processes."""

import threading

import pytest
from django.db import connection

from elections import services
from elections.models import Ballot, Channel, RefusedBallot
from elections.tests.factories import open_resolution


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_at_once_get_one_accepted_and_one_refused(world, cast, ten_owners):
    vote = open_resolution(world["estate_a"])
    owner = ten_owners[0][1]
    second_clerk = cast["clerk"].__class__.objects.create_user("clerk2")
    from governance.models import RoleAssignment

    RoleAssignment.objects.create(user=second_clerk, role="clerk", place=world["estate_a"])
    barrier = threading.Barrier(2)
    outcomes = []

    def enter(clerk, ref):
        try:
            barrier.wait()
            services.ballot_cast(
                vote=vote, channel=Channel.PHONE, reference=ref, owner_id=owner.pk, choice="for", actor=clerk
            )
            outcomes.append("accepted")
        except services.BallotRefused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=(c, r)) for c, r in ((cast["clerk"], "A"), (second_clerk, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "duplicate"]
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert RefusedBallot.objects.filter(vote=vote, reason="duplicate").count() == 1


CAST_IN_ANOTHER_PROCESS = """
import sys, time
import django
django.setup()
from elections import services
from elections.models import Channel, Vote
from governance.models import User

vote_id, clerk_id, owner_id, reference, start = sys.argv[1:6]
vote, clerk = Vote.objects.get(pk=vote_id), User.objects.get(pk=clerk_id)
while time.time() < float(start):
    time.sleep(0.001)
try:
    services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference=reference, owner_id=int(owner_id), choice="for", actor=clerk
    )
    print("accepted")
except services.BallotRefused as exc:
    print(exc.code)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_casting_for_the_same_owner_at_once_get_one_accepted(world, cast, ten_owners, subprocess_env):
    import subprocess
    import sys
    import time
    from pathlib import Path

    vote = open_resolution(world["estate_a"])
    owner = ten_owners[0][1]
    start = str(time.time() + 4)
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CAST_IN_ANOTHER_PROCESS,
                str(vote.pk),
                str(cast["clerk"].pk),
                str(owner.pk),
                ref,
                start,
            ],
            cwd=Path(__file__).resolve().parents[2],
            env=subprocess_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ref in ("A", "B")
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        outcomes.append(out.strip())
    assert sorted(outcomes) == ["accepted", "duplicate"]
    assert Ballot.objects.filter(vote=vote).count() == 1
    assert RefusedBallot.objects.filter(vote=vote, reason="duplicate").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_unique_constraint_refuses_a_second_live_ballot_even_without_the_lock(world, cast, ten_owners):
    """The database itself keeps one live ballot per counted owner."""
    from django.db import IntegrityError, transaction

    vote = open_resolution(world["estate_a"])
    first = services.ballot_cast(
        vote=vote, channel=Channel.PHONE, reference="A", owner_id=ten_owners[0][1].pk, choice="for", actor=cast["clerk"]
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            vote=vote,
            seq=2,
            entry=first.entry,
            channel="phone",
            cast_at=first.cast_at,
            receipt_hash="x" * 64,
            prev_hash=first.hash,
            hash="y" * 64,
        )
