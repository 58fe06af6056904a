from django.db import migrations

# The starting list of skills; a district edits it in the admin.
SKILLS = [
    ("engineer", "工程师"),
    ("cost_engineer", "造价工程师"),
    ("lawyer", "律师"),
    ("accountant", "会计师"),
    ("auditor", "审计师"),
    ("architect", "建筑师"),
    ("electrician", "电工"),
    ("fire_safety", "消防工程师"),
    ("doctor", "医生"),
    ("teacher", "教师"),
    ("social_worker", "社会工作者"),
    ("it", "信息技术"),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("residents", "Skill")
    for code, name in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    Skill = apps.get_model("residents", "Skill")
    Skill.objects.filter(code__in=[c for c, _n in SKILLS], members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_occupancy_party_members_imports")]
    operations = [migrations.RunPython(seed, unseed)]
