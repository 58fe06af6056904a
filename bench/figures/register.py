"""The register import against a fair COPY: both committed, each into the same emptied, vacuumed tables.

The platform side is what an import job does: ``residents.importer.validate`` (parse, check,
encrypt, stage) then ``write`` (set-based SQL, one transaction), committed. The floor is the
fastest way to the same rows: the units, people, owners and ownerships the import wrote, dumped
with ``COPY TO``, deleted, the tables vacuumed, then loaded again with ``COPY FROM`` in one
transaction and committed (so that the deferred foreign-key checks run, as they did for the
import). Each size runs in a fresh process, so that peak memory compares across sizes.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction

from bench.measure import Figure, PeakRSS
from bench.register_file import UNITS_PER_BUILDING, write_register
from governance import services as governance_services
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM
from residents import importer

TARGET = 2.0
MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
ON = datetime.date(2026, 1, 1)


def _tables(estate_id: int) -> list[tuple[str, str]]:
    return [
        ("residents_propertyunit", f"estate_id = {estate_id}"),
        ("governance_person", f"place_id = {estate_id}"),
        ("residents_owner", f"place_id = {estate_id}"),
        ("residents_ownership", f"unit_id IN (SELECT id FROM residents_propertyunit WHERE estate_id = {estate_id})"),
    ]


def _vacuum(tables) -> None:
    with connection.cursor() as cursor:
        for table, _where in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def _empty(tables) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in reversed(tables):
            cursor.execute(f"DELETE FROM {table} WHERE {where}")


def _import_estate(buildings: int):
    """The estate the import figure loads into, emptied by every run (kept: its audit rows stay)."""
    names = ("导入基准区", "街道", "社区", "小区")
    kinds = (PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.ESTATE)
    parent = None
    for name, kind in zip(names, kinds, strict=True):
        found = Place.objects.filter(parent=parent, name=name, kind=kind).first()
        parent = found or governance_services.place_create(kind=kind, name=name, parent=parent, actor=SYSTEM)
    estate = parent
    have = Place.objects.filter(parent=estate, kind=PlaceKind.BUILDING).count()
    for n in range(have, buildings):
        governance_services.place_create(kind=PlaceKind.BUILDING, name=f"{n + 1}栋", parent=estate, actor=SYSTEM)
    estate = Place.objects.get(pk=estate.pk)
    estate.buildings = buildings
    return estate


def import_once(units: int) -> dict:
    """Import a generated register of ``units`` units, then COPY the same rows; return the times (seconds)."""
    result = {"units": units}
    estate = _import_estate(max(1, -(-units // UNITS_PER_BUILDING)))
    buildings = estate.buildings
    tables = _tables(estate.pk)
    _empty(tables)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "register.csv")
            result["rows"] = write_register(path, units, buildings)
            _vacuum(tables)
            with PeakRSS() as memory:
                started = time.perf_counter()
                with open(path, "rb") as fh:
                    report = importer.validate(fh, path, estate)
                validated = time.perf_counter()
                if not report.ok:
                    raise RuntimeError(f"generated register is invalid: {report.errors[:3]}")
                summary = importer.write(estate, report, on=ON, actor=SYSTEM)  # commits (autocommit outside)
                finished = time.perf_counter()
            assert summary["units_created"] == units, summary
            result.update(
                validate=validated - started,
                write=finished - validated,
                platform=finished - started,
                peak_mib=memory.above_start_mib,
                file_mib=os.path.getsize(path) / 2**20,
            )

        dumps = {}
        with connection.cursor() as cursor:
            for table, where in tables:
                with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT") as copy:
                    dumps[table] = b"".join(bytes(chunk) for chunk in copy)
            with transaction.atomic():
                for table, where in reversed(tables):
                    cursor.execute(f"DELETE FROM {table} WHERE {where}")
        _vacuum(tables)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for table, _where in tables:
                with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(dumps[table])
        result["floor"] = time.perf_counter() - started  # the commit ran the deferred foreign-key checks
    finally:
        _empty(tables)
    return result


def run_child(units: int) -> dict:
    """Run ``import_once`` in a fresh process on this connection's database (peak memory compares)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    out = subprocess.run(
        [sys.executable, str(MANAGE), "bench_import_once", "--units", str(units)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": url},
    ).stdout
    return json.loads(out.rsplit("RESULT ", 1)[1])


def register_import(scale: float) -> list[Figure]:
    """Import 100,000 units (and a quarter of that, for memory) each in a fresh process."""
    full = max(2000, round(100_000 * scale))
    small, big = run_child(full // 4), run_child(full)
    rows = big["rows"]
    return [
        Figure(
            key="register_import",
            title=f"register import, {full:,} units ({rows:,} rows)",
            platform=big["platform"],
            floor=big["floor"],
            floor_title="COPY of the same rows into the emptied, vacuumed tables, committed",
            target=TARGET,
            notes=(
                f"validate {big['validate']:.2f} s + write {big['write']:.2f} s; "
                f"{rows / big['platform']:,.0f} rows/s; peak +{big['peak_mib']:.1f} MiB for "
                f"{big['file_mib']:.1f} MiB of file (+{small['peak_mib']:.1f} MiB for a quarter of it)"
            ),
            extra={
                "rows": rows,
                "rows_per_second": rows / big["platform"],
                "validate": big["validate"],
                "write": big["write"],
                "peak_mib": big["peak_mib"],
                "peak_mib_quarter": small["peak_mib"],
                "file_mib": big["file_mib"],
            },
        )
    ]
