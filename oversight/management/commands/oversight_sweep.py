import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.scoping import SYSTEM
from oversight import services


class Command(BaseCommand):
    help = (
        "Run the oversight beat job by hand: raise periodic obligations, meet evidenced ones, mark overdue ones, "
        "warn of due dates. Idempotent: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="run as of this date (YYYY-MM-DD)")

    def handle(self, *args, **options):
        today = options.get("today")
        if today and today > timezone.localdate():
            raise CommandError("--today cannot be in the future")
        result = services.obligations_sweep(actor=SYSTEM, today=today)
        self.stdout.write(
            f"oversight sweep: {result.raised} raised, {result.met} met from lower records, "
            f"{result.overdue} marked overdue, {result.due_soon} due-soon notices"
        )
