"""The committees API. Writes go through ``committees.services``, which check the user's rights; reads are scoped.

Who may do what (decided by the services): committee members and community secretaries
write (``change``); residents read published minutes and statements of their estate
(``view_public``); auditors read everything, every ledger entry with its voucher (``view``);
discipline reviewers write only their reviews of spending (the ``discipline`` approval
stage); members of a supervision group sign its stage. A view finds the object through the
user's scoped queryset (404 outside the scope) and shapes input and output.
"""

from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from committees import exports, selectors, services
from committees.api import serializers as s
from committees.files import protected_file_response
from committees.models import (
    Account,
    LedgerLeg,
    LedgerTransaction,
    Meeting,
    OwnersCommittee,
    Project,
    PropertyCompany,
    ServiceContract,
    SpendingApproval,
    SpendingRequest,
    Statement,
    SupervisionGroup,
)
from committees.rules import RuleMemo
from core.api import query_id
from core.schema import error_response, file_responses
from core.uploads import DOCUMENTS
from elections.models import Vote
from governance.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from governance.models import Place, PlaceKind, Post
from governance.scoping import Action

READ_AND_CREATE = ["get", "post", "head", "options"]
READ_CREATE_PATCH = ["get", "post", "patch", "head", "options"]


# Committees -----------------------------------------------------------------------------


class CommitteeFilter(filters.FilterSet):
    class Meta:
        model = OwnersCommittee
        fields = ["estate", "status"]


class OwnersCommitteeViewSet(ScopedModelViewSet):
    """Owners' committees: term, members (posts), filing, party branch, and the computed summary."""

    queryset = (
        OwnersCommittee.objects.all()
        .select_related("estate")
        .prefetch_related(Prefetch("posts", queryset=Post.objects.select_related("person").order_by("kind", "pk")))
        .order_by("estate_id", "-term_start")
    )
    serializer_class = s.OwnersCommitteeSerializer
    filterset_class = CommitteeFilter
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_AND_CREATE

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["rules"] = getattr(self, "_rules", None) or RuleMemo()
        page = getattr(self, "_page", None)
        if page is not None:
            context["summaries"] = selectors.committee_summaries(page, rules=context["rules"])
        return context

    def paginate_queryset(self, queryset):
        self._rules = RuleMemo()
        self._page = super().paginate_queryset(queryset)
        return self._page

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.committee_record(
            estate=data["estate"],
            term_start=data["term_start"],
            term_end=data.get("term_end"),
            members=[(m["person"], m["kind"]) for m in data["members"]],
            party_branch=data.get("party_branch"),
            filed_on=data.get("filed_on"),
            filing_reference=data.get("filing_reference", ""),
            entered_by_hand=True,
            actor=self.request.user,
        )

    @extend_schema(request=s.CommitteeFileSerializer, responses=s.OwnersCommitteeSerializer)
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        """Record the committee's filing (备案) with the street office."""
        committee = self.get_object()
        body = s.CommitteeFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        committee = services.committee_file(
            committee=committee,
            filed_on=body.validated_data["filed_on"],
            reference=body.validated_data["reference"],
            actor=request.user,
        )
        return Response(self.get_serializer(committee).data)

    @extend_schema(request=s.AssignPostSerializer, responses=s.OwnersCommitteeSerializer)
    @action(detail=True, methods=["post"], url_path="assign-post")
    def assign_post(self, request, pk=None):
        """Make a member chair, vice-chair or member (the first meeting's election of officers)."""
        committee = self.get_object()
        body = s.AssignPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.committee_assign_post(committee=committee, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        parameters=[OpenApiParameter("place", int, description="the place whose estates to list")],
        responses={200: s.EstateNameSerializer(many=True), 404: error_response(404)},
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def lapsed(self, request):
        """Estates in scope whose committee's term has ended without a new election."""
        places = Place.objects.restrict(request.user, Action.VIEW).filter(
            kind__in=("district", "street", "town", "community", "estate")
        )
        place_id = query_id(request, "place", required=False)
        place = get_object_or_404(places, pk=place_id) if place_id else places.order_by("level", "tree_id").first()
        if place is None:
            return Response([])
        estates = selectors.estates_with_lapsed_committee(place)
        return Response(s.EstateNameSerializer(estates, many=True).data)


class SupervisionGroupViewSet(ScopedModelViewSet):
    """Owners' supervision groups (事务监督组) and their members."""

    queryset = SupervisionGroup.objects.all().prefetch_related("members").order_by("estate_id", "-term_start")
    serializer_class = s.SupervisionGroupSerializer
    filterset_fields = ["estate"]
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_AND_CREATE

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.supervision_group_create(
            estate=data["estate"],
            term_start=data["term_start"],
            term_end=data.get("term_end"),
            members=list(data["members"]),
            actor=self.request.user,
        )


# Meetings -------------------------------------------------------------------------------


class MeetingFilter(filters.FilterSet):
    held_after = filters.DateFilter(field_name="held_at", lookup_expr="date__gte")
    held_before = filters.DateFilter(field_name="held_at", lookup_expr="date__lte")
    published = filters.BooleanFilter(field_name="minutes_published_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Meeting
        fields = ["estate", "kind"]


class MeetingViewSet(ScopedModelViewSet):
    """Meetings with agenda, attendance, minutes, decisions and attachments; residents see published minutes."""

    queryset = Meeting.objects.prefetch_related("attendees", "decisions", "attachments").order_by("-held_at", "-pk")
    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilter
    http_method_names = READ_AND_CREATE
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    public_filter = Q(minutes_published_at__isnull=False)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.meeting_create(
            estate=data["estate"],
            kind=data["kind"],
            title=data["title"],
            held_at=data["held_at"],
            location=data.get("location", ""),
            agenda=data.get("agenda", []),
            actor=self.request.user,
        )

    def _done(self, meeting, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=meeting.pk)).data, status=code)

    @extend_schema(request=s.AttendanceSerializer, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Record the people present and the bodies that attended."""
        meeting = self.get_object()
        body = s.AttendanceSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.meeting_record_attendance(meeting=meeting, actor=request.user, **body.validated_data)
        return self._done(meeting)

    @extend_schema(request=s.MinutesSerializer, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request, pk=None):
        meeting = self.get_object()
        body = s.MinutesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.meeting_record_minutes(meeting=meeting, minutes=body.validated_data["minutes"], actor=request.user)
        return self._done(meeting)

    @extend_schema(request=None, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"], url_path="publish-minutes")
    def publish_minutes(self, request, pk=None):
        """Publish the minutes and decisions to the estate's residents (one action; frozen afterwards)."""
        meeting = self.get_object()
        services.meeting_publish_minutes(meeting=meeting, actor=request.user)
        return self._done(meeting)

    @extend_schema(request=s.DecisionSerializer, responses={201: s.DecisionSerializer})
    @action(detail=True, methods=["post"])
    def decisions(self, request, pk=None):
        """Record a decision; a committee meeting's outcome is counted by the members' rule."""
        meeting = self.get_object()
        body = s.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = services.decision_record(meeting=meeting, actor=request.user, **body.validated_data)
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachSerializer, responses={201: s.AttachmentSerializer})
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        meeting = self.get_object()
        body = s.AttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.meeting_attach(meeting=meeting, actor=request.user, **body.validated_data)
        return Response(s.AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status=201)

    @extend_schema(responses=file_responses(*sorted(DOCUMENTS)))
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment-file",
    )
    def attachment_file(self, request, pk=None, attachment_id=None):
        """Download an attachment: only for those who may read the meeting (residents: published minutes)."""
        attachment = get_object_or_404(self.get_object().attachments, pk=attachment_id)
        return protected_file_response(attachment.file)


# Property companies ---------------------------------------------------------------------


class PropertyCompanyViewSet(ScopedModelViewSet):
    """Property companies: visible where they are registered and wherever they serve an estate."""

    queryset = PropertyCompany.objects.order_by("name")
    serializer_class = s.PropertyCompanySerializer
    filterset_fields = ["place"]
    http_method_names = READ_CREATE_PATCH

    def also_visible(self, user):
        # The companies serving the estates the user may read publicly.
        return Q(pk__in=ServiceContract.objects.restrict(user, Action.VIEW_PUBLIC).values("company_id"))

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.property_company_create(actor=self.request.user, **data)

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.PropertyCompanyUpdateSerializer
        return s.PropertyCompanySerializer

    def perform_update(self, serializer):
        serializer.instance = services.property_company_update(
            company=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


class ServiceContractViewSet(ScopedModelViewSet):
    """Service contracts between estates and property companies, with performance notes."""

    queryset = ServiceContract.objects.all().select_related("company").prefetch_related("performance_notes")
    serializer_class = s.ServiceContractSerializer
    filterset_fields = ["estate", "company"]
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_AND_CREATE

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.service_contract_create(actor=self.request.user, **data)

    @extend_schema(request=s.PerformanceNoteSerializer, responses={201: s.PerformanceNoteSerializer})
    @action(detail=True, methods=["post"], url_path="performance-notes")
    def performance_notes(self, request, pk=None):
        contract = self.get_object()
        body = s.PerformanceNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.performance_note_create(contract=contract, actor=request.user, **body.validated_data)
        return Response(s.PerformanceNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# Projects -------------------------------------------------------------------------------


class ProjectViewSet(ScopedModelViewSet):
    """Projects (renovations): plan, start, milestones, acceptance; the expert team of party members; savings."""

    queryset = (
        Project.objects.all()
        .select_related("estate")
        .prefetch_related("expert_team", "milestones")
        .order_by("estate_id", "-planned_start", "-pk")
    )
    serializer_class = s.ProjectSerializer
    filterset_fields = ["estate"]
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_CREATE_PATCH

    def get_serializer_class(self):
        return s.ProjectUpdateSerializer if self.action == "partial_update" else s.ProjectSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["rules"] = RuleMemo()
        return context

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        experts = data.pop("expert_team", [])
        serializer.instance = services.project_create(actor=self.request.user, experts=experts, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        experts = data.pop("expert_team", None)
        serializer.instance = services.project_update(
            project=serializer.instance, actor=self.request.user, experts=experts, **data
        )

    def _done(self, project, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data, status=code)

    @extend_schema(request=s.ProjectStartSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Record that the works started."""
        project = self.get_object()
        body = s.ProjectStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.project_start(project=project, on=body.validated_data["on"], actor=request.user)
        return self._done(project)

    @extend_schema(request=s.MilestoneSerializer, responses={201: s.ProjectSerializer})
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        """Plan a milestone of the works."""
        project = self.get_object()
        body = s.MilestoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.project_milestone_add(project=project, actor=request.user, **body.validated_data)
        return self._done(project, status.HTTP_201_CREATED)

    @extend_schema(request=s.MilestoneReachSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"], url_path="reach-milestone")
    def reach_milestone(self, request, pk=None):
        """Record that the works reached a milestone."""
        project = self.get_object()
        body = s.MilestoneReachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        milestone = get_object_or_404(project.milestones, pk=data.pop("milestone"))
        services.project_milestone_reach(milestone=milestone, actor=request.user, **data)
        return self._done(project)

    @extend_schema(request=s.ProjectAcceptSerializer, responses=s.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Record the acceptance of the finished works (竣工验收): finish date, actual cost, findings."""
        project = self.get_object()
        body = s.ProjectAcceptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.project_accept(project=project, actor=request.user, **body.validated_data)
        return self._done(project)

    @extend_schema(
        parameters=[
            OpenApiParameter("estate", int, required=True),
            OpenApiParameter("skill", str, many=True, description="skill codes, e.g. engineer"),
        ],
        responses=s.ExpertCandidateSerializer(many=True),
    )
    @action(detail=False, methods=["get"], url_path="expert-candidates", filter_backends=[])
    def expert_candidates(self, request):
        """Party members of an estate (``?estate=``) with the given skills (``?skill=engineer&skill=lawyer``)."""
        estate = get_object_or_404(
            Place.objects.restrict(request.user, Action.VIEW), pk=query_id(request, "estate"), kind=PlaceKind.ESTATE
        )
        members = selectors.expert_candidates(estate, request.query_params.getlist("skill"))
        page = self.paginate_queryset(members)
        return self.get_paginated_response(s.ExpertCandidateSerializer(page, many=True).data)


# Ledger ---------------------------------------------------------------------------------


class AccountViewSet(ScopedReadOnlyViewSet):
    """The chart of accounts of each estate's public-revenue ledger, with balances."""

    queryset = Account.objects.all().order_by("estate_id", "code")
    serializer_class = s.AccountSerializer
    filterset_fields = ["estate", "kind"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        page = getattr(self, "_page", None)
        if page:
            context["balances"] = selectors.balances_by_account([a.pk for a in page])
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    @extend_schema(request=s.LedgerOpenSerializer, responses={201: s.AccountSerializer(many=True)})
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def open(self, request):
        """Create an estate's chart of accounts and, optionally, its opening balance."""
        body = s.LedgerOpenSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        accounts = services.ledger_open(
            estate=data["estate"],
            opening_balance=data["opening_balance"],
            on=data.get("date"),
            voucher=data.get("voucher"),
            actor=request.user,
        )
        return Response(s.AccountSerializer(accounts, many=True).data, status=status.HTTP_201_CREATED)


class TransactionFilter(filters.FilterSet):
    date_after = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = LedgerTransaction
        fields = ["estate"]


class LedgerTransactionViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Ledger entries: list, read, post income and reverse. There is no update and no delete.

    Money leaves the ledger only as the payment of an approved spending request
    (``spending-requests/<id>/pay/``): a direct posting that credits the bank is refused.
    """

    queryset = (
        LedgerTransaction.objects.all()
        .select_related("recorded_by__person")
        .prefetch_related(Prefetch("legs", queryset=LedgerLeg.objects.select_related("account").order_by("pk")))
        .order_by("estate_id", "sequence")
    )
    serializer_class = s.LedgerTransactionSerializer
    filterset_class = TransactionFilter
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return s.LedgerPostSerializer if self.action == "create" else s.LedgerTransactionSerializer

    @extend_schema(request=s.LedgerPostSerializer, responses={201: s.LedgerTransactionSerializer})
    def create(self, request, *args, **kwargs):
        body = s.LedgerPostSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        tx = services.transaction_post(
            estate=data["estate"],
            date=data["date"],
            memo=data["memo"],
            voucher=data["voucher"],
            legs=[(leg["account"], leg["debit"], leg["credit"]) for leg in data["legs"]],
            actor=request.user,
        )
        return Response(self._read(tx), status=status.HTTP_201_CREATED)

    def _read(self, tx):
        return s.LedgerTransactionSerializer(
            self.get_queryset().get(pk=tx.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=s.ReverseSerializer, responses={201: s.LedgerTransactionSerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Correct an entry with a reversing entry and a reason."""
        original = self.get_object()
        body = s.ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tx = services.transaction_reverse(transaction=original, actor=request.user, **body.validated_data)
        return Response(self._read(tx), status=status.HTTP_201_CREATED)

    @extend_schema(responses=file_responses(*sorted(DOCUMENTS)))
    @action(detail=True, methods=["get"])
    def voucher(self, request, pk=None):
        """Download the entry's voucher (receipt or contract): only for those who may read the ledger; recorded."""
        tx = self.get_object()
        if not tx.voucher:
            raise Http404
        return protected_file_response(services.voucher_open(transaction=tx, actor=request.user))

    @extend_schema(
        parameters=[OpenApiParameter("estate", int, required=True)],
        responses={200: s.LedgerCheckSerializer, 404: error_response(404)},
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def verify(self, request):
        """Check one estate's ledger (``?estate=``): the hash chain and every published statement; recorded."""
        estate = get_object_or_404(
            Place.objects.restrict(request.user, Action.VIEW), pk=query_id(request, "estate"), kind=PlaceKind.ESTATE
        )
        result = services.ledger_check(estate=estate, actor=request.user)
        return Response(s.LedgerCheckSerializer(result).data)


# Spending -------------------------------------------------------------------------------


class SpendingFilter(filters.FilterSet):
    class Meta:
        model = SpendingRequest
        fields = ["estate", "status", "split_flagged", "purpose"]


class SpendingRequestViewSet(ScopedModelViewSet):
    """Spending requests with their approvals; ``approve`` and ``pay`` call one service each."""

    queryset = (
        SpendingRequest.objects.select_related("estate")
        .prefetch_related(
            Prefetch("approvals", queryset=SpendingApproval.objects.select_related("approver__person").order_by("pk"))
        )
        .order_by("estate_id", "-requested_on", "-pk")
    )
    serializer_class = s.SpendingRequestSerializer
    filterset_class = SpendingFilter
    http_method_names = READ_AND_CREATE
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def also_visible(self, user):
        # Members of an estate's supervision group see its requests, so that they can sign off.
        person_id = getattr(user, "person_id", None)
        if not person_id:
            return None
        return Q(estate_id__in=SupervisionGroup.objects.filter(members__person_id=person_id).values("estate_id"))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["rules"] = RuleMemo()
        return context

    def perform_create(self, serializer):
        serializer.instance = services.spending_request_create(actor=self.request.user, **serializer.validated_data)

    def _read(self, request_obj):
        return s.SpendingRequestSerializer(
            self.get_queryset().get(pk=request_obj.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=s.ApproveSerializer, responses=s.SpendingRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Sign one approval stage: committee decision, supervision sign-off or discipline review."""
        spending = self.get_object()
        body = s.ApproveSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        vote_id = data.pop("resolution_vote", None)
        vote = None
        if vote_id is not None:
            vote = get_object_or_404(Vote.objects.restrict(request.user, Action.VIEW_PUBLIC), pk=vote_id)
        services.spending_approve(request=spending, resolution_vote=vote, actor=request.user, **data)
        return Response(self._read(spending))

    @extend_schema(request=s.PaySerializer, responses={201: s.LedgerTransactionSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Pay an approved request: the only way its money leaves the ledger."""
        spending = self.get_object()
        body = s.PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tx = services.spending_pay(request=spending, actor=request.user, **body.validated_data)
        tx = (
            LedgerTransaction.objects.prefetch_related("legs__account")
            .select_related("recorded_by__person")
            .get(pk=tx.pk)
        )
        return Response(s.LedgerTransactionSerializer(tx, context=self.get_serializer_context()).data, status=201)


# Statements -----------------------------------------------------------------------------


class StatementViewSet(ScopedReadOnlyViewSet):
    """Published statements (frozen), a preview of any period, and PDF / XLSX downloads."""

    queryset = Statement.objects.all().order_by("estate_id", "-period_start")
    serializer_class = s.StatementSerializer
    filterset_fields = ["estate"]
    read_action = Action.VIEW_PUBLIC

    def _period(self, data):
        start, end = data.get("period_start"), data.get("period_end")
        if not start or not end:
            start, end = selectors.previous_quarter()
        return start, end

    @extend_schema(request=s.StatementPeriodSerializer, responses={201: s.StatementSerializer})
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """Publish the statement of a period (default: the last quarter) to the estate's residents."""
        body = s.StatementPeriodSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        start, end = self._period(body.validated_data)
        statement = services.statement_publish(
            estate=body.validated_data["estate"], period_start=start, period_end=end, actor=request.user
        )
        return Response(s.StatementSerializer(statement).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[s.StatementPeriodSerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], filter_backends=[])
    def preview(self, request):
        """The figures of any period of an estate whose ledger the user may read, computed now (not published)."""
        # ``estate`` accepts only estates the user may read in full (``view``); others answer 400.
        body = s.StatementPeriodSerializer(data=request.query_params, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        start, end = self._period(body.validated_data)
        return Response(selectors.statement_figures(body.validated_data["estate"], start, end))

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        statement = self.get_object()
        response = HttpResponse(exports.statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(statement, "pdf")}"'
        return response

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}
    )
    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        statement = self.get_object()
        response = HttpResponse(
            exports.statement_xlsx(statement),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(statement, "xlsx")}"'
        return response
