from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from committees import selectors
from committees.models import (
    ROUTINE_LABEL,
    Account,
    Decision,
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    MeetingAttachment,
    MeetingKind,
    OwnersCommittee,
    PerformanceNote,
    Project,
    ProjectMilestone,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    Stage,
    Statement,
    SupervisionGroup,
)
from committees.rules import RuleMemo
from elections.models import Matter
from governance.api.fields import ScopedPrimaryKeyRelatedField
from governance.models import Organization, Person, Place, PlaceKind, PostKind
from governance.scoping import Action
from residents.models import Owner, PartyMember

ESTATES = Place.objects.filter(kind=PlaceKind.ESTATE)
MONEY = {"max_digits": 14, "decimal_places": 2}


def estate_field(**kwargs):
    return ScopedPrimaryKeyRelatedField(queryset=ESTATES, action=Action.VIEW, **kwargs)


def _rules(context) -> RuleMemo:
    """The request's memo of the configurable rules (one lookup per rule and district per request)."""
    if "rules" not in context:
        context["rules"] = RuleMemo()
    return context["rules"]


# Committees -----------------------------------------------------------------------------


class CommitteeMemberSerializer(serializers.Serializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    kind = serializers.ChoiceField(choices=[PostKind.CHAIR, PostKind.VICE_CHAIR, PostKind.MEMBER])


class CommitteePostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    person = serializers.IntegerField(source="person_id")
    name = serializers.CharField(source="person.name")
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class CommitteeSummarySerializer(serializers.Serializer):
    members = serializers.IntegerField()
    party_members = serializers.IntegerField()
    party_member_share = serializers.CharField(help_text=_("党员占比（百分数）。"))
    meets_party_target = serializers.BooleanField()
    chair_id = serializers.IntegerField(allow_null=True)
    chair_is_secretary = serializers.BooleanField()
    days_left = serializers.IntegerField()
    lapsed = serializers.BooleanField()
    filing_overdue = serializers.BooleanField()


class OwnersCommitteeSerializer(serializers.ModelSerializer):
    estate = estate_field()
    members = CommitteeMemberSerializer(many=True, write_only=True)
    party_branch = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), allow_null=True, required=False)
    posts = CommitteePostSerializer(many=True, read_only=True)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = OwnersCommittee
        fields = [
            "id",
            "estate",
            "term_start",
            "term_end",
            "election",
            "filed_on",
            "filing_reference",
            "party_branch",
            "status",
            "ended_on",
            "entered_by_hand",
            "members",
            "posts",
            "summary",
        ]
        read_only_fields = ["election", "status", "ended_on", "entered_by_hand"]
        extra_kwargs = {"term_end": {"required": False}}
        # No "one current committee per estate" validator: recording the next committee ends the
        # current one (committee_record), so the model's constraint holds without refusing the request.
        validators = []

    @extend_schema_field(CommitteeSummarySerializer)
    def get_summary(self, committee) -> dict:
        summary = (self.context.get("summaries") or {}).get(committee.pk)
        if summary is None:
            summary = selectors.committee_summary(committee, rules=_rules(self.context))
        return CommitteeSummarySerializer(summary).data


class CommitteeFileSerializer(serializers.Serializer):
    filed_on = serializers.DateField()
    reference = serializers.CharField(max_length=100)


class AssignPostSerializer(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    kind = serializers.ChoiceField(choices=[PostKind.CHAIR, PostKind.VICE_CHAIR, PostKind.MEMBER])
    on = serializers.DateField(required=False)


class SupervisionGroupSerializer(serializers.ModelSerializer):
    estate = estate_field()
    members = ScopedPrimaryKeyRelatedField(queryset=Owner.objects.all(), many=True, action=Action.VIEW)

    class Meta:
        model = SupervisionGroup
        fields = ["id", "estate", "term_start", "term_end", "members"]


# Meetings -------------------------------------------------------------------------------


class DecisionSerializer(serializers.ModelSerializer):
    matter = serializers.ChoiceField(
        choices=Matter.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("民法典第278条所列事项（1–9）；日常事务留空。"),
    )
    matter_display = serializers.SerializerMethodField()
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)

    class Meta:
        model = Decision
        fields = [
            "id",
            "text",
            "matter",
            "matter_display",
            "is_major",
            "members_total",
            "members_present",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "passed",
            "party_org_participated",
        ]
        read_only_fields = ["members_total", "members_present"]

    @extend_schema_field(serializers.CharField())
    def get_matter_display(self, decision) -> str:
        return str(decision.get_matter_display() if decision.matter is not None else ROUTINE_LABEL)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = MeetingAttachment
        fields = ["id", "title", "url", "created_at"]

    @extend_schema_field(serializers.URLField())
    def get_url(self, attachment) -> str:
        """The download address: served only to those who may read the meeting."""
        url = reverse("meeting-attachment-file", args=[attachment.meeting_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MeetingSerializer(serializers.ModelSerializer):
    estate = estate_field()
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    agenda = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    decisions = DecisionSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    attendee_names = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "estate",
            "kind",
            "committee",
            "title",
            "held_at",
            "location",
            "agenda",
            "attendees",
            "attendee_names",
            "party_org_attended",
            "property_company_attended",
            "supervision_group_attended",
            "minutes",
            "minutes_published_at",
            "decisions",
            "attachments",
        ]
        read_only_fields = [
            "committee",
            "attendees",
            "party_org_attended",
            "property_company_attended",
            "supervision_group_attended",
            "minutes",
            "minutes_published_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_attendee_names(self, meeting) -> list[str]:
        return [p.name for p in meeting.attendees.all()]


class AttendanceSerializer(serializers.Serializer):
    attendees = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), many=True, action=Action.VIEW)
    party_org = serializers.BooleanField(default=False)
    property_company = serializers.BooleanField(default=False)
    supervision_group = serializers.BooleanField(default=False)


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField()


class AttachSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, default="")
    file = serializers.FileField()


# Property companies ---------------------------------------------------------------------


class PropertyCompanySerializer(serializers.ModelSerializer):
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), action=Action.VIEW)
    party_branch = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), allow_null=True, required=False)

    class Meta:
        model = PropertyCompany
        fields = ["id", "name", "credit_code", "place", "party_branch", "contact"]


class PropertyCompanyUpdateSerializer(PropertyCompanySerializer):
    """A company's name and where it is registered do not change; its contact, credit code and branch may."""

    place = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(PropertyCompanySerializer.Meta):
        read_only_fields = ["name"]


class PerformanceNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = PerformanceNote
        fields = ["id", "noted_on", "rating", "text", "author", "created_at"]
        read_only_fields = ["author", "created_at"]


class ServiceContractSerializer(serializers.ModelSerializer):
    estate = estate_field()
    company = serializers.PrimaryKeyRelatedField(queryset=PropertyCompany.objects.all())
    performance_notes = PerformanceNoteSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceContract
        fields = ["id", "estate", "company", "start", "end", "fee_per_m2_month", "notes", "performance_notes"]


# Projects -------------------------------------------------------------------------------


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectMilestone
        fields = ["id", "title", "planned_on", "reached_on", "note"]
        read_only_fields = ["reached_on", "note"]


class ProjectSerializer(serializers.ModelSerializer):
    estate = estate_field()
    expert_team = ScopedPrimaryKeyRelatedField(
        queryset=PartyMember.objects.all(), many=True, required=False, action=Action.VIEW
    )
    is_major = serializers.SerializerMethodField()
    budget_saving = serializers.DecimalField(read_only=True, allow_null=True, **MONEY)
    schedule_saving_days = serializers.IntegerField(read_only=True, allow_null=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "estate",
            "title",
            "description",
            "budget",
            "contractor",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "actual_cost",
            "accepted_on",
            "acceptance_note",
            "expert_team",
            "is_major",
            "budget_saving",
            "schedule_saving_days",
            "milestones",
        ]
        # The works' progress is recorded by the start, milestone and acceptance actions.
        read_only_fields = ["actual_start", "actual_end", "actual_cost", "accepted_on", "acceptance_note"]

    @extend_schema_field(serializers.BooleanField())
    def get_is_major(self, project) -> bool:
        return project.major_under(_rules(self.context))


class ProjectUpdateSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        read_only_fields = [*ProjectSerializer.Meta.read_only_fields, "estate"]


class ProjectStartSerializer(serializers.Serializer):
    on = serializers.DateField()


class MilestoneReachSerializer(serializers.Serializer):
    milestone = serializers.IntegerField()
    reached_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectAcceptSerializer(serializers.Serializer):
    accepted_on = serializers.DateField()
    actual_end = serializers.DateField()
    actual_cost = serializers.DecimalField(min_value=Decimal("0"), **MONEY)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ExpertCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="person.name")
    in_service = serializers.BooleanField()
    skills = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_skills(self, member) -> list[str]:
        return [k.code for k in member.skills.all()]


# Ledger ---------------------------------------------------------------------------------


class AccountSerializer(serializers.ModelSerializer):
    balance = serializers.SerializerMethodField()

    class Meta:
        model = Account
        fields = ["id", "estate", "code", "name", "kind", "balance"]

    @extend_schema_field(serializers.DecimalField(**MONEY))
    def get_balance(self, account) -> str:
        balances = self.context.get("balances")
        if balances is None:
            balances = selectors.balances_by_account([account.pk])
        return str(balances.get(account.pk, Decimal("0.00")))


class LedgerOpenSerializer(serializers.Serializer):
    estate = estate_field()
    opening_balance = serializers.DecimalField(required=False, default=Decimal("0"), min_value=Decimal("0"), **MONEY)
    date = serializers.DateField(required=False)
    voucher = serializers.FileField(required=False, allow_null=True)


class LegSerializer(serializers.ModelSerializer):
    account_code = serializers.CharField(source="account.code", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)

    class Meta:
        model = LedgerLeg
        fields = ["account", "account_code", "account_name", "debit", "credit"]


class LegInputSerializer(serializers.Serializer):
    account = ScopedPrimaryKeyRelatedField(queryset=Account.objects.all(), action=Action.VIEW)
    debit = serializers.DecimalField(default=Decimal("0"), **MONEY)
    credit = serializers.DecimalField(default=Decimal("0"), **MONEY)


class LedgerTransactionSerializer(serializers.ModelSerializer):
    """An entry with its legs and voucher. Read-only once written: there is no update."""

    legs = LegSerializer(many=True, read_only=True)
    recorded_by_name = serializers.SerializerMethodField()
    voucher = serializers.SerializerMethodField()

    class Meta:
        model = LedgerTransaction
        fields = [
            "id",
            "estate",
            "sequence",
            "date",
            "memo",
            "voucher",
            "voucher_sha256",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
            "reverses",
            "reason",
            "previous_hash",
            "hash",
            "legs",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_voucher(self, tx) -> str | None:
        """The voucher's download address, served only to those who may read the ledger."""
        if not tx.voucher:
            return None
        url = reverse("ledger-transaction-voucher", args=[tx.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(serializers.CharField())
    def get_recorded_by_name(self, tx) -> str:
        user = tx.recorded_by
        if user is None:
            return ""
        return user.person.name if user.person_id else user.username


class LedgerPostSerializer(serializers.Serializer):
    """Input of a new entry; ``legs`` is a list (or, in a multipart upload, a JSON string)."""

    estate = estate_field()
    date = serializers.DateField()
    memo = serializers.CharField(max_length=300)
    voucher = serializers.FileField()
    legs = serializers.JSONField()

    def validate_legs(self, value):
        serializer = LegInputSerializer(data=value, many=True, context=self.context)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    date = serializers.DateField(required=False)
    voucher = serializers.FileField(required=False, allow_null=True)


# Spending -------------------------------------------------------------------------------


class SpendingApprovalSerializer(serializers.ModelSerializer):
    approver_name = serializers.SerializerMethodField()

    class Meta:
        model = SpendingApproval
        fields = ["id", "stage", "approver", "approver_name", "approved_at", "seen", "decision", "resolution_vote"]

    @extend_schema_field(serializers.CharField())
    def get_approver_name(self, approval) -> str:
        user = approval.approver
        return user.person.name if user.person_id else user.username


class SpendingRequestSerializer(serializers.ModelSerializer):
    estate = estate_field()
    purpose = ScopedPrimaryKeyRelatedField(queryset=Account.objects.all(), action=Action.VIEW)
    approvals = SpendingApprovalSerializer(many=True, read_only=True)
    required_stages = serializers.SerializerMethodField()

    class Meta:
        model = SpendingRequest
        fields = [
            "id",
            "estate",
            "payee",
            "purpose",
            "description",
            "amount",
            "requested_on",
            "requested_by",
            "status",
            "split_flagged",
            "split_reason",
            "split_total",
            "required_stages",
            "approvals",
            "payment",
        ]
        read_only_fields = ["requested_by", "status", "split_flagged", "split_reason", "split_total", "payment"]
        extra_kwargs = {"requested_on": {"required": False}}

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Stage.choices)))
    def get_required_stages(self, request) -> list[str]:
        return request.required_stages(_rules(self.context))


class ApproveSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    seen = serializers.CharField(help_text=_("审批人审阅了哪些材料。"))
    decision = ScopedPrimaryKeyRelatedField(
        queryset=Decision.objects.all(), action=Action.VIEW_PUBLIC, required=False, allow_null=True
    )
    resolution_vote = serializers.IntegerField(required=False, allow_null=True)


class PaySerializer(serializers.Serializer):
    date = serializers.DateField()
    voucher = serializers.FileField()


# Statements -----------------------------------------------------------------------------


class StatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Statement
        fields = [
            "id",
            "estate",
            "period_start",
            "period_end",
            "figures",
            "figures_hash",
            "last_sequence",
            "chain_head",
            "published_at",
            "published_by",
        ]
        read_only_fields = fields


class StatementPeriodSerializer(serializers.Serializer):
    estate = estate_field()
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)


# Responses of actions that are not a model -----------------------------------------------


class LedgerCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    checked = serializers.IntegerField(help_text=_("核验通过的凭证数。"))
    broken_sequence = serializers.IntegerField(allow_null=True)
    problem = serializers.CharField(allow_blank=True)


class EstateNameSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
