"""Serializers of the oversight API: the output of each model, and the input each write service takes."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from committees.models import Decision, Project, SpendingRequest
from elections.models import Vote
from governance.api.fields import ScopedPrimaryKeyRelatedField
from governance.models import Person, Place, PlaceKind, Post
from governance.scoping import Action
from oversight.models import (
    Audit,
    AuditAction,
    BuildingHead,
    DutyKind,
    DutyRecord,
    DutyRoster,
    DutyShift,
    Evidence,
    FundAllocation,
    InterventionOpinion,
    Notice,
    Obligation,
    Petition,
    PetitionCategory,
    PetitionChannel,
    PetitionStatus,
    Report,
    ReportFormat,
    ReportKind,
    RevenueRules,
    Satisfaction,
    Volunteer,
)
from residents.models import Skill

MONEY = {"max_digits": 14, "decimal_places": 2}


def place_field(kinds, action=Action.VIEW, **kwargs):
    return ScopedPrimaryKeyRelatedField(queryset=Place.objects.filter(kind__in=kinds), action=action, **kwargs)


class PlaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


# Obligations -----------------------------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)
    file = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "source",
            "done_on",
            "people",
            "opinion",
            "note",
            "sampled",
            "compared",
            "findings",
            "file",
            "recorded_by",
            "recorded_at",
        ]

    def get_file(self, evidence) -> bool:
        return bool(evidence.file)


class ObligationSerializer(serializers.ModelSerializer):
    estate = PlaceRefSerializer()
    kind_display = serializers.CharField(source="get_kind_display")
    state_display = serializers.CharField(source="get_state_display")
    organization = serializers.CharField(source="organization.name", default=None)
    responsible = serializers.CharField(source="responsible.name", default=None)
    met_on_time = serializers.BooleanField()
    evidence = EvidenceSerializer(many=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "key",
            "kind",
            "kind_display",
            "state",
            "state_display",
            "estate",
            "title",
            "organization",
            "responsible",
            "due_on",
            "meeting",
            "decision",
            "vote",
            "spending_request",
            "project",
            "stage",
            "period_start",
            "period_end",
            "met_on",
            "met_at",
            "met_on_time",
            "overdue_since",
            "waived_reason",
            "waived_at",
            "created_at",
            "evidence",
        ]


class EvidenceInputSerializer(serializers.Serializer):
    done_on = serializers.DateField(help_text=_("履职（列席、参与、监督、抽查）的日期。"))
    people = serializers.CharField(required=False, allow_blank=True, max_length=300)
    opinion = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)
    sampled = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    compared = serializers.CharField(required=False, allow_blank=True)
    findings = serializers.CharField(required=False, allow_blank=True)
    file = serializers.FileField(required=False)


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField()


# Party and owners' supervision ------------------------------------------------------------


class InterventionOpinionSerializer(serializers.ModelSerializer):
    estate = PlaceRefSerializer(read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)
    spending_request = ScopedPrimaryKeyRelatedField(
        queryset=SpendingRequest.objects.all(), action=Action.VIEW, required=False, allow_null=True
    )
    vote = ScopedPrimaryKeyRelatedField(
        queryset=Vote.objects.all(), action=Action.VIEW, required=False, allow_null=True
    )
    project = ScopedPrimaryKeyRelatedField(
        queryset=Project.objects.all(), action=Action.VIEW, required=False, allow_null=True
    )

    class Meta:
        model = InterventionOpinion
        fields = ["id", "estate", "spending_request", "vote", "project", "opinion", "reviewer", "created_at"]
        read_only_fields = ["created_at"]


# Legal oversight -------------------------------------------------------------------------


class RevenueRulesSerializer(serializers.ModelSerializer):
    estate = place_field([PlaceKind.ESTATE], action=Action.VIEW_PUBLIC)
    decision = ScopedPrimaryKeyRelatedField(
        queryset=Decision.objects.all(), action=Action.VIEW_PUBLIC, required=False, allow_null=True
    )
    vote = ScopedPrimaryKeyRelatedField(
        queryset=Vote.objects.all(), action=Action.VIEW_PUBLIC, required=False, allow_null=True
    )

    class Meta:
        model = RevenueRules
        fields = ["id", "estate", "title", "document", "adopted_on", "decision", "vote", "created_at"]
        read_only_fields = ["created_at"]


class AuditActionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditAction
        fields = ["id", "audit", "description", "owner", "due_on", "done_on", "evidence", "created_at"]
        read_only_fields = ["audit", "done_on", "evidence", "created_at"]


class AuditSerializer(serializers.ModelSerializer):
    estate = place_field([PlaceKind.ESTATE])
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    actions = AuditActionSerializer(many=True, read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "estate",
            "period_start",
            "period_end",
            "auditor",
            "plan",
            "planned_on",
            "state",
            "state_display",
            "reported_on",
            "findings",
            "report",
            "published_at",
            "closed_on",
            "closing_note",
            "actions",
            "created_at",
        ]
        read_only_fields = [
            "state",
            "reported_on",
            "findings",
            "report",
            "published_at",
            "closed_on",
            "closing_note",
            "created_at",
        ]
        extra_kwargs = {"planned_on": {"required": False}}


class AuditReportSerializer(serializers.Serializer):
    findings = serializers.CharField()
    reported_on = serializers.DateField()
    report = serializers.FileField(required=False)


class AuditActionDoneSerializer(serializers.Serializer):
    done_on = serializers.DateField()
    evidence = serializers.CharField()
    file = serializers.FileField(required=False)


class AuditCloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    note = serializers.CharField()


# Petitions -------------------------------------------------------------------------------


class PetitionSerializer(serializers.ModelSerializer):
    place = place_field([PlaceKind.ESTATE, PlaceKind.COMMUNITY])
    place_name = serializers.CharField(source="place.name", read_only=True)
    category = serializers.ChoiceField(choices=PetitionCategory.choices)
    channel = serializers.ChoiceField(choices=PetitionChannel.choices)
    status = serializers.ChoiceField(choices=PetitionStatus.choices, required=False)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True)
    petitioner_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=100)
    petitioner_contact = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=50)
    petitioner_name_masked = serializers.CharField(read_only=True)
    petitioner_contact_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Petition
        fields = [
            "id",
            "reference",
            "received_on",
            "place",
            "place_name",
            "category",
            "channel",
            "summary",
            "handled_by",
            "status",
            "outcome",
            "satisfaction",
            "petitioner_name",
            "petitioner_contact",
            "petitioner_name_masked",
            "petitioner_contact_masked",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class PetitionUpdateSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=PetitionCategory.choices, required=False)
    channel = serializers.ChoiceField(choices=PetitionChannel.choices, required=False)
    summary = serializers.CharField(required=False)
    handled_by = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=PetitionStatus.choices, required=False)
    outcome = serializers.CharField(required=False, allow_blank=True)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True)


class PetitionImportSerializer(serializers.Serializer):
    place = place_field([PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY])
    year = serializers.IntegerField()
    file = serializers.FileField()


class PetitionRevealSerializer(serializers.Serializer):
    petitioner_name = serializers.CharField()
    petitioner_contact = serializers.CharField()


# Self-management -------------------------------------------------------------------------


class BuildingHeadSerializer(serializers.ModelSerializer):
    building = place_field([PlaceKind.BUILDING], action=Action.VIEW_PUBLIC)
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = BuildingHead
        fields = ["id", "building", "person", "name", "start", "end"]
        read_only_fields = ["end"]


class VolunteerSerializer(serializers.ModelSerializer):
    estate = place_field([PlaceKind.ESTATE])
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    name = serializers.CharField(source="person.name", read_only=True)
    skills = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Skill.objects.all(), required=False)
    in_service_party_member = serializers.SerializerMethodField()

    class Meta:
        model = Volunteer
        fields = ["id", "estate", "person", "name", "skills", "party_member", "in_service_party_member", "joined_on"]
        read_only_fields = ["party_member"]
        extra_kwargs = {"joined_on": {"required": False}}

    def get_in_service_party_member(self, volunteer) -> bool:
        return bool(volunteer.party_member_id and volunteer.party_member.in_service)


class DutyRosterSerializer(serializers.ModelSerializer):
    estate = place_field([PlaceKind.ESTATE])
    building = place_field([PlaceKind.BUILDING], required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=DutyKind.choices)
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6))

    class Meta:
        model = DutyRoster
        fields = ["id", "estate", "kind", "title", "building", "weekdays", "starts_on", "ends_on"]


class DutyRecordSerializer(serializers.ModelSerializer):
    photo = serializers.SerializerMethodField()

    class Meta:
        model = DutyRecord
        fields = ["done", "note", "photo", "participation", "recorded_at"]

    def get_photo(self, record) -> bool:
        return bool(record.photo)


class DutyShiftSerializer(serializers.ModelSerializer):
    roster = ScopedPrimaryKeyRelatedField(queryset=DutyRoster.objects.all(), action=Action.VIEW)
    volunteer = ScopedPrimaryKeyRelatedField(queryset=Volunteer.objects.all(), action=Action.VIEW)
    volunteer_name = serializers.CharField(source="volunteer.person.name", read_only=True)
    record = DutyRecordSerializer(read_only=True, default=None)

    class Meta:
        model = DutyShift
        fields = ["id", "roster", "date", "volunteer", "volunteer_name", "record"]


class DutyRecordInputSerializer(serializers.Serializer):
    done = serializers.BooleanField()
    photo = serializers.FileField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)


# Funds and commissioners -----------------------------------------------------------------


class FundAllocationSerializer(serializers.ModelSerializer):
    community = place_field([PlaceKind.COMMUNITY])
    estate = place_field([PlaceKind.ESTATE])
    amount = serializers.DecimalField(**MONEY, min_value=0)
    voucher = serializers.FileField(write_only=True)
    ledger_sequence = serializers.IntegerField(source="posting.sequence", read_only=True)

    class Meta:
        model = FundAllocation
        fields = [
            "id",
            "community",
            "estate",
            "amount",
            "purpose",
            "allocated_on",
            "voucher",
            "posting",
            "ledger_sequence",
            "created_at",
        ]
        read_only_fields = ["posting", "created_at"]
        extra_kwargs = {"allocated_on": {"required": False}}


class CommissionerSerializer(serializers.ModelSerializer):
    estate = place_field([PlaceKind.ESTATE], source="place")
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Post
        fields = ["id", "estate", "person", "name", "start", "end"]
        read_only_fields = ["end"]


# Reports ---------------------------------------------------------------------------------


class ReportSerializer(serializers.ModelSerializer):
    place = place_field([PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY, PlaceKind.ESTATE])
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    format = serializers.ChoiceField(choices=ReportFormat.choices)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "place",
            "start",
            "end",
            "format",
            "state",
            "progress",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "download",
        ]
        read_only_fields = ["state", "progress", "error", "created_at", "started_at", "finished_at"]

    def get_download(self, report) -> str | None:
        if report.state != "done":
            return None
        return f"/api/v1/reports/{report.pk}/download/"


class ReportQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices, default=ReportKind.OVERVIEW)
    place = place_field([PlaceKind.DISTRICT, PlaceKind.STREET, PlaceKind.TOWN, PlaceKind.COMMUNITY, PlaceKind.ESTATE])
    start = serializers.DateField()
    end = serializers.DateField()


# Notices ---------------------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Notice
        fields = ["id", "kind", "kind_display", "title", "body", "obligation", "place", "created_at", "read_at"]


class NoticePreferenceSerializer(serializers.Serializer):
    email = serializers.BooleanField()
