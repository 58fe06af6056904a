"""Check an estate's public-revenue ledger: ``python manage.py verify_ledger ESTATE``."""

from django.core.management.base import BaseCommand, CommandError

from committees import services
from governance.models import Place, PlaceKind
from governance.scoping import SYSTEM


class Command(BaseCommand):
    help = (
        "Recompute the hash chain of an estate's public-revenue ledger, check it against every published statement "
        "and report the first broken entry (the outcome is recorded in the audit trail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("estate", help="the estate's id (or its exact name)")
        parser.add_argument("--vouchers", action="store_true", help="also check each voucher file against its digest")

    def handle(self, *args, estate, vouchers=False, **options):
        lookup = {"pk": int(estate)} if estate.isdigit() else {"name": estate}
        try:
            place = Place.objects.get(kind=PlaceKind.ESTATE, **lookup)
        except (Place.DoesNotExist, Place.MultipleObjectsReturned) as exc:
            raise CommandError(f"no single estate matches {estate!r}") from exc
        result = services.ledger_check(estate=place, actor=SYSTEM, check_vouchers=vouchers)
        if not result.ok:
            raise CommandError(
                f"{place.name}: ledger broken at entry #{result.broken_sequence}: {result.problem} "
                f"({result.checked} entries before it are intact)"
            )
        self.stdout.write(self.style.SUCCESS(f"{place.name}: {result.checked} entries, hash chain intact"))
