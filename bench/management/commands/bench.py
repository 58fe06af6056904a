"""``python manage.py bench``: every figure of issue 13, the platform beside its floor, into bench/results.json.

Each figure is the platform's time and the floor's (the fastest fair way to the same result),
measured in the same run on the same data, alternating so that a busy machine slows both alike,
and their ratio against the target. PostgreSQL only. The bench district (200 estates, 200,000
units, one estate of 20,000) is generated on the first run and kept for the next ones; ``--scale``
makes everything smaller (CI). ``manage.py bench_readme`` turns the JSON into README's table.
"""

from __future__ import annotations

import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from bench.generate import BENCH_DISTRICT, ensure_district
from bench.measure import RESULTS, write_results

FIGURES = ("lists", "pages", "roll_api", "register", "freeze", "tally", "intake", "city")


class Command(BaseCommand):
    requires_system_checks = []  # a tool: it runs while other parts of the tree are being edited
    help = "Measure the platform against its floors (PostgreSQL) and write bench/results.json."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="+", choices=FIGURES, help="measure only these figures")
        parser.add_argument("--skip", nargs="+", choices=FIGURES, default=[], help="leave these figures out")
        parser.add_argument("--scale", type=float, default=1.0, help="shrink every size (CI: 0.02)")
        parser.add_argument("--repeat", type=int, default=7, help="runs per timing (the median is kept)")
        parser.add_argument(
            "--city-scale",
            type=float,
            default=0.1,
            help="size of the simulated city for its figures (1: the full city, generated once by bench_city)",
        )
        parser.add_argument("--district", default="基准区", help="name of the generated bench district")
        parser.add_argument("--output", default=str(RESULTS), help="the JSON file to write")
        parser.add_argument("--no-write", action="store_true", help="print only")

    def handle(self, *args, only, skip, scale, repeat, city_scale, district, output, no_write, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench needs PostgreSQL (set DATABASE_URL).")
        wanted = [f for f in (only or FIGURES) if f not in skip]
        started = time.perf_counter()
        shape = BENCH_DISTRICT.scaled(scale)
        name = district if scale >= 1 else f"{district}×{scale:g}"
        world, made = ensure_district(name, shape)
        self.log(
            f"bench district {name}: {len(world.estate_ids)} estates, {world.units:,} units"
            + (f" (generated in {time.perf_counter() - started:.1f} s)" if made else " (kept from an earlier run)")
        )
        figures = []
        self._votes_done = False
        sizes = {"scale": scale, "district_estates": len(world.estate_ids), "district_units": world.units}
        with override_settings(ROOT_URLCONF="bench.urls"):
            for key in wanted:
                t = time.perf_counter()
                produced = self.run_figure(
                    key, world=world, scale=scale, repeat=repeat, city_scale=min(scale, city_scale)
                )
                load = round(os.getloadavg()[0], 1)
                for figure in produced:
                    # The machine may be shared: the load beside each figure says how busy it was.
                    figure.extra.setdefault("load_average", load)
                    self.log(figure.line() + f" (load {load})")
                figures.extend(produced)
                self.log(f"  ({key}: {time.perf_counter() - t:.1f} s)")
        if not no_write:
            from pathlib import Path

            write_results(figures, path=Path(output), sizes=sizes)
            self.log(f"wrote {output}; regenerate README's table with: manage.py bench_readme")
        self.log(f"bench: {time.perf_counter() - started:.0f} s in all")

    def log(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def run_figure(self, key, *, world, scale, repeat, city_scale):
        if key == "lists":
            from bench.figures.lists import scoped_lists

            return scoped_lists(world, repeat)
        if key == "roll_api":
            from bench.figures.reads import roll_api

            return roll_api(world, repeat)
        if key == "pages":
            from bench.figures.reads import pages

            return pages(world, repeat)
        if key in ("freeze", "tally"):
            if self._votes_done:
                return []
            from bench.figures.votes import freeze_and_tally

            self._votes_done = True
            return freeze_and_tally(scale, repeat)
        if key == "intake":
            from bench.figures.intake import intake

            return intake(world, seconds=20 if scale >= 1 else 3, scale=scale)
        if key == "city":
            from bench.figures.city import city

            return city(city_scale, repeat, log=self.log)
        if key == "register":
            from bench.figures.register import register_import

            return register_import(scale)
        return []
