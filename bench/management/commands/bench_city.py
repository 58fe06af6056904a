"""``manage.py bench_city [--scale S]``: generate the simulated city (20 districts, 3,000 estates, 3,000,000 units).

Registers, ledgers, spot-check obligations, petitions and votes, through the platform's bulk
paths and services (``bench.city``). A city already generated under the same name is kept.
Prints the time of each part and the database's size. PostgreSQL only.
"""

import tempfile
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from bench.city import database_size, generate_city
from bench.figures.city import CITY_PREFIX


class Command(BaseCommand):
    requires_system_checks = []  # a tool: it runs while other parts of the tree are being edited
    help = "Generate the simulated city into PostgreSQL (--scale 0.01 for CI's size)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--prefix", default=None, help="name prefix of the city's districts")
        parser.add_argument("--no-votes", action="store_true")

    def handle(self, *args, scale, prefix, no_votes, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_city needs PostgreSQL (set DATABASE_URL).")
        prefix = prefix or (CITY_PREFIX if scale >= 1 else f"{CITY_PREFIX}×{scale:g}")
        before = database_size()
        started = time.perf_counter()
        # Vouchers of the simulated ledgers go to a scratch directory, not the deployment's media.
        with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
            city = generate_city(prefix, scale, log=self.stdout.write, votes=not no_votes)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"city {prefix}: {len(city.districts)} districts, {city.estates:,} estates, {city.units:,} units "
            f"in {seconds:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in city.seconds.items())}); "
            f"database {database_size() / 2**20:,.0f} MiB (+{(database_size() - before) / 2**20:,.0f} MiB)"
        )
