"""Totals are exact on every database (issue 9, item 7): areas are summed as integers in SQL.

SQLite returns the sum of a decimal column as a float (24972.5600000001); the tally sums each
ballot's area in hundredths of a square metre instead. The same test runs on the database of
this run and, from a PostgreSQL run, once more on SQLite in a separate process.
"""

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from elections import services
from elections.models import Channel
from elections.tests.factories import open_election, open_resolution, register

pytestmark = pytest.mark.django_db

# Areas whose float sum is not the decimal sum.
AREAS = ["89.99", "133.33", "76.47"] * 10 + ["100.01"] * 7


def test_areas_such_as_89_99_133_33_and_76_47_sum_exactly_in_a_resolutions_tally(
    world, cast, django_capture_on_commit_callbacks
):
    owners = register(world["building_a1"], AREAS)
    vote = open_resolution(world["estate_a"])
    for i, (_unit, owner) in enumerate(owners[:-7]):
        services.ballot_cast(
            vote=vote,
            channel=Channel.PHONE,
            reference=f"T{i}",
            owner_id=owner.pk,
            choice=("for", "against", "abstain")[i % 3],
            actor=cast["clerk"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    data = vote.latest_result.data
    assert data["quorum"]["total_area"] == str(sum(Decimal(a) for a in AREAS))
    assert data["quorum"]["voted_area"] == str(sum(Decimal(a) for a in AREAS[:-7]))
    assert data["for"]["area"] == str(Decimal("89.99") * 10)
    assert data["against"]["area"] == str(Decimal("133.33") * 10)
    assert data["abstain"]["area"] == str(Decimal("76.47") * 10)


def test_approving_areas_sum_exactly_in_an_elections_tally(world, cast, django_capture_on_commit_callbacks):
    owners = register(world["building_a1"], AREAS[:30])
    vote = open_election(world["estate_a"], [o for _u, o in owners[:5]], seats=5)
    first = vote.candidates.order_by("pk").first()
    for i, (_unit, owner) in enumerate(owners):
        services.ballot_cast(
            vote=vote,
            channel=Channel.WECHAT,
            reference=f"W{i}",
            owner_id=owner.pk,
            approve=[first.pk],
            actor=cast["clerk"],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.vote_close(vote=vote, actor=cast["secretary_a"], now=vote.closes_at)
    vote.refresh_from_db()
    row = next(c for c in vote.latest_result.data["candidates"] if c["id"] == first.pk)
    assert row["approve_area"] == str(sum(Decimal(a) for a in AREAS[:30]))


@pytest.mark.postgres
def test_the_same_sums_are_exact_on_sqlite():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "GONGZHI_REQUIRE_SERVICES", "PYTEST_XDIST_WORKER")
    }
    done = subprocess.run(
        # Tables straight from the models (no migrations): the sums need no trigger, and it takes seconds.
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "--no-migrations", "-k", "sum_exactly", __file__],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
