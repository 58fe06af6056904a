"""Opening a vote on a 100,000-unit estate (the roll freeze) and tallying 80,000 ballots through the task path.

Freeze: ``vote_transition(to=VOTING)``, committed, against ``INSERT … SELECT`` of the same roll rows (entries,
their units, their owners) into a second vote: the database's floor for writing that roll. Target: ≤ 3 s.

Tally: 80,000 ballots (every channel, a shuffled fifth of the roll abstaining from voting) are loaded with
``COPY``, hash-chained as the platform chains them; then the path a closed vote takes is timed — ``vote_close``
commits, its ``on_commit`` runs ``vote_tally_task`` (eagerly here), which claims the vote, settles the transfers
at close, counts (``selectors.tally``) and stores the result — against the fastest correct SQL of the same counts:
one ``GROUP BY channel, choice, valid`` with the area summed. Target: ≤ 1.3×.

Both sides of the tally are medians: ``TALLY_CLOSES`` votes over the same estate, each with its own ballots
(the first is the one the freeze figure opened), are closed one by one, each close between runs of the floor
on that vote's ballots. One close against the floor's median would set a single sample of a right-skewed time
(a busy machine only ever adds to it) against the middle of several: biased against the platform, and noisy.
"""

from __future__ import annotations

import datetime
import random
import statistics
import time

from django.db import connection, transaction
from django.utils import timezone

from bench.generate import Shape, ensure_district
from bench.measure import Figure, checkpoint
from bench.votes import ballot_rows, copy_ballots
from config.celery import app
from elections import services
from elections.law import CHANNELS
from elections.models import RollEntry, Vote, VoteKind, VoteStatus
from governance.scoping import SYSTEM

FREEZE_LIMIT = 3.0
TALLY_TARGET = 1.3
TALLY_CLOSES = 3  # votes closed and tallied, each beside floor runs on its own ballots: medians of both sides
FLOOR_SQL = """
SELECT channel, choice, valid, count(*), sum(area_cents)
FROM elections_ballot WHERE vote_id = %s AND NOT voided
GROUP BY channel, choice, valid
"""


def _new_vote(estate, title: str, now) -> Vote:
    vote = services.vote_create(
        estate=estate,
        kind=VoteKind.RESOLUTION,
        title=title,
        matter=5,
        opens_at=now - datetime.timedelta(hours=2),
        closes_at=now + datetime.timedelta(hours=1),
        actor=SYSTEM,
    )
    services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=now - datetime.timedelta(days=30))
    return Vote.objects.get(pk=vote.pk)


def _roll_floor(source: Vote, target: Vote) -> float:
    """Write ``source``'s roll rows again for ``target`` with INSERT … SELECT, committed; return the seconds."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO elections_rollentry (vote_id, key, area, is_developer, frozen) "
            "SELECT %s, key, area, is_developer, frozen FROM elections_rollentry WHERE vote_id = %s",
            [target.pk, source.pk],
        )
        for table, column in (("elections_rollunit", "unit_id, area"), ("elections_rollowner", "owner_id")):
            cursor.execute(
                f"INSERT INTO {table} (vote_id, entry_id, {column}) "
                f"SELECT %s, e2.id, {', '.join('r.' + c.strip() for c in column.split(','))} "
                f"FROM {table} r JOIN elections_rollentry e1 ON e1.id = r.entry_id "
                "JOIN elections_rollentry e2 ON e2.vote_id = %s AND e2.key = e1.key "
                "WHERE r.vote_id = %s",
                [target.pk, target.pk, source.pk],
            )
    return time.perf_counter() - started


def _load_ballots(vote: Vote, count: int, now) -> int:
    """COPY ``count`` ballots of the roll's counted owners (every channel), chained as the platform chains them."""
    rng = random.Random(20210226)
    entries = list(RollEntry.objects.filter(vote=vote).values_list("pk", "key", "area"))
    rng.shuffle(entries)
    start = now - datetime.timedelta(seconds=count + 1)
    made = ballot_rows(vote, entries[:count], start=start, end=now, rng=rng, channels=CHANNELS)
    copy_ballots(vote, made)
    with connection.cursor() as cursor:
        # A vote is open for days: autovacuum has analyzed what its freeze and its ballots wrote long before it
        # closes (this machine's PostgreSQL runs without it). Otherwise the close is planned on statistics taken
        # before the roll existed (its 100,000 roll units estimated at one row: 240 ms of index probes).
        for table in ("elections_ballot", "elections_rollentry", "elections_rollunit", "elections_rollowner"):
            cursor.execute(f"ANALYZE {table}")
    return len(made.ballots)


def _floor_run(vote: Vote) -> tuple[float, list[tuple]]:
    """Run the floor's statement on ``vote``'s ballots, planned without JIT; return the seconds and its rows.

    The tally's transaction plans its count without JIT (``services.tally``: no compiling for the close's
    reads); the floor is planned the same way, untimed ``SET``. Once the ballots' table holds many votes (a
    bench database after a few runs: 4.4 million rows) the floor's estimated cost crosses ``jit_above_cost``
    (121,000 against 100,000) and compiling would add 20-40 ms to the floor alone.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        started = time.perf_counter()
        cursor.execute(FLOOR_SQL, [vote.pk])
        rows = cursor.fetchall()
        seconds = time.perf_counter() - started
        cursor.execute("RESET jit")
    return seconds, rows


def freeze_and_tally(scale: float, repeat: int) -> list[Figure]:
    """Open a vote on the 100,000-unit estate (timed); load 80,000 ballots into it and two more, close each (timed)."""
    units = max(1000, round(100_000 * scale))
    world, _made = ensure_district(
        "冻结基准区" if scale >= 1 else f"冻结基准区×{scale:g}", Shape(streets=1, communities=1, estates=1, units=units)
    )
    estate = world.estate
    now = timezone.now()
    vote = _new_vote(estate, f"冻结基准 {now:%Y%m%d%H%M%S}", now)
    checkpoint()  # each side of the freeze starts with the buffers flushed: the other writes 300 MB of WAL
    started = time.perf_counter()
    services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM, now=now - datetime.timedelta(hours=1))
    freeze = time.perf_counter() - started
    vote = Vote.objects.get(pk=vote.pk)
    scratch = _new_vote(estate, f"冻结基准对照 {now:%Y%m%d%H%M%S}", now)
    checkpoint()
    floor = _roll_floor(vote, scratch)
    services.vote_transition(vote=scratch, to=VoteStatus.CANCELLED, actor=SYSTEM, reason="基准对照")
    owners = vote.roll_total_owners

    # The other votes to close, opened (untimed) after the freeze figure's, over the same estate and roll.
    votes = [vote]
    for n in range(1, TALLY_CLOSES):
        other = _new_vote(estate, f"计票基准 {n} {now:%Y%m%d%H%M%S}", now)
        services.vote_transition(vote=other, to=VoteStatus.VOTING, actor=SYSTEM, now=now - datetime.timedelta(hours=1))
        votes.append(Vote.objects.get(pk=other.pk))
    loaded = [_load_ballots(v, round(units * 0.8), now - datetime.timedelta(minutes=1)) for v in votes]
    ballots = loaded[0]
    # Loading 240,000 ballots with their heads and audit rows wrote about a gigabyte of WAL: without a checkpoint
    # here, the checkpointer writes it out during the closes (whose commits wait for the disk) and not during the
    # floor's reads (three closes measured 202, 52 and 96 ms against a floor of 46 ms).
    checkpoint()
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the task runs on commit, in this process: its whole path is timed
    # A web or worker process imported its broker's client and finalized its Celery app (the task
    # registry) long before; the first task sent from this process would otherwise time the import
    # of kombu's Redis transport (0.8 s here), the app's finalizing (40 ms) and the loading of its
    # result backend (20 ms), not the tally.
    with app.producer_or_acquire():
        pass
    app.finalize(auto=True)
    app.backend  # noqa: B018 (loaded on first use)
    runs = max(3, repeat)  # the floor's runs beside each close: half before it, half after
    tally_times, sql_times = [], []
    try:
        for v, count in zip(votes, loaded, strict=True):
            # The ballots arrived during the vote, and were read then (the turnout page, the intake's own
            # reads): their pages are in memory, with their rows' commit hints set. Read once here the
            # COPY's rows — the reader that first meets them pays setting those hints, which no close of a
            # real vote does — for both sides alike: the floor and the close are timed afterwards.
            _floor_run(v)
            sql_times.extend(_floor_run(v)[0] for _ in range(runs // 2))
            started = time.perf_counter()
            services.vote_close(vote=v, actor=SYSTEM, now=v.closes_at + datetime.timedelta(seconds=1))
            tally_times.append(time.perf_counter() - started)
            after = [_floor_run(v) for _ in range(runs - runs // 2)]
            sql_times.extend(seconds for seconds, _rows in after)
            result = Vote.objects.get(pk=v.pk).results.order_by("-round").first()
            assert result is not None, "the tally task did not store a result"
            assert sum(r[3] for r in after[-1][1]) == result.data["quorum"]["voted_owners"] == count
    finally:
        app.conf.task_always_eager = previous
    return [
        Figure(
            key="roll_freeze",
            title=f"roll freeze when voting opens, {units:,} units ({owners:,} counted owners)",
            platform=freeze,
            floor=floor,
            floor_title="INSERT … SELECT of the same roll rows, committed",
            limit=FREEZE_LIMIT * units / 100_000,
        ),
        Figure(
            key="tally",
            title=f"tally of {ballots:,} ballots over a {units:,}-unit roll, close → task → stored result",
            platform=statistics.median(tally_times),
            floor=statistics.median(sql_times),
            floor_title="one GROUP BY channel, choice, valid with the area summed",
            target=TALLY_TARGET,
            notes=f"medians of {len(tally_times)} closes (each a vote of its own) and {len(sql_times)} floor runs",
            extra={"closes": [round(t, 4) for t in tally_times], "floor_runs": len(sql_times)},
        ),
    ]
