"""Benchmark the tally: a 100,000-unit estate, 80,000 ballots, against one hand-written SQL aggregate."""

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from elections import selectors, services
from elections.chain import approve_text, area_text, ballot_body, link_hash, receipt_hash, timestamp
from elections.law import CHANNELS, cents
from elections.models import Ballot, RollEntry, VoteKind, VoteStatus
from elections.services.links import chain_tip
from governance import services as gov
from governance.models import Person, Place, PlaceKind
from governance.scoping import SYSTEM
from residents.models import AreaSource, Owner, Ownership, PropertyUnit

SQL = """
SELECT count(*), sum(b.area_cents), count(*) FILTER (WHERE NOT b.valid),
  {channels},
  {choices}
FROM elections_ballot b
WHERE b.vote_id = %s AND NOT b.voided
"""


def _sql() -> str:
    channels = ",\n  ".join(
        f"count(*) FILTER (WHERE b.channel = '{c}'), sum(b.area_cents) FILTER (WHERE b.channel = '{c}')"
        for c in CHANNELS
    )
    choices = ",\n  ".join(
        f"count(*) FILTER (WHERE b.choice = '{c}' AND b.valid), "
        f"sum(b.area_cents) FILTER (WHERE b.choice = '{c}' AND b.valid)"
        for c in ("for", "against", "abstain")
    )
    return SQL.format(channels=channels, choices=choices)


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the tally of 80,000 ballots in a 100,000-unit estate against a single SQL aggregate (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=100_000)
        parser.add_argument("--ballots", type=int, default=80_000)
        parser.add_argument("--repeat", type=int, default=7)
        parser.add_argument("--keep", action="store_true", help="keep the generated estate instead of rolling back")

    def handle(self, *args, units, ballots, repeat, keep, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("bench_tally needs PostgreSQL (set DATABASE_URL); FILTER aggregates are its SQL.")
            return
        try:
            with transaction.atomic():
                self._run(units, ballots, repeat)
                if not keep:
                    raise _Rollback
        except _Rollback:
            self.stdout.write("(generated data rolled back)")

    def _log(self, text):
        self.stdout.write(text)
        self.stdout.flush()

    def _run(self, n_units, n_ballots, repeat):
        rng = random.Random(20210226)
        t0 = time.perf_counter()
        suffix = timezone.now().strftime("%H%M%S%f")
        district = gov.place_create(kind=PlaceKind.DISTRICT, name=f"基准区{suffix}", parent=None, actor=SYSTEM)
        street = gov.place_create(kind=PlaceKind.STREET, name="基准街道", parent=district, actor=SYSTEM)
        community = gov.place_create(kind=PlaceKind.COMMUNITY, name="基准社区", parent=street, actor=SYSTEM)
        estate = gov.place_create(kind=PlaceKind.ESTATE, name="基准小区", parent=community, actor=SYSTEM)
        buildings = [
            gov.place_create(
                kind=PlaceKind.BUILDING, name=f"{i}栋", parent=Place.objects.get(pk=estate.pk), actor=SYSTEM
            )
            for i in range(1, 51)
        ]
        per = -(-n_units // len(buildings))
        unit_rows = [
            PropertyUnit(
                building=buildings[i // per],
                estate=estate,
                room=f"{i % per + 1:05d}",
                area=Decimal(rng.randint(4000, 16000)) / 100,
                registered_area=None,
                area_source=AreaSource.REGISTERED,
                delivered=i >= 2000,  # the first 2,000 undelivered: the developer's, one counted owner
            )
            for i in range(n_units)
        ]
        for u in unit_rows:
            u.registered_area = u.area
        PropertyUnit.objects.bulk_create(unit_rows, batch_size=5000)
        unit_ids = list(PropertyUnit.objects.filter(estate=estate).order_by("pk").values_list("pk", flat=True))
        persons = Person.objects.bulk_create(
            [Person(name=f"业主{i:06d}", place=estate) for i in range(n_units)], batch_size=5000
        )
        owners = Owner.objects.bulk_create([Owner(person=p, place=estate) for p in persons], batch_size=5000)
        start = datetime.date(2015, 1, 1)
        Ownership.objects.bulk_create(
            [Ownership(unit_id=u, owner=o, start=start) for u, o in zip(unit_ids, owners, strict=True)], batch_size=5000
        )
        self._log(f"register: {n_units:,} units, owners and ownerships in {time.perf_counter() - t0:.1f} s")

        now = timezone.now()
        vote = services.vote_create(
            estate=Place.objects.get(pk=estate.pk),
            kind=VoteKind.RESOLUTION,
            title="基准表决",
            matter=5,
            opens_at=now - datetime.timedelta(hours=1),
            closes_at=now + datetime.timedelta(days=1),
            actor=SYSTEM,
        )
        services.vote_transition(vote=vote, to=VoteStatus.NOTICE, actor=SYSTEM, now=now - datetime.timedelta(days=16))
        t1 = time.perf_counter()
        services.vote_transition(vote=vote, to=VoteStatus.VOTING, actor=SYSTEM)
        self._log(
            f"roll frozen: {vote.roll_total_owners:,} counted owners, {vote.roll_total_area} m² "
            f"in {time.perf_counter() - t1:.1f} s"
        )

        t2 = time.perf_counter()
        entries = list(RollEntry.objects.filter(vote=vote).values_list("pk", "key", "area"))
        rng.shuffle(entries)
        first, prev = chain_tip(vote)
        rows, heads = [], []
        for seq, (entry_id, key, area) in enumerate(entries[:n_ballots], start=first + 1):
            channel = CHANNELS[seq % len(CHANNELS)]
            choice = rng.choices(("for", "against", "abstain"), weights=(6, 3, 1))[0]
            cast_at = now - datetime.timedelta(seconds=n_ballots - seq)
            r_hash = receipt_hash(f"B{seq:08d}")
            serial = f"S{seq:08d}" if channel in ("central", "mobile_box") else ""
            reference = f"R{seq}" if channel in ("phone", "wechat") else ""
            area_cents = cents(area)
            body = ballot_body(
                vote_id=vote.pk,
                seq=seq,
                key=key,
                channel=channel,
                choice=choice,
                approve=approve_text([]),
                valid=True,
                invalid_reason="",
                area=area_text(area_cents),
                proxy="",
                proxy_id=None,
                paper_serial=serial,
                box="",
                reference=reference,
                cast_at=timestamp(cast_at),
                receipt_hash=r_hash,
            )
            digest = link_hash(body, prev)
            row = (vote.pk, seq, entry_id, channel, choice, "[]", True, "", area_cents, serial, reference, cast_at)
            rows.append((*row, r_hash, prev, digest))
            heads.append((vote.pk, seq, digest, cast_at))
            prev = digest
        columns = (
            "vote_id",
            "seq",
            "entry_id",
            "channel",
            "choice",
            "approve",
            "valid",
            "invalid_reason",
            "area_cents",
            "paper_serial",
            "reference",
            "cast_at",
            "receipt_hash",
            "prev_hash",
            "hash",
        )
        with connection.cursor() as cursor:
            copy_sql = f"COPY elections_ballot ({', '.join(columns)}, proxy_name, voided) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row((*row, "", False))
            with cursor.cursor.copy("COPY elections_publishedhead (vote_id, seq, head, at) FROM STDIN") as copy:
                for row in heads:
                    copy.write_row(row)
            cursor.execute("ANALYZE elections_ballot")
            cursor.execute("ANALYZE elections_rollentry")
        self._log(
            f"ballots: {Ballot.objects.filter(vote=vote).count():,} loaded with COPY, hash-chained, "
            f"in {time.perf_counter() - t2:.1f} s"
        )

        sql = _sql()

        def orm():
            return selectors.tally(vote)

        def raw():
            with connection.cursor() as cursor:
                cursor.execute(sql, [vote.pk])
                return cursor.fetchone()

        orm(), raw()  # warm the caches of both alike
        orm_times, sql_times = [], []
        for _i in range(repeat):
            for fn, times in ((orm, orm_times), (raw, sql_times)):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
        data, row = orm(), raw()
        assert data["quorum"]["voted_owners"] == row[0] and cents(data["quorum"]["voted_area"]) == row[1]
        t_orm, t_sql = statistics.median(orm_times), statistics.median(sql_times)
        self._log(
            f"tally (elections.selectors.tally, ORM aggregate + §4 in Python): median {t_orm * 1000:.1f} ms "
            f"over {repeat} runs"
        )
        self._log(f"single SQL aggregate over the same rows:                 median {t_sql * 1000:.1f} ms")
        self._log(f"ratio: {t_orm / t_sql:.2f}x (target ≤ 1.5x)")
        self._log(f"result: quorum met {data['quorum']['met']}, for {data['for']}, passed {data['passed']}")
        t3 = time.perf_counter()
        services.vote_close(vote=vote, actor=SYSTEM, now=vote.closes_at)
        # The task would run on commit; inside this rolled-back transaction, call what it calls.
        result = services.vote_tally(vote_id=vote.pk)
        self._log(f"close + tally service + stored result (round {result.round}): {time.perf_counter() - t3:.2f} s")
