"""``manage.py bench_readme``: rewrite README's benchmark table from bench/results.json."""

from pathlib import Path

from django.core.management.base import BaseCommand

from bench.measure import RESULTS
from bench.readme import README, regenerate, regenerate_capacity


class Command(BaseCommand):
    requires_system_checks = []  # a tool: it runs while other parts of the tree are being edited
    help = "Regenerate README's benchmark table from the results of manage.py bench."

    def add_arguments(self, parser):
        parser.add_argument("--results", default=str(RESULTS))
        parser.add_argument("--readme", default=str(README))

    def handle(self, *args, results, readme, **options):
        self.stdout.write(regenerate(Path(results), Path(readme)))
        self.stdout.write(regenerate_capacity(Path(results), Path(readme)))
