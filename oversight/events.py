"""Audit event types of the oversight layer."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class OversightEvent(models.TextChoices):
    OBLIGATION_RAISE = "obligation.raise", _("生成四必义务")
    OBLIGATION_EVIDENCE = "obligation.evidence", _("登记履职记录")
    OBLIGATION_MEET = "obligation.meet", _("四必义务已履行")
    OBLIGATION_WAIVE = "obligation.waive", _("豁免四必义务")
    OBLIGATION_OVERDUE = "obligation.overdue", _("四必义务逾期")
    OBLIGATION_SWEEP = "obligation.sweep", _("四必义务巡检")
    LEDGER_CHECK_RECORD = "ledger_check.record", _("记录账簿校验结果")
    INTERVENTION_RECORD = "intervention.record", _("登记提前介入意见")
    REVENUE_RULES_RECORD = "revenue_rules.record", _("登记公共收益管理办法")
    AUDIT_PLAN = "audit.plan", _("登记审计计划")
    AUDIT_REPORT = "audit.report", _("登记审计报告")
    AUDIT_PUBLISH = "audit.publish", _("公示审计报告")
    AUDIT_CLOSE = "audit.close", _("审计整改销号")
    AUDIT_ACTION_ADD = "audit_action.add", _("登记整改事项")
    AUDIT_ACTION_DONE = "audit_action.done", _("整改事项完成")
    PETITION_CREATE = "petition.create", _("登记信访件")
    PETITION_UPDATE = "petition.update", _("修改信访件")
    PETITION_REVEAL = "petition.reveal", _("查看信访人信息")
    PETITION_IMPORT = "petition.import", _("导入信访台账")
    PETITION_EXPORT = "petition.export", _("导出信访台账")
    BUILDING_HEAD_APPOINT = "building_head.appoint", _("任命楼栋长")
    VOLUNTEER_ENROL = "volunteer.enrol", _("登记志愿者")
    DUTY_ROSTER_CREATE = "duty_roster.create", _("新建值班表")
    DUTY_SHIFT_ASSIGN = "duty_shift.assign", _("安排值班")
    DUTY_RECORD = "duty.record", _("登记值班情况")
    FUND_ALLOCATE = "fund.allocate", _("社区下拨资金")
    COMMISSIONER_APPOINT = "commissioner.appoint", _("任命物业管理专员")
    REPORT_REQUEST = "report.request", _("申请生成报告")
    REPORT_BUILD = "report.build", _("生成报告")
    REPORT_DOWNLOAD = "report.download", _("下载报告")
    NOTICE_PREFERENCE = "notice.preference", _("修改通知设置")
