from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("committees", "0007_decision_matter_data")]

    operations = [migrations.RemoveField(model_name="decision", name="matter_text")]
