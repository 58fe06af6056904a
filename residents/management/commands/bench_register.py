"""``python manage.py bench_register``: import a generated register and build its voting roll, beside COPY.

For each size (100,000 units by default) the command writes a register CSV (about 5% of
units co-owned, 2% held by buyers of several units, 3% still the developer's), then in
one process and one run:

- imports it through ``residents.importer`` (validation pass, then the write in one
  transaction) and builds the estate's voting roll;
- loads the same file with PostgreSQL ``COPY`` into a table of its columns, the floor
  of what any loader of these rows could do;

- copies the rows the import wrote back into their own tables with ``COPY`` (every
  index, constraint and foreign key in place): the database's floor for this import;

and prints rows per second for each, their ratios, and the peak memory of the import
(resident set size sampled every 5 ms, above what the process held before; with several
sizes each runs in a fresh process, so that the peaks compare). Everything runs inside a
transaction that is rolled back: the database is left as it was. PostgreSQL only.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from governance import services as governance_services
from governance.models import PlaceKind
from governance.scoping import SYSTEM
from residents import importer
from residents.identifiers import make_credit_code, make_resident_id
from residents.selectors import voting_roll

UNITS_PER_BUILDING = 500
PAGE = os.sysconf("SC_PAGE_SIZE")


class _Rollback(Exception):
    pass


class PeakRSS:
    """Sample the process's resident set size in a thread; report the peak above the start."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.peak = self.start = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * PAGE

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())

    @property
    def above_start_mib(self) -> float:
        return (self.peak - self.start) / 2**20


def write_register(path: str, units: int, buildings: int) -> int:
    """Write a register file of ``units`` units; return its number of data rows."""
    developer = ("基准开发有限公司", make_credit_code(1), "")
    rows = 0
    birth = datetime.date(1960, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(importer.COLUMNS)
        for i in range(units):
            building = f"{i // UNITS_PER_BUILDING % buildings + 1}栋"
            stairway = str(i % UNITS_PER_BUILDING // 100 + 1)
            room = f"{i % 100 + 1:03d}"
            area = f"{60 + (i * 37) % 9000 / 100:.2f}"
            head = [building, stairway, room, "residential", area, "registered" if i % 10 else "surveyed"]
            bucket = i % 100
            if bucket < 3:
                owners = [(*developer, "yes", "")]
                delivered = "yes" if bucket else "no"
            elif bucket < 5:  # a buyer of several units: the same person as the unit before
                n = i - 1
                owners = [
                    (
                        f"业主{n}",
                        make_resident_id("500105", birth + datetime.timedelta(days=n // 997), n),
                        f"139{n:08d}",
                        "no",
                        "",
                    )
                ]
                delivered = "yes"
            elif bucket < 10:  # co-owned by a couple
                owners = [
                    (
                        f"业主{i}",
                        make_resident_id("500105", birth + datetime.timedelta(days=i // 997), i),
                        f"139{i:08d}",
                        "no",
                        "0.5",
                    ),
                    (
                        f"配偶{i}",
                        make_resident_id("500106", birth + datetime.timedelta(days=i // 997), i),
                        "",
                        "no",
                        "0.5",
                    ),
                ]
                delivered = "yes"
            else:
                owners = [
                    (
                        f"业主{i}",
                        make_resident_id("500105", birth + datetime.timedelta(days=i // 997), i),
                        f"139{i:08d}",
                        "no",
                        "",
                    )
                ]
                delivered = "yes"
            for name, ident, phone, dev, share in owners:
                writer.writerow([*head, delivered, name, ident, phone, dev, share])
                rows += 1
    return rows


class Command(BaseCommand):
    help = "Benchmark the register import and the voting roll against PostgreSQL COPY of the same rows."

    def add_arguments(self, parser):
        parser.add_argument(
            "--units",
            type=int,
            nargs="+",
            default=[100_000],
            help="Register sizes to run, e.g. --units 25000 50000 100000 (memory should stay flat).",
        )
        parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args, units, child, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_register needs PostgreSQL (set DATABASE_URL).")
        if child or len(units) == 1:
            results = [self._one(size) for size in units]
            if child:
                self.stdout.write("RESULT " + json.dumps(results))
                return
        else:
            # Each size in a fresh process, so that their peak memory compares.
            results = []
            for size in units:
                out = subprocess.run(
                    [sys.executable, sys.argv[0], "bench_register", "--child", "--units", str(size)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                self.stdout.write(out.rsplit("RESULT ", 1)[0].rstrip())
                results.extend(json.loads(out.rsplit("RESULT ", 1)[1]))
        self.stdout.write("")
        self.stdout.write(
            "import = validate + write; COPY file = the CSV into a bare table of its columns; "
            "COPY tables = the same units, people, owners and ownerships into their real tables."
        )
        self.stdout.write(
            f"{'units':>8} {'rows':>8} {'validate s':>10} {'write s':>8} {'import s':>8} {'rows/s':>8} "
            f"{'COPY file s':>11} {'x':>6} {'COPY tables s':>13} {'x':>5} {'roll s':>7} {'peak MiB':>8}"
        )
        for r in results:
            self.stdout.write(
                f"{r['units']:>8} {r['rows']:>8} {r['validate']:>10.2f} {r['write']:>8.2f} {r['import']:>8.2f} "
                f"{r['rows'] / r['import']:>8.0f} {r['copy']:>11.3f} {r['import'] / r['copy']:>6.1f} "
                f"{r['copy_tables']:>13.2f} {r['import'] / r['copy_tables']:>5.1f} "
                f"{r['roll']:>7.2f} {r['peak_mib']:>8.1f}"
            )

    def _one(self, size: int) -> dict:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, f"register-{size}.csv")
            rows = write_register(path, size, buildings=max(1, -(-size // UNITS_PER_BUILDING)))
            return self._run(path, size, rows)

    def _copy_same_tables(self, estate) -> float:
        """Time COPY of the rows the import wrote (units, people, owners, ownerships) back into their tables.

        The rows are copied out, deleted, and copied in again with every index, constraint
        and foreign key in place: the database's own floor for this import.
        """
        tables = [
            ("residents_propertyunit", f"estate_id = {estate.pk}"),
            ("governance_person", f"place_id = {estate.pk}"),
            ("residents_owner", f"place_id = {estate.pk}"),
            (
                "residents_ownership",
                f"unit_id IN (SELECT id FROM residents_propertyunit WHERE estate_id = {estate.pk})",
            ),
        ]
        dumps = {}
        with connection.cursor() as cursor:
            for table, where in tables:
                chunks = []
                with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT") as copy:
                    for data in copy:
                        chunks.append(bytes(data))
                dumps[table] = b"".join(chunks)
            for table, where in reversed(tables):
                cursor.execute(f"DELETE FROM {table} WHERE {where}")
            started = time.perf_counter()
            for table, _where in tables:
                with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(dumps[table])
            return time.perf_counter() - started

    def _run(self, path: str, size: int, rows: int) -> dict:
        result = {"units": size, "rows": rows}
        try:
            with transaction.atomic():
                district = governance_services.place_create(
                    kind=PlaceKind.DISTRICT, name=f"基准区{time.time_ns()}", parent=None, actor=SYSTEM
                )
                street = governance_services.place_create(
                    kind=PlaceKind.STREET, name="基准街道", parent=district, actor=SYSTEM
                )
                community = governance_services.place_create(
                    kind=PlaceKind.COMMUNITY, name="基准社区", parent=street, actor=SYSTEM
                )
                estate = governance_services.place_create(
                    kind=PlaceKind.ESTATE, name="基准小区", parent=community, actor=SYSTEM
                )
                for n in range(max(1, -(-size // UNITS_PER_BUILDING))):
                    governance_services.place_create(
                        kind=PlaceKind.BUILDING, name=f"{n + 1}栋", parent=estate, actor=SYSTEM
                    )

                with PeakRSS() as memory:
                    started = time.perf_counter()
                    with open(path, "rb") as fh:
                        report = importer.validate(fh, path, estate)
                    validated = time.perf_counter()
                    if not report.ok:
                        raise CommandError(f"generated register is invalid: {report.errors[:3]}")
                    summary = importer.write(estate, report, on=datetime.date(2026, 1, 1), actor=SYSTEM)
                    finished = time.perf_counter()
                    del report
                result.update(
                    {
                        "validate": validated - started,
                        "write": finished - validated,
                        "import": finished - started,
                        "peak_mib": memory.above_start_mib,
                    }
                )
                assert summary["units_created"] == size, summary

                started = time.perf_counter()
                roll = voting_roll(estate, on=datetime.date(2026, 1, 1))
                result["roll"] = time.perf_counter() - started
                result["owners"] = roll.total_owners

                result["copy_tables"] = self._copy_same_tables(estate)

                with connection.cursor() as cursor:
                    cursor.execute(
                        "CREATE TEMP TABLE bench_register_copy ("
                        + ", ".join(f"{c} text" for c in importer.COLUMNS)
                        + ") ON COMMIT DROP"
                    )
                    started = time.perf_counter()
                    with (
                        open(path, "rb") as fh,
                        cursor.cursor.copy(
                            "COPY bench_register_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
                        ) as copy,
                    ):
                        while chunk := fh.read(1 << 20):
                            copy.write(chunk)
                    result["copy"] = time.perf_counter() - started
                self.stdout.write(
                    f"{size} units, {rows} rows: import {result['import']:.2f} s "
                    f"(validate {result['validate']:.2f} s, write {result['write']:.2f} s), "
                    f"COPY file {result['copy']:.3f} s, COPY tables {result['copy_tables']:.2f} s, "
                    f"roll {result['roll']:.2f} s for {result['owners']} counted owners, "
                    f"peak +{result['peak_mib']:.1f} MiB"
                )
                raise _Rollback
        except _Rollback:
            pass
        return result
