"""Voting codes belong to counted owners (roll entries), not to units.

Codes issued per unit cannot be carried over (one owner of several units held several), and
only their hashes were kept: they are removed, to be issued again per counted owner.
"""

import django.db.models.deletion
from django.db import migrations, models


def remove_unit_codes(apps, schema_editor):
    apps.get_model("elections", "VotingCode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0008_proxies"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="votingcode", name="voting_code_once_per_unit"),
        migrations.RunPython(remove_unit_codes, migrations.RunPython.noop),
        migrations.RemoveField(model_name="votingcode", name="unit"),
        migrations.AddField(
            model_name="votingcode",
            name="entry",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="voting_codes", to="elections.rollentry"
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="votingcode",
            constraint=models.UniqueConstraint(fields=("vote", "entry"), name="voting_code_once_per_entry"),
        ),
    ]
