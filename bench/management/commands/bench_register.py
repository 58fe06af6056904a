"""``python manage.py bench_register [--units N ...]``: the register import beside a fair COPY, per size.

A front for ``manage.py bench --only register`` (bench/figures/register.py), where the import and
its floor are measured: both committed, each into the same emptied, vacuumed tables, the floor's
COPY paying the deferred foreign-key checks at its commit as the import does. Each size runs in
a fresh process, so that peak memory compares. PostgreSQL only.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.figures.register import run_child


class Command(BaseCommand):
    help = "Benchmark the register import against a fair COPY of the same rows (PostgreSQL)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, nargs="+", default=[100_000])

    def handle(self, *args, units, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_register needs PostgreSQL (set DATABASE_URL).")
        head = ("units", "rows", "import s", "rows/s", "COPY s", "x", "peak MiB")
        self.stdout.write(" ".join(f"{h:>9}" for h in head))
        for size in units:
            r = run_child(size)
            self.stdout.write(
                f"{size:>9} {r['rows']:>9} {r['platform']:>9.2f} {r['rows'] / r['platform']:>9.0f} "
                f"{r['floor']:>9.2f} {r['platform'] / r['floor']:>9.2f} {r['peak_mib']:>9.1f}"
            )
