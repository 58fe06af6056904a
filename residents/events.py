"""Audit event types of the register."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class ResidentsEvent(models.TextChoices):
    UNIT_CREATE = "unit.create", _("登记专有部分")
    UNIT_UPDATE = "unit.update", _("修改专有部分")
    UNIT_COUNTS_REPAIR = "unit_counts.repair", _("修正小区专有部分数")
    OWNER_CREATE = "owner.create", _("登记业主")
    OWNER_UPDATE = "owner.update", _("修改业主信息")
    OWNER_REVEAL = "owner.reveal", _("查看业主完整信息")
    OWNERSHIP_TRANSFER = "ownership.transfer", _("产权转移")
    RESIDENT_MOVE_IN = "resident.move_in", _("入住")
    RESIDENT_MOVE_OUT = "resident.move_out", _("迁出")
    PARTY_MEMBER_REGISTER = "party_member.register", _("党员报到")
    PARTY_MEMBER_UPDATE = "party_member.update", _("修改党员信息")
    PARTICIPATION_RECORD = "participation.record", _("记录党员参与")
    REGISTER_IMPORT_SUBMIT = "register_import.submit", _("提交名册导入")
    REGISTER_IMPORT = "register.import", _("导入名册")
    REGISTER_IMPORT_STALLED = "register.import_stalled", _("名册导入中断")
    REGISTER_EXPORT = "register.export", _("导出名册")
