# SQLite rebuilds a table to alter its columns (0017's keys), and the rebuilt table has lost the append-only
# triggers of 0006/0007: install them again (idempotent; on PostgreSQL they are replaced by the same).

from django.db import migrations

from core.appendonly import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0017_roll_composite_keys"),
    ]

    operations = [
        append_only("elections", "RollEntry"),
        append_only("elections", "RollUnit"),
        append_only("elections", "RollOwner"),
    ]
