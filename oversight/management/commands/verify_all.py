"""Verify every vote and every estate's ledger: ``python manage.py verify_all`` (exit 1 naming each failure)."""

from django.core.management.base import BaseCommand

from oversight.integrity import verify_all


class Command(BaseCommand):
    help = (
        "Verify every vote (frozen roll, hash chain, published heads, results recounted) and every estate's "
        "ledger (hash chain, published statements, audit trail); writes nothing; exit 1 naming each failure."
    )

    def add_arguments(self, parser):
        parser.add_argument("--vouchers", action="store_true", help="also check each voucher file against its digest")

    def handle(self, *args, vouchers=False, **options):
        found = verify_all(check_vouchers=vouchers)
        for failure in found.failures:
            self.stderr.write(failure)
        if not found.ok:
            self.stderr.write(
                f"verify_all: {len(found.failures)} problem(s) in {found.votes} vote(s) and {found.ledgers} ledger(s)"
            )
            raise SystemExit(1)
        self.stdout.write(f"verify_all: OK — {found.votes} vote(s) and {found.ledgers} ledger(s) verified")
