"""``python manage.py reencrypt_personal_data``: every stored personal-data token under the first key of PII_KEYS."""

from django.core.management.base import BaseCommand, CommandError

from core.crypto import DecryptionError
from governance import services
from governance.scoping import SYSTEM


class Command(BaseCommand):
    help = (
        "Encrypt every stored ID number, phone number and petitioner's detail again under the first key of "
        "PII_KEYS (after a key rotation: put the new key first, run this, then drop the old keys). "
        "--check counts what is not yet under the first key, writes nothing, and exits with status 1 if any is."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="count only, write nothing")
        parser.add_argument("--batch", type=int, default=1000, help="rows per transaction (default 1000)")

    def handle(self, *args, check, batch, **options):
        if batch < 1:
            raise CommandError("--batch must be a whole number of rows, at least 1.")
        try:
            counts = services.personal_data_reencrypt(actor=SYSTEM, check=check, batch=batch)
        except DecryptionError as exc:
            raise CommandError(str(exc)) from None
        for field, n in counts.items():
            self.stdout.write(f"{field}: {n} " + ("not under the first key" if check else "encrypted again"))
        if check and any(counts.values()):
            raise SystemExit(1)
