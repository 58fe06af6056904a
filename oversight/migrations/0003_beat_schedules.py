"""Schedule the oversight beat jobs in django-celery-beat (editable in the admin).

The sweep at 01:30 each night (raise periodic obligations, mark overdue, warn of due dates);
the secretaries' digest at 08:00 each day; the street's digest at 08:30 each Monday.
"""

from django.db import migrations

JOBS = (
    ("oversight: nightly four-musts sweep", "oversight.tasks.oversight_sweep", {"minute": "30", "hour": "1"}),
    ("oversight: daily digest for secretaries", "oversight.tasks.daily_digest", {"minute": "0", "hour": "8"}),
    (
        "oversight: weekly digest for the street",
        "oversight.tasks.weekly_digest",
        {"minute": "30", "hour": "8", "day_of_week": "1"},
    ),
)


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, when in JOBS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=when["minute"],
            hour=when["hour"],
            day_of_week=when.get("day_of_week", "*"),
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__in=[j[1] for j in JOBS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0002_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
