"""``manage.py bench_import_once --units N``: one register import beside its COPY floor (run by ``bench``)."""

import json

from django.core.management.base import BaseCommand

from bench.figures.register import import_once


class Command(BaseCommand):
    requires_system_checks = []  # a tool: it runs while other parts of the tree are being edited
    help = "Import one generated register and COPY the same rows (a child process of manage.py bench)."

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, required=True)
        parser.add_argument("--rounds", type=int, default=1, help="alternated rounds (import first, then floor first)")

    def handle(self, *args, units, rounds, **options):
        self.stdout.write("RESULT " + json.dumps(import_once(units, rounds)))
