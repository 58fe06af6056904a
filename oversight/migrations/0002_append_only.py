"""Evidence, intervention opinions, duty records and ledger-check records are append-only in the database too."""

from django.db import migrations

from core.appendonly import append_only


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial")]

    operations = [
        append_only("oversight", "Evidence"),
        append_only("oversight", "InterventionOpinion"),
        append_only("oversight", "DutyRecord"),
        append_only("oversight", "LedgerCheckRecord"),
    ]
