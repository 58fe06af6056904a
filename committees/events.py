"""Audit event types of the committees layer."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class CommitteesEvent(models.TextChoices):
    COMMITTEE_RECORD = "committee.record", _("登记业委会")
    COMMITTEE_RECORD_REFUSED = "committee.record_refused", _("业委会登记被拒")
    COMMITTEE_END = "committee.end", _("业委会任期结束")
    COMMITTEE_FILE = "committee.file", _("业委会备案")
    COMMITTEE_ASSIGN_POST = "committee.assign_post", _("业委会职务分工")
    SUPERVISION_GROUP_CREATE = "supervision_group.create", _("成立事务监督组")
    MEETING_CREATE = "meeting.create", _("安排会议")
    MEETING_RECORD_ATTENDANCE = "meeting.record_attendance", _("登记会议出席")
    MEETING_RECORD_MINUTES = "meeting.record_minutes", _("登记会议纪要")
    MEETING_PUBLISH_MINUTES = "meeting.publish_minutes", _("公开会议纪要")
    MEETING_ATTACH = "meeting.attach", _("上传会议附件")
    DECISION_RECORD = "decision.record", _("登记决定")
    PROPERTY_COMPANY_CREATE = "property_company.create", _("登记物业企业")
    PROPERTY_COMPANY_UPDATE = "property_company.update", _("修改物业企业")
    SERVICE_CONTRACT_CREATE = "service_contract.create", _("登记物业服务合同")
    PERFORMANCE_NOTE_CREATE = "performance_note.create", _("记录履约评价")
    PROJECT_CREATE = "project.create", _("登记项目")
    PROJECT_UPDATE = "project.update", _("修改项目")
    PROJECT_START = "project.start", _("项目开工")
    PROJECT_MILESTONE_ADD = "project.milestone_add", _("计划项目节点")
    PROJECT_MILESTONE_REACH = "project.milestone_reach", _("项目节点完成")
    PROJECT_ACCEPT = "project.accept", _("项目验收")
    LEDGER_OPEN = "ledger.open", _("开设账簿")
    LEDGER_POST = "ledger.post", _("记账")
    LEDGER_VERIFY = "ledger.verify", _("核验账簿")
    LEDGER_VERIFY_FAILED = "ledger.verify_failed", _("账簿核验失败")
    LEDGER_VOUCHER_VIEW = "ledger.voucher_view", _("查看凭证")
    SPENDING_REQUEST = "spending.request", _("提出支出申请")
    SPENDING_SPLIT_FLAG = "spending.split_flag", _("疑似拆分采购")
    SPENDING_APPROVE = "spending.approve", _("审批支出")
    SPENDING_OBJECT = "spending.object", _("对支出提出异议")
    SPENDING_PAY = "spending.pay", _("支付")
    STATEMENT_PUBLISH = "statement.publish", _("公开收支报表")
