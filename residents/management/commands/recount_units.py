"""``python manage.py recount_units``: compare each estate's kept unit counts with its units, and repair them."""

from django.core.management.base import BaseCommand
from django.db import transaction

from governance.scoping import SYSTEM
from residents import services


class Command(BaseCommand):
    help = (
        "Count every estate's units again and set the kept counts the pages read (EstateUnitCount) to match; "
        "list what differed. --check lists only, and exits with status 1 if anything differs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="list the differences, repair nothing")

    def handle(self, *args, check, **options):
        with transaction.atomic():
            differences = services.unit_counts_repair(actor=SYSTEM)
            if check:
                transaction.set_rollback(True)
        for row in differences:
            self.stdout.write(
                f"estate {row['estate']} {row['use']}: kept {row['kept']}, counted {row['counted']}"
                + ("" if check else " (repaired)")
            )
        if not differences:
            self.stdout.write("unit counts: all agree with the units")
        elif check:
            raise SystemExit(1)
