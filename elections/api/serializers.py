from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from elections.models import (
    PAPER_CHANNELS_ORDERED,
    Ballot,
    BallotBox,
    Candidate,
    Channel,
    Choice,
    GroupBody,
    NominatedBy,
    NoticePosting,
    PreparatoryGroup,
    PreparatoryMember,
    Proxy,
    TallyState,
    TieSettlement,
    Vote,
    VoteKind,
    VoteStatus,
    VoteStep,
)
from governance.api.fields import ScopedPrimaryKeyRelatedField
from governance.models import Place, PlaceKind, User
from governance.scoping import Action
from residents.models import Owner


class VoteSerializer(serializers.ModelSerializer):
    threshold = serializers.CharField(read_only=True)
    passed = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = [
            "id",
            "estate",
            "kind",
            "title",
            "description",
            "matter",
            "seats",
            "status",
            "threshold",
            "notice_starts",
            "notice_days",
            "opens_at",
            "closes_at",
            "objection_days",
            "objection_ends",
            "extension_allowed",
            "extended",
            "original_closes_at",
            "roll_frozen_at",
            "roll_total_area",
            "roll_total_owners",
            "tally_state",
            "result_date",
            "filing_due",
            "filed_on",
            "filing_reference",
            "cancel_reason",
            "follows",
            "follow_up",
            "passed",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_passed(self, vote) -> bool | None:
        """Whether a resolution passed, by its current result (none while voting again after an extension)."""
        results = getattr(vote, "prefetched_results", None)
        if vote.is_election:
            return None
        if results is not None:
            open_again = vote.status in (VoteStatus.VOTING, VoteStatus.COUNTING) and vote.tally_state != TallyState.DONE
            counted = results and not open_again
            return bool(results[-1].data.get("passed")) if counted else None
        return vote.passed


class VoteCreateSerializer(serializers.Serializer):
    estate = ScopedPrimaryKeyRelatedField(
        queryset=Place.objects.filter(kind=PlaceKind.ESTATE), action=Action.VIEW_PUBLIC
    )
    kind = serializers.ChoiceField(choices=VoteKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    matter = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9)
    seats = serializers.IntegerField(required=False, allow_null=True)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    extension_allowed = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs["kind"] == VoteKind.RESOLUTION and not attrs.get("matter"):
            raise serializers.ValidationError({"matter": _("表决须指明《民法典》第二百七十八条的事项（1–9）。")})
        if attrs["kind"] == VoteKind.COMMITTEE_ELECTION and not attrs.get("seats"):
            raise serializers.ValidationError({"seats": _("选举须指明应选名额。")})
        return attrs


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    body = serializers.ChoiceField(choices=GroupBody.choices)
    leads = serializers.BooleanField(default=False)


class PreparatoryGroupInputSerializer(serializers.Serializer):
    members = MemberSerializer(many=True)


class PreparatoryMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = PreparatoryMember
        fields = ["name", "body", "leads"]


class PreparatoryGroupSerializer(serializers.ModelSerializer):
    members = PreparatoryMemberSerializer(many=True, read_only=True)

    class Meta:
        model = PreparatoryGroup
        fields = ["vote", "posted_at", "members"]


class CandidateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Candidate
        fields = [
            "id",
            "vote",
            "owner",
            "name",
            "nominated_by",
            "statement",
            "is_party_member",
            "reported_party_member",
            "eligible",
            "review_reason",
            "reviewed_at",
            "nominated_at",
        ]
        read_only_fields = fields


class CandidateCreateSerializer(serializers.Serializer):
    owner = ScopedPrimaryKeyRelatedField(queryset=Owner.objects.select_related("person"), action=Action.VIEW_PUBLIC)
    nominated_by = serializers.ChoiceField(choices=NominatedBy.choices)
    statement = serializers.CharField(required=False, allow_blank=True, default="")
    reported_party_member = serializers.BooleanField(required=False, default=False)


class ReviewSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=VoteStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    filing_reference = serializers.CharField(required=False, allow_blank=True, default="")
    filed_on = serializers.DateField(required=False, allow_null=True, default=None)


class ExtendSerializer(serializers.Serializer):
    closes_at = serializers.DateTimeField()


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "the id of a registered, accepted proxy"},
            {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "name": {"type": "string", "maxLength": 100}},
            },
        ]
    }
)
class ProxyReferenceField(serializers.Field):
    """A registered proxy, by its id, or ``{"id"}`` / ``{"name"}`` (the name registered, for staff entry).

    Anything else a client sends (a typed mandate number, say) proves nothing and is ignored:
    the service accepts only a proxy registered with its mandate and accepted by staff.
    """

    # Braces doubled: DRF formats the message (``fail`` → ``str.format``).
    default_error_messages = {"invalid": _('受托人须为已登记委托的编号，或 {{"id": 编号}} / {{"name": 姓名}}。')}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return {"id": data, "name": ""}
        if isinstance(data, dict):
            proxy_id, name = data.get("id"), data.get("name", "")
            if (proxy_id is not None and (isinstance(proxy_id, bool) or not isinstance(proxy_id, int))) or not (
                isinstance(name, str) and len(name) <= 100
            ):
                self.fail("invalid")
            return {"id": proxy_id, "name": name}
        self.fail("invalid")

    def to_representation(self, value):
        return value


class ProxySerializer(serializers.ModelSerializer):
    """A registered proxy as staff see it (the mandate itself is fetched from its own URL)."""

    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = Proxy
        fields = [
            "id",
            "vote",
            "owner",
            "owner_name",
            "user",
            "name",
            "mandate_type",
            "status",
            "registered_at",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class ProxyRegisterSerializer(serializers.Serializer):
    owner = ScopedPrimaryKeyRelatedField(queryset=Owner.objects.select_related("person"), action=Action.VIEW_PUBLIC)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.select_related("person"), required=False, allow_null=True
    )
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    mandate = serializers.FileField()


class ProxyDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BallotCastSerializer(serializers.Serializer):
    owner = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices)
    approve = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    choice = serializers.ChoiceField(choices=Choice.choices, required=False, allow_blank=True, default="")
    proxy = ProxyReferenceField(required=False, allow_null=True, default=None)
    paper_serial = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    box = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    spoiled = serializers.BooleanField(
        required=False, default=False, help_text=_("纸质选票空白或作废：无效票，计入参与表决。")
    )
    write_in = serializers.BooleanField(
        required=False, default=False, help_text=_("选票写了非候选人：无效票，计入参与表决。")
    )
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    voting_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class BallotSerializer(serializers.ModelSerializer):
    """A ballot as staff see it in the entry log: never whose it is by name, never the choice."""

    key = serializers.CharField(source="entry.key", read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "seq",
            "key",
            "channel",
            "valid",
            "voided",
            "paper_serial",
            "reference",
            "cast_at",
            "receipt_hash",
            "hash",
        ]
        read_only_fields = fields


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PaperSerialsSerializer(serializers.Serializer):
    serials = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)


class PaperSerialVoidSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=40)
    reason = serializers.CharField()


class VoteStepSerializer(serializers.ModelSerializer):
    """A step of the lifecycle; who took it is shown to staff and auditors only (``show_actor`` in the context)."""

    actor = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, step) -> str | None:
        if not self.context.get("show_actor") or step.actor_id is None:
            return None
        return step.actor.username

    class Meta:
        model = VoteStep
        fields = ["from_status", "to_status", "actor", "at", "reason"]
        read_only_fields = fields


class VotingCodeSlipSerializer(serializers.Serializer):
    units = serializers.ListField(child=serializers.CharField())
    area = serializers.DecimalField(max_digits=14, decimal_places=2)
    code = serializers.CharField()
    developer = serializers.BooleanField()


class VotingCodeSheetSerializer(serializers.Serializer):
    """The voting codes just issued for one building's counted owners, shown once, to print and seal."""

    building = serializers.CharField()
    slips = VotingCodeSlipSerializer(many=True)


class BallotBoxSerializer(serializers.ModelSerializer):
    class Meta:
        model = BallotBox
        fields = ["id", "label", "channel", "sealed_at", "witnesses", "entry_done_at"]
        read_only_fields = fields


class BallotBoxSealSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40)
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in PAPER_CHANNELS_ORDERED])
    witnesses = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NoticePostingSerializer(serializers.ModelSerializer):
    class Meta:
        model = NoticePosting
        fields = ["id", "posted_on", "posted_by", "document_type", "recorded_at"]
        read_only_fields = fields


class NoticePostingInputSerializer(serializers.Serializer):
    posted_on = serializers.DateField()
    posted_by = serializers.CharField(max_length=100)
    document = serializers.FileField()


class FollowUpWindowSerializer(serializers.Serializer):
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()


class ByElectionSerializer(FollowUpWindowSerializer):
    seats = serializers.IntegerField(min_value=1)


class TieSettlementInputSerializer(serializers.Serializer):
    winners = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    rule_text = serializers.CharField()
    document = serializers.FileField()


class TieSettlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = TieSettlement
        fields = ["vote", "method", "runoff", "winners", "rule_text", "document_type", "recorded_at"]
        read_only_fields = fields


# Response shapes the API answers with (for the OpenAPI schema) ----------------------------------


class BallotReceiptSerializer(serializers.Serializer):
    """An accepted ballot: the receipt is shown once; only its hash is kept and published."""

    receipt = serializers.CharField()
    receipt_hash = serializers.CharField()
    ballot = serializers.IntegerField()
    seq = serializers.IntegerField()
    valid = serializers.BooleanField()
    hash = serializers.CharField()


class PaginatedBallotSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = BallotSerializer(many=True)


class BallotVoidResultSerializer(serializers.Serializer):
    ballot = serializers.IntegerField()
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class PaperReconciliationSerializer(serializers.Serializer):
    issued = serializers.IntegerField()
    returned = serializers.IntegerField()
    spoiled = serializers.IntegerField()
    void = serializers.IntegerField()
    outstanding = serializers.ListField(child=serializers.CharField())
    balanced = serializers.BooleanField()


class TurnoutSerializer(serializers.Serializer):
    voted_owners = serializers.IntegerField()
    voted_area = serializers.CharField()
    total_owners = serializers.IntegerField()
    total_area = serializers.CharField()


class BulletinSerializer(serializers.Serializer):
    """The public bulletin: receipt hashes, the chain's published head, then totals or the turnout so far."""

    vote = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=VoteStatus.choices)
    receipts = serializers.ListField(child=serializers.CharField())
    voided_receipts = serializers.ListField(child=serializers.CharField())
    chain_head = serializers.CharField(allow_blank=True)
    chain_length = serializers.IntegerField()
    totals = serializers.DictField(allow_null=True)
    turnout = TurnoutSerializer(allow_null=True)
