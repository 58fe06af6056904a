"""The committees API. Writes go through ``committees.services``; reads are scoped to the user.

Who may do what: committee members and community secretaries write (``change``); residents
read published minutes and statements of their estate (``view_public``); auditors read
everything, every ledger entry with its voucher (``view``); discipline reviewers write only
their reviews of spending (the ``discipline`` approval stage).
"""

from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from committees import exports, selectors, services
from committees.api import serializers as s
from committees.events import CommitteesEvent
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
from governance.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from governance.audit import audit_record
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
        page = getattr(self, "_page", None)
        if page is not None:
            context["summaries"] = selectors.committee_summaries(page)
        return context

    def paginate_queryset(self, queryset):
        self._page = super().paginate_queryset(queryset)
        return self._page

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.require(Action.CHANGE, data["estate"])
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
        self.require(Action.CHANGE, committee.estate)
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
        self.require(Action.CHANGE, committee.estate)
        body = s.AssignPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.committee_assign_post(committee=committee, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def lapsed(self, request):
        """Estates in scope whose committee's term has ended without a new election."""
        places = Place.objects.restrict(request.user, Action.VIEW).filter(
            kind__in=("district", "street", "town", "community", "estate")
        )
        place_id = request.query_params.get("place")
        place = get_object_or_404(places, pk=place_id) if place_id else places.order_by("level", "tree_id").first()
        if place is None:
            return Response([])
        estates = selectors.estates_with_lapsed_committee(place)
        return Response([{"id": e.pk, "name": e.name} for e in estates])


class SupervisionGroupViewSet(ScopedModelViewSet):
    """Owners' supervision groups (事务监督组) and their members."""

    queryset = SupervisionGroup.objects.all().prefetch_related("members").order_by("estate_id", "-term_start")
    serializer_class = s.SupervisionGroupSerializer
    filterset_fields = ["estate"]
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_AND_CREATE

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.require(Action.CHANGE, data["estate"])
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
        self.require(Action.CHANGE, data["estate"])
        serializer.instance = services.meeting_create(
            estate=data["estate"],
            kind=data["kind"],
            title=data["title"],
            held_at=data["held_at"],
            location=data.get("location", ""),
            agenda=data.get("agenda", []),
            actor=self.request.user,
        )

    def _meeting_for_write(self):
        meeting = self.get_object()
        self.require(Action.CHANGE, meeting.estate)
        return meeting

    def _done(self, meeting, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=meeting.pk)).data, status=code)

    @extend_schema(request=s.AttendanceSerializer, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        """Record the people present and the bodies that attended."""
        meeting = self._meeting_for_write()
        body = s.AttendanceSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.meeting_record_attendance(meeting=meeting, actor=request.user, **body.validated_data)
        return self._done(meeting)

    @extend_schema(request=s.MinutesSerializer, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request, pk=None):
        meeting = self._meeting_for_write()
        body = s.MinutesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.meeting_record_minutes(meeting=meeting, minutes=body.validated_data["minutes"], actor=request.user)
        return self._done(meeting)

    @extend_schema(request=None, responses=s.MeetingSerializer)
    @action(detail=True, methods=["post"], url_path="publish-minutes")
    def publish_minutes(self, request, pk=None):
        """Publish the minutes and decisions to the estate's residents (one action; frozen afterwards)."""
        meeting = self._meeting_for_write()
        services.meeting_publish_minutes(meeting=meeting, actor=request.user)
        return self._done(meeting)

    @extend_schema(request=s.DecisionSerializer, responses=s.DecisionSerializer)
    @action(detail=True, methods=["post"])
    def decisions(self, request, pk=None):
        """Record a decision; a committee meeting's outcome is counted by the members' rule."""
        meeting = self._meeting_for_write()
        body = s.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decision = services.decision_record(meeting=meeting, actor=request.user, **body.validated_data)
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AttachSerializer, responses=s.AttachmentSerializer)
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        meeting = self._meeting_for_write()
        body = s.AttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = services.meeting_attach(meeting=meeting, actor=request.user, **body.validated_data)
        return Response(s.AttachmentSerializer(attachment, context=self.get_serializer_context()).data, status=201)


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
        self.require(Action.CHANGE, data["place"])
        serializer.instance = services.property_company_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("name", None)
        data.pop("place", None)
        serializer.instance = services.property_company_update(
            company=serializer.instance, actor=self.request.user, **data
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
        self.require(Action.CHANGE, data["estate"])
        serializer.instance = services.service_contract_create(actor=self.request.user, **data)

    @extend_schema(request=s.PerformanceNoteSerializer, responses=s.PerformanceNoteSerializer)
    @action(detail=True, methods=["post"], url_path="performance-notes")
    def performance_notes(self, request, pk=None):
        contract = self.get_object()
        self.require(Action.CHANGE, contract.estate)
        body = s.PerformanceNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.performance_note_create(contract=contract, actor=request.user, **body.validated_data)
        return Response(s.PerformanceNoteSerializer(note).data, status=status.HTTP_201_CREATED)


# Projects -------------------------------------------------------------------------------


class ProjectViewSet(ScopedModelViewSet):
    """Projects (renovations), their expert team of party members and savings against budget and schedule."""

    queryset = Project.objects.all().prefetch_related("expert_team").order_by("estate_id", "-planned_start", "-pk")
    serializer_class = s.ProjectSerializer
    filterset_fields = ["estate"]
    read_action = Action.VIEW_PUBLIC
    http_method_names = READ_CREATE_PATCH

    def get_serializer_class(self):
        return s.ProjectUpdateSerializer if self.action == "partial_update" else s.ProjectSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self.require(Action.CHANGE, data["estate"])
        experts = data.pop("expert_team", [])
        serializer.instance = services.project_create(actor=self.request.user, experts=experts, **data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"], url_path="expert-candidates")
    def expert_candidates(self, request):
        """Party members of an estate (``?estate=``) with the given skills (``?skill=engineer&skill=lawyer``)."""
        estate = get_object_or_404(
            Place.objects.restrict(request.user, Action.VIEW),
            pk=request.query_params.get("estate"),
            kind=PlaceKind.ESTATE,
        )
        members = selectors.expert_candidates(estate, request.query_params.getlist("skill"))
        page = self.paginate_queryset(members)
        return self.get_paginated_response(
            [
                {
                    "id": m.pk,
                    "name": m.person.name,
                    "in_service": m.in_service,
                    "skills": [k.code for k in m.skills.all()],
                }
                for m in page
            ]
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        experts = data.pop("expert_team", None)
        serializer.instance = services.project_update(
            project=serializer.instance, actor=self.request.user, experts=experts, **data
        )


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

    @extend_schema(request=s.LedgerOpenSerializer, responses=s.AccountSerializer(many=True))
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def open(self, request):
        """Create an estate's chart of accounts and, optionally, its opening balance."""
        body = s.LedgerOpenSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.require(Action.CHANGE, data["estate"])
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
    """Ledger entries: list, read, post and reverse. There is no update and no delete."""

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

    def create(self, request, *args, **kwargs):
        body = s.LedgerPostSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        self.require(Action.CHANGE, data["estate"])
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

    @extend_schema(request=s.ReverseSerializer, responses=s.LedgerTransactionSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Correct an entry with a reversing entry and a reason."""
        original = self.get_object()
        self.require(Action.CHANGE, original.estate)
        body = s.ReverseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tx = services.transaction_reverse(transaction=original, actor=request.user, **body.validated_data)
        return Response(self._read(tx), status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def voucher(self, request, pk=None):
        """Download the entry's voucher (receipt or contract): only for those who may read the ledger."""
        tx = self.get_object()
        if not tx.voucher:
            raise Http404
        audit_record(actor=request.user, action=CommitteesEvent.LEDGER_VOUCHER_VIEW, obj=tx, place=tx.estate)
        return FileResponse(tx.voucher.open("rb"), as_attachment=True, filename=tx.voucher.name.rsplit("/", 1)[-1])

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def verify(self, request):
        """Recompute the hash chain of one estate's ledger (``?estate=``)."""
        estate = get_object_or_404(
            Place.objects.restrict(request.user, Action.VIEW),
            pk=request.query_params.get("estate"),
            kind=PlaceKind.ESTATE,
        )
        result = selectors.ledger_verify(estate)
        return Response(result.__dict__)


# Spending -------------------------------------------------------------------------------


class SpendingFilter(filters.FilterSet):
    class Meta:
        model = SpendingRequest
        fields = ["estate", "status", "split_flagged", "purpose"]


class SpendingRequestViewSet(ScopedModelViewSet):
    """Spending requests with their approvals; ``approve`` and ``pay`` call one service each."""

    queryset = SpendingRequest.objects.prefetch_related(
        Prefetch("approvals", queryset=SpendingApproval.objects.select_related("approver__person").order_by("pk"))
    ).order_by("estate_id", "-requested_on", "-pk")
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

    def check_object_permissions(self, request, obj):
        # Each approval stage has its own approver (committee, supervision group, discipline
        # reviewer): the service checks who may sign which stage.
        if self.action == "approve":
            return
        super().check_object_permissions(request, obj)

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.require(Action.CHANGE, data["estate"])
        serializer.instance = services.spending_request_create(actor=self.request.user, **data)

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
            from elections.models import Vote

            vote = get_object_or_404(Vote.objects.restrict(request.user, Action.VIEW_PUBLIC), pk=vote_id)
        services.spending_approve(request=spending, resolution_vote=vote, actor=request.user, **data)
        return Response(self._read(spending))

    @extend_schema(request=s.PaySerializer, responses=s.LedgerTransactionSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        """Pay an approved request: the only way its money leaves the ledger."""
        spending = self.get_object()
        self.require(Action.CHANGE, spending.estate)
        body = s.PaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        tx = services.spending_pay(request=spending, actor=request.user, **body.validated_data)
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

    @extend_schema(request=s.StatementPeriodSerializer, responses=s.StatementSerializer)
    @action(detail=False, methods=["post"])
    def publish(self, request):
        """Publish the statement of a period (default: the last quarter) to the estate's residents."""
        body = s.StatementPeriodSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        estate = body.validated_data["estate"]
        self.require(Action.CHANGE, estate)
        start, end = self._period(body.validated_data)
        statement = services.statement_publish(estate=estate, period_start=start, period_end=end, actor=request.user)
        return Response(s.StatementSerializer(statement).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[s.StatementPeriodSerializer], responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def preview(self, request):
        """The figures of any period, computed now from the ledger (not published)."""
        body = s.StatementPeriodSerializer(data=request.query_params, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        estate = body.validated_data["estate"]
        self.require(Action.VIEW, estate)
        start, end = self._period(body.validated_data)
        return Response(selectors.statement_figures(estate, start, end))

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
