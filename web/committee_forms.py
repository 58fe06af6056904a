"""The committee's and the supervisors' forms: what each service needs, labelled, refusals put by their fields."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from committees.models import AccountKind, MeetingKind, Stage
from committees.selectors import previous_quarter
from elections.models import Matter
from web.forms import DateInput, DateTimeInput, PageForm, UploadRefusals, money_field


def _agenda(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class MeetingForm(PageForm):
    FIELD_OF_CODE = {"bad_kind": "kind", "naive_datetime": "held_at", "no_committee": "kind"}

    kind = forms.ChoiceField(label=_("会议类型"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("会议名称"), max_length=200)
    held_at = forms.DateTimeField(
        label=_("会议时间"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    agenda = forms.CharField(
        label=_("议程"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一项；业委会会议的议程须提前 7 天公告。"),
    )

    def clean_held_at(self):
        value = self.cleaned_data["held_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "title": data["title"],
            "held_at": data["held_at"],
            "location": data["location"],
            "agenda": _agenda(data["agenda"]),
        }


class AttendanceForm(PageForm):
    attendees = forms.MultipleChoiceField(label=_("出席人员"), required=False, widget=forms.CheckboxSelectMultiple)
    party_org = forms.BooleanField(label=_("社区党组织列席（必列席）"), required=False)
    property_company = forms.BooleanField(label=_("物业企业列席"), required=False)
    supervision_group = forms.BooleanField(label=_("事务监督组列席"), required=False)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = [(str(p.pk), p.name) for p in people]


class MinutesForm(PageForm):
    FIELD_OF_CODE = {"no_minutes": "minutes"}

    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 8}))


class DecisionForm(PageForm):
    FIELD_OF_CODE = {
        "too_many_votes": "votes_for",
        "bad_matter": "matter",
        "bad_votes": "votes_for",
        "passed_required": "passed",
        "no_quorum": "votes_for",
    }

    text = forms.CharField(label=_("决定内容"), widget=forms.Textarea(attrs={"rows": 3}))
    matter = forms.TypedChoiceField(
        label=_("事项（民法典第278条）"),
        choices=[("", _("日常事务")), *Matter.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    is_major = forms.BooleanField(label=_("重大事项"), required=False)
    votes_for = forms.IntegerField(label=_("赞成"), min_value=0, initial=0)
    votes_against = forms.IntegerField(label=_("反对"), min_value=0, initial=0)
    votes_abstain = forms.IntegerField(label=_("弃权"), min_value=0, initial=0)
    passed = forms.TypedChoiceField(
        label=_("是否通过（业委会会议按票数自动计算）"),
        choices=[("", "—"), ("1", _("通过")), ("0", _("未通过"))],
        coerce=lambda v: v == "1",
        empty_value=None,
        required=False,
    )
    party_org_participated = forms.BooleanField(label=_("社区党组织参与决策（必参与）"), required=False)


class AttachmentForm(UploadRefusals, PageForm):
    FILE_FIELD = "file"

    title = forms.CharField(label=_("附件名称"), max_length=200, required=False)
    file = forms.FileField(label=_("文件（签到表、照片、方案等）"))


class IncomeForm(UploadRefusals, PageForm):
    FILE_FIELD = "voucher"
    FIELD_OF_CODE = {
        "not_income": "source",
        "sub_fen_amount": "amount",
        "bad_leg": "amount",
        "memo_required": "memo",
        "voucher_required": "voucher",
        "future_date": "date",
        "period_closed": "date",
    }

    source = forms.ChoiceField(label=_("收入来源（科目）"))
    amount = money_field(_("金额（元）"))
    date = forms.DateField(label=_("记账日期"), widget=DateInput())
    memo = forms.CharField(label=_("摘要"), max_length=300)
    voucher = forms.FileField(label=_("凭证（收据、发票或合同，PDF 或图片）"))

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [
            (a.code, f"{a.code} {a.name}") for a in accounts if a.kind == AccountKind.INCOME
        ]
        self.fields["date"].initial = timezone.localdate()


class ReverseForm(UploadRefusals, PageForm):
    FILE_FIELD = "voucher"
    FIELD_OF_CODE = {
        "reason_required": "reason",
        "future_date": "date",
        "period_closed": "date",
        "insufficient_funds": "date",
    }

    reason = forms.CharField(label=_("冲销原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    date = forms.DateField(label=_("冲销日期"), widget=DateInput(), required=False)
    voucher = forms.FileField(label=_("更正凭证（可不附，沿用原凭证）"), required=False)


class StatementForm(PageForm):
    FIELD_OF_CODE = {"bad_period": "period_end", "period_not_over": "period_end", "overlapping_period": "period_start"}

    period_start = forms.DateField(label=_("期间开始"), widget=DateInput())
    period_end = forms.DateField(label=_("期间结束"), widget=DateInput())


class SpendingForm(PageForm):
    FIELD_OF_CODE = {"bad_amount": "amount", "bad_purpose": "purpose", "payee_required": "payee"}

    payee = forms.CharField(label=_("收款方"), max_length=200)
    purpose = forms.ChoiceField(label=_("用途（支出科目）"))
    amount = money_field(_("金额（元）"))
    requested_on = forms.DateField(label=_("申请日期"), widget=DateInput(), required=False)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            (a.code, f"{a.code} {a.name}") for a in accounts if a.kind == AccountKind.EXPENSE
        ]


class ApprovalForm(PageForm):
    FIELD_OF_CODE = {
        "seen_required": "seen",
        "basis_required": "decision",
        "foreign_decision": "decision",
        "decision_failed": "decision",
        "foreign_vote": "resolution_vote",
        "vote_failed": "resolution_vote",
        "bad_time": "seen",
    }

    stage = forms.ChoiceField(label=_("审批环节"), choices=Stage.choices, widget=forms.HiddenInput)
    seen = forms.CharField(
        label=_("审阅材料"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("写明您看过的材料：说明、比价记录、文件编号等。"),
    )
    decision = forms.TypedChoiceField(label=_("依据的会议决定"), coerce=int, empty_value=None, required=False)
    resolution_vote = forms.TypedChoiceField(
        label=_("或依据的业主大会表决"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args, decisions=(), votes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [
            ("", "—"),
            *((d.pk, f"{d.meeting.held_at:%Y-%m-%d} {d.text[:40]}") for d in decisions),
        ]
        self.fields["resolution_vote"].choices = [("", "—"), *((v.pk, v.title) for v in votes)]


class ObjectionForm(PageForm):
    FIELD_OF_CODE = {"opinion_required": "opinion", "already_decided": "opinion"}

    opinion = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}))


class PaymentForm(UploadRefusals, PageForm):
    FILE_FIELD = "voucher"
    FIELD_OF_CODE = {
        "future_date": "date",
        "period_closed": "date",
        "insufficient_funds": "date",
        "voucher_required": "voucher",
    }

    date = forms.DateField(label=_("支付日期"), widget=DateInput())
    voucher = forms.FileField(label=_("支付凭证（发票、转账回单）"))


class ContractForm(PageForm):
    FIELD_OF_CODE = {"end_before_start": "end", "negative_fee": "fee_per_m2_month", "overlapping_contract": "start"}

    company = forms.TypedChoiceField(label=_("物业服务企业"), coerce=int)
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())
    fee_per_m2_month = forms.DecimalField(
        label=_("物业费（元/平方米·月）"), max_digits=8, decimal_places=2, min_value=0
    )
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [(c.pk, c.name) for c in companies]


class NoteForm(PageForm):
    FIELD_OF_CODE = {"bad_rating": "rating"}

    noted_on = forms.DateField(label=_("日期"), widget=DateInput())
    rating = forms.TypedChoiceField(
        label=_("评分（1–5）"),
        choices=[("", "—"), *((i, str(i)) for i in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    text = forms.CharField(label=_("履约情况"), widget=forms.Textarea(attrs={"rows": 3}))


class ProjectStartForm(PageForm):
    FIELD_OF_CODE = {"end_before_start": "on"}

    on = forms.DateField(label=_("开工日期"), widget=DateInput())


class MilestoneForm(PageForm):
    FIELD_OF_CODE = {"title_required": "title"}

    title = forms.CharField(label=_("节点名称"), max_length=200)
    planned_on = forms.DateField(label=_("计划日期"), widget=DateInput(), required=False)


class MilestoneReachForm(PageForm):
    FIELD_OF_CODE = {"before_start": "reached_on"}

    milestone = forms.TypedChoiceField(label=_("节点"), coerce=int)
    reached_on = forms.DateField(label=_("完成日期"), widget=DateInput())
    note = forms.CharField(label=_("现场情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [(m.pk, m.title) for m in milestones]


class AcceptanceForm(PageForm):
    FIELD_OF_CODE = {
        "accepted_before_end": "accepted_on",
        "end_before_start": "actual_end",
        "negative_cost": "actual_cost",
    }

    actual_end = forms.DateField(label=_("实际完工日期"), widget=DateInput())
    accepted_on = forms.DateField(label=_("验收日期"), widget=DateInput())
    actual_cost = money_field(_("实际费用（元）"))
    note = forms.CharField(label=_("验收意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


def previous_quarter_initial(today: datetime.date | None = None) -> dict:
    start, end = previous_quarter(today)
    return {"period_start": start, "period_end": end}
