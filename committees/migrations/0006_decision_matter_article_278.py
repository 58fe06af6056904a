"""Decision.matter becomes the Art. 278 matter as elections numbers it (1–9); empty means routine business.

Schema only: the text column is kept as ``matter_text`` until ``0007`` has copied it over.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("committees", "0005_balance_trigger_skips_removed_rows")]

    operations = [
        migrations.RenameField(model_name="decision", old_name="matter", new_name="matter_text"),
        migrations.AlterField(
            model_name="decision",
            name="matter_text",
            field=models.CharField(blank=True, default="routine", max_length=32),
        ),
        migrations.AddField(
            model_name="decision",
            name="matter",
            field=models.PositiveSmallIntegerField(
                blank=True,
                choices=[
                    (None, "日常事务"),
                    (1, "制定和修改业主大会议事规则"),
                    (2, "制定和修改管理规约"),
                    (3, "选举业主委员会或者更换业主委员会成员"),
                    (4, "选聘和解聘物业服务企业或者其他管理人"),
                    (5, "使用建筑物及其附属设施的维修资金"),
                    (6, "筹集建筑物及其附属设施的维修资金"),
                    (7, "改建、重建建筑物及其附属设施"),
                    (8, "改变共有部分的用途或者利用共有部分从事经营活动"),
                    (9, "有关共有和共同管理权利的其他重大事项"),
                ],
                null=True,
                verbose_name="事项（民法典第278条）",
            ),
        ),
    ]
