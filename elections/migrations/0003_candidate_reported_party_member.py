from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("elections", "0002_beat_close_due_votes"),
    ]

    operations = [
        migrations.AddField(
            model_name="candidate",
            name="reported_party_member",
            field=models.BooleanField(default=False, verbose_name="自报党员"),
        ),
    ]
