"""A published statement pins the chain head it covers; projects get their milestones and acceptance."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("committees", "0008_remove_decision_matter_text")]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="chain_head",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="截至凭证哈希"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="project",
            name="accepted_on",
            field=models.DateField(blank=True, null=True, verbose_name="验收日期"),
        ),
        migrations.AddField(
            model_name="project",
            name="acceptance_note",
            field=models.TextField(blank=True, default="", verbose_name="验收意见"),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ProjectMilestone",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("title", models.CharField(max_length=200, verbose_name="节点")),
                ("planned_on", models.DateField(blank=True, null=True, verbose_name="计划日期")),
                ("reached_on", models.DateField(blank=True, null=True, verbose_name="完成日期")),
                ("note", models.TextField(blank=True, verbose_name="说明")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="milestones",
                        to="committees.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "项目节点",
                "verbose_name_plural": "项目节点",
                "ordering": ["project_id", "planned_on", "pk"],
            },
        ),
    ]
