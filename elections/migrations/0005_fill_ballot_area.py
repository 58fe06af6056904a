"""Fill the area each existing ballot covers (its roll entry's area, in hundredths of a square metre)."""

from decimal import Decimal

from django.db import migrations


def fill(apps, schema_editor):
    Ballot = apps.get_model("elections", "Ballot")
    for ballot in Ballot.objects.filter(area_cents__isnull=True).select_related("entry").iterator(chunk_size=2000):
        Ballot.objects.filter(pk=ballot.pk).update(area_cents=int(Decimal(ballot.entry.area) * 100))


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0004_chain_links_and_ballot_area"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
