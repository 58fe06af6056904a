"""Copy each decision's text matter to its Art. 278 number; "routine" becomes empty."""

from django.db import migrations

NUMBERS = {
    "rules_of_procedure": 1,
    "covenant": 2,
    "committee": 3,
    "manager": 4,
    "use_fund": 5,
    "raise_fund": 6,
    "rebuild": 7,
    "common_parts": 8,
    "other_major": 9,
    "routine": None,
    "": None,
}
TEXTS = {number: text for text, number in NUMBERS.items() if number is not None}


def forward(apps, schema_editor):
    Decision = apps.get_model("committees", "Decision")
    for text, number in NUMBERS.items():
        Decision.objects.filter(matter_text=text).update(matter=number)


def backward(apps, schema_editor):
    Decision = apps.get_model("committees", "Decision")
    Decision.objects.filter(matter__isnull=True).update(matter_text="routine")
    for number, text in TEXTS.items():
        Decision.objects.filter(matter=number).update(matter_text=text)


class Migration(migrations.Migration):
    dependencies = [("committees", "0006_decision_matter_article_278")]

    operations = [migrations.RunPython(forward, backward)]
