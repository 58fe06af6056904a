"""The oversight API. Every write calls one ``oversight.services`` function, which checks the right itself;
reads are scoped to the user through the one viewset base (an object out of scope answers 404).

Who sees what: the community, the street, the discipline reviewers and the district auditor
read obligations, petitions, queues and reports in their scope (``view``); residents read only
what is published to owners (their estate's revenue rules, published audits, funds sent down,
building heads, duty rosters and commissioners); the auditor writes nothing.
"""

import datetime

from django import forms
from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import query_id
from core.errors import ApplicationError
from core.schema import LIST_OF_OBJECTS, error_response, file_responses
from governance.api.viewsets import ScopedModelViewSet, ScopedReadOnlyViewSet
from governance.models import Place, PlaceKind, Post, PostKind
from governance.scoping import Action, subtree_q
from oversight import selectors, services
from oversight.api import serializers as s
from oversight.models import (
    Audit,
    AuditAction,
    BuildingHead,
    DutyRoster,
    DutyShift,
    Evidence,
    FundAllocation,
    InterventionOpinion,
    Notice,
    NoticePreference,
    Obligation,
    ObligationKind,
    ObligationState,
    Petition,
    Report,
    RevenueRules,
    Volunteer,
)
from oversight.reports import report_figures

READ_AND_CREATE = ["get", "post", "head", "options"]
READ_CREATE_PATCH = ["get", "post", "patch", "head", "options"]
UPLOADS = [JSONParser, MultiPartParser, FormParser]


def _subtree(field: str):
    """A filter method: rows whose place (through ``field``) lies under the place with the given id."""

    def method(queryset, name, value):
        place = Place.objects.filter(pk=value).first()
        return queryset.filter(subtree_q(place, field)) if place else queryset.none()

    return method


def _date_param(request, name: str, default: datetime.date | None = None) -> datetime.date:
    value = request.query_params.get(name)
    if not value:
        if default is None:
            raise ApplicationError(_("请提供日期参数 %(name)s（YYYY-MM-DD）。") % {"name": name}, code="date_required")
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError(_("日期参数 %(name)s 应为 YYYY-MM-DD。") % {"name": name}, code="bad_date") from exc


def _year_param(request, default: int) -> int:
    """The ``year`` query parameter: a whole number a date can hold (1–9999), else 400 (a date past 9999 is a 500)."""
    try:
        year = int(request.query_params.get("year") or default)
    except ValueError as exc:
        raise ApplicationError(_("年份无效。"), code="bad_year") from exc
    if not 1 <= year <= 9999:
        raise ApplicationError(_("年份无效。"), code="bad_year")
    return year


class YearFilter(filters.NumberFilter):
    """A year of a date column: a whole number from 1 to 9999 (a date cannot hold another), else 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, lookup_expr="year", min_value=1, max_value=9999, **kwargs)


# Obligations -----------------------------------------------------------------------------


class ObligationFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ObligationKind.choices)
    state = filters.ChoiceFilter(choices=ObligationState.choices)
    place = filters.NumberFilter(method=_subtree("estate__"), label=_("地点（含下级）"))
    due_after = filters.DateFilter(field_name="due_on", lookup_expr="gte")
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Obligation
        fields = ["estate", "kind", "state"]


class ObligationViewSet(ScopedReadOnlyViewSet):
    """The four musts' obligations, raised by events; each with its evidence. Met by evidence, or waived."""

    queryset = (
        Obligation.objects.select_related("estate", "organization", "responsible")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.select_related("recorded_by")))
        .order_by("due_on", "pk")
    )
    serializer_class = s.ObligationSerializer
    filterset_class = ObligationFilter
    parser_classes = UPLOADS

    @extend_schema(request=s.EvidenceInputSerializer, responses={201: s.ObligationSerializer})
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Record what meets the obligation: attendance, participation, supervision or a spot check."""
        obligation = self.get_object()
        body = s.EvidenceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.evidence_record(obligation=obligation, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=obligation.pk)).data, status=201)

    @extend_schema(request=s.WaiveSerializer, responses=s.ObligationSerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        """Excuse the obligation, with the reason (the street only)."""
        obligation = self.get_object()
        body = s.WaiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.obligation_waive(obligation=obligation, reason=body.validated_data["reason"], actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=obligation.pk)).data)


# Figures of a place ----------------------------------------------------------------------


class PlaceFiguresView(APIView):
    """Base of the read-only figures of a place's subtree: 404 for a place out of the user's reading scope."""

    read_action = Action.VIEW

    def place(self, request, pk) -> Place:
        return get_object_or_404(Place.objects.restrict(request.user, self.read_action), pk=pk)


PERIOD = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="YYYY-MM-DD"),
    OpenApiParameter("end", OpenApiTypes.DATE, description="YYYY-MM-DD"),
]


class ComplianceView(PlaceFiguresView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """The share of the four musts met on time under the place over the period, by kind and estate; overdue ones."""
        today = timezone.localdate()
        start = _date_param(request, "start", today.replace(month=1, day=1))
        end = _date_param(request, "end", today)
        if end < start:
            raise ApplicationError(_("期间的结束日期不能早于开始日期。"), code="bad_period")
        return Response(selectors.compliance(self.place(request, pk), start, end))


class EarlyWarningView(PlaceFiguresView):
    @extend_schema(
        parameters=[OpenApiParameter("all", OpenApiTypes.BOOL, description="list every estate, flagged first")],
        responses={200: LIST_OF_OBJECTS},
    )
    def get(self, request, pk):
        """The flagged estates under the place, each with its reasons (with ``all=1``: every estate, flagged first)."""
        include_all = request.query_params.get("all") in ("1", "true", "yes")
        return Response(selectors.early_warning(self.place(request, pk), include_all=include_all))


class PetitionSharesView(PlaceFiguresView):
    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT)], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """The property-related share of all petitions of the year under the place, and its change."""
        year = _year_param(request, timezone.localdate().year)
        return Response(selectors.petition_shares(self.place(request, pk), year))


class SupervisionQueuesView(PlaceFiguresView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """What waits on the discipline committee (early intervention) and on the owners' supervision groups."""
        return Response(selectors.supervision_queues(self.place(request, pk)))


class LegalOversightView(PlaceFiguresView):
    @extend_schema(parameters=[OpenApiParameter("year", OpenApiTypes.INT)], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """Estates without public-revenue rules, each estate's revenue of the year, and the audits due."""
        year = _year_param(request, timezone.localdate().year - 1)
        return Response(selectors.legal_oversight(self.place(request, pk), year))


class DutyGapsView(PlaceFiguresView):
    @extend_schema(parameters=PERIOD, responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        """The duty days of the self-managed estates' rosters and their gaps (unassigned, unrecorded, missed)."""
        today = timezone.localdate()
        start = _date_param(request, "start", today - datetime.timedelta(days=30))
        end = _date_param(request, "end", today)
        return Response(selectors.duty_gaps(self.place(request, pk), start, end))


class CommissionersView(PlaceFiguresView):
    read_action = Action.VIEW_PUBLIC

    @extend_schema(responses={200: LIST_OF_OBJECTS})
    def get(self, request, pk):
        """Each estate under the place with its property-management commissioner (物业管理专员)."""
        return Response(selectors.commissioners(self.place(request, pk)))


# Party and owners' supervision ------------------------------------------------------------


class InterventionOpinionViewSet(ScopedModelViewSet):
    """The discipline committee's early-intervention opinions (提前介入)."""

    queryset = InterventionOpinion.objects.select_related("estate", "reviewer").order_by("-created_at", "-pk")
    serializer_class = s.InterventionOpinionSerializer
    filterset_fields = ["estate", "spending_request", "vote", "project"]
    http_method_names = READ_AND_CREATE

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.intervention_record(
            opinion=data["opinion"],
            spending_request=data.get("spending_request"),
            vote=data.get("vote"),
            project=data.get("project"),
            actor=self.request.user,
        )


# Legal oversight -------------------------------------------------------------------------


class RevenueRulesViewSet(ScopedModelViewSet):
    """Each estate's public-revenue management rules; published to the estate's owners."""

    queryset = RevenueRules.objects.order_by("estate_id", "-adopted_on", "-pk")
    serializer_class = s.RevenueRulesSerializer
    filterset_fields = ["estate"]
    http_method_names = READ_AND_CREATE
    parser_classes = UPLOADS
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.revenue_rules_record(
            estate=data["estate"],
            title=data["title"],
            document=data["document"],
            adopted_on=data["adopted_on"],
            decision=data.get("decision"),
            vote=data.get("vote"),
            actor=self.request.user,
        )


class AuditViewSet(ScopedModelViewSet):
    """Audits of estates' public revenue: plan, report, follow-up actions, publication, closing."""

    queryset = Audit.objects.select_related("estate").prefetch_related("actions").order_by("-period_start", "-pk")
    serializer_class = s.AuditSerializer
    filterset_fields = ["estate", "state"]
    http_method_names = READ_AND_CREATE
    parser_classes = UPLOADS
    # Owners see the audits posted to them.
    public_filter = Q(published_at__isnull=False)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.audit_plan(
            estate=data["estate"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            auditor=data["auditor"],
            plan=data["plan"],
            planned_on=data.get("planned_on"),
            actor=self.request.user,
        )

    def _done(self, audit, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=audit.pk)).data, status=code)

    @extend_schema(request=s.AuditReportSerializer, responses=s.AuditSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Record the auditor's report: findings, date, the report document."""
        audit = self.get_object()
        body = s.AuditReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.audit_report(audit=audit, actor=request.user, **body.validated_data))

    @extend_schema(request=None, responses=s.AuditSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Post the audit report to the estate's owners."""
        return self._done(services.audit_publish(audit=self.get_object(), actor=request.user))

    @extend_schema(request=s.AuditActionSerializer, responses={201: s.AuditActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request, pk=None):
        """Add a follow-up action with its owner and due date."""
        audit = self.get_object()
        body = s.AuditActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.audit_action_add(audit=audit, actor=request.user, **body.validated_data)
        return Response(s.AuditActionSerializer(created).data, status=201)

    @extend_schema(request=s.AuditCloseSerializer, responses=s.AuditSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the audit once every follow-up action is done."""
        audit = self.get_object()
        body = s.AuditCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.audit_close(audit=audit, actor=request.user, **body.validated_data))


class AuditActionViewSet(ScopedReadOnlyViewSet):
    """Follow-up actions of audits."""

    queryset = AuditAction.objects.order_by("due_on", "pk")
    serializer_class = s.AuditActionSerializer
    filterset_fields = ["audit"]
    parser_classes = UPLOADS
    public_filter = Q(audit__published_at__isnull=False)

    @extend_schema(request=s.AuditActionDoneSerializer, responses=s.AuditActionSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """Record that the action is done, with what shows it."""
        item = self.get_object()
        body = s.AuditActionDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        done = services.audit_action_done(
            action=item, done_on=data["done_on"], evidence=data["evidence"], file=data.get("file"), actor=request.user
        )
        return Response(s.AuditActionSerializer(done).data)


# Petitions -------------------------------------------------------------------------------


class PetitionFilter(filters.FilterSet):
    place = filters.NumberFilter(method=_subtree("place__"), label=_("地点（含下级）"))
    year = YearFilter(field_name="received_on")

    class Meta:
        model = Petition
        fields = ["category", "channel", "status"]


# The petitions export's formats and what each is answered as.
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class PetitionViewSet(ScopedModelViewSet):
    """Petitions (信访); petitioners are masked, ``reveal`` shows them to those allowed (audited)."""

    queryset = Petition.objects.select_related("place").order_by("-received_on", "-pk")
    serializer_class = s.PetitionSerializer
    filterset_class = PetitionFilter
    http_method_names = READ_CREATE_PATCH
    parser_classes = UPLOADS

    def perform_create(self, serializer):
        serializer.instance = services.petition_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=s.PetitionUpdateSerializer, responses=s.PetitionSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Record how the petition is handled: status, outcome, satisfaction, corrections."""
        petition = self.get_object()
        body = s.PetitionUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        services.petition_update(petition=petition, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=petition.pk)).data)

    @extend_schema(request=None, responses=s.PetitionRevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The petitioner's full name and contact, for those allowed to see personal data; recorded."""
        return Response(services.petition_reveal(petition=self.get_object(), actor=request.user))

    @extend_schema(request=s.PetitionImportSerializer, responses={201: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_log(self, request):
        """Import a year's petition log (XLSX or CSV): every row, or none with each line's errors."""
        body = s.PetitionImportSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        result = services.petitions_import(actor=request.user, **body.validated_data)
        return Response(result, status=201)

    @extend_schema(
        parameters=[
            OpenApiParameter("place", OpenApiTypes.INT, required=True),
            OpenApiParameter("year", OpenApiTypes.INT),
            # Not ``format``: DRF reads that query parameter to choose a renderer.
            OpenApiParameter("file_type", OpenApiTypes.STR, enum=list(EXPORT_TYPES)),
        ],
        responses={
            **{(200, content_type): OpenApiTypes.BINARY for content_type in EXPORT_TYPES.values()},
            404: error_response(404),
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """A year's petitions under a place as CSV or XLSX, petitioners masked (the export is recorded)."""
        place = get_object_or_404(Place.objects.restrict(request.user, Action.VIEW), pk=query_id(request, "place"))
        year = _year_param(request, timezone.localdate().year)
        fmt = request.query_params.get("file_type", "xlsx")
        content, _count = services.petitions_export(place=place, year=year, format=fmt, actor=request.user)
        response = HttpResponse(content, content_type=EXPORT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="petitions-{place.pk}-{year}.{fmt}"'
        return response


# Self-management -------------------------------------------------------------------------


class BuildingHeadViewSet(ScopedModelViewSet):
    """Building heads (楼栋长) of self-managed estates; shown to the estate's residents."""

    queryset = BuildingHead.objects.select_related("person", "building").order_by("building_id", "-start")
    serializer_class = s.BuildingHeadSerializer
    filterset_fields = ["building"]
    http_method_names = READ_AND_CREATE
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.building_head_appoint(
            building=data["building"], person=data["person"], start=data["start"], actor=self.request.user
        )


class VolunteerViewSet(ScopedModelViewSet):
    """Volunteers of self-managed estates with their skills; in-service party members linked."""

    queryset = (
        Volunteer.objects.select_related("person", "party_member")
        .prefetch_related("skills")
        .order_by("estate_id", "pk")
    )
    serializer_class = s.VolunteerSerializer
    filterset_fields = ["estate"]
    http_method_names = READ_AND_CREATE

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.volunteer_enrol(
            estate=data["estate"],
            person=data["person"],
            joined_on=data.get("joined_on"),
            skills=data.get("skills", []),
            actor=self.request.user,
        )


class DutyRosterViewSet(ScopedModelViewSet):
    """Duty rosters (cleaning, parking order) of self-managed estates; shown to the estate's residents."""

    queryset = DutyRoster.objects.order_by("estate_id", "kind", "pk")
    serializer_class = s.DutyRosterSerializer
    filterset_fields = ["estate", "kind"]
    http_method_names = READ_AND_CREATE
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        serializer.instance = services.duty_roster_create(actor=self.request.user, **serializer.validated_data)


class DutyShiftViewSet(ScopedModelViewSet):
    """Who is on duty when; each shift recorded as done (with a photo) or missed."""

    queryset = DutyShift.objects.select_related("volunteer__person", "record").order_by("roster_id", "date")
    serializer_class = s.DutyShiftSerializer
    filterset_fields = ["roster", "date", "volunteer"]
    http_method_names = READ_AND_CREATE
    parser_classes = UPLOADS
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        serializer.instance = services.duty_shift_assign(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=s.DutyRecordInputSerializer, responses={201: s.DutyShiftSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Record the shift as done (with a photo) or missed (with a note)."""
        shift = self.get_object()
        body = s.DutyRecordInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.duty_record(shift=shift, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=shift.pk)).data, status=201)


# Funds and commissioners -----------------------------------------------------------------


class FundAllocationViewSet(ScopedModelViewSet):
    """Community funds sent down to estates, each posted on the estate's ledger; shown to its owners."""

    queryset = FundAllocation.objects.select_related("posting").order_by("-allocated_on", "-pk")
    serializer_class = s.FundAllocationSerializer
    filterset_fields = ["community", "estate"]
    http_method_names = READ_AND_CREATE
    parser_classes = UPLOADS
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.fund_allocate(
            community=data["community"],
            estate=data["estate"],
            amount=data["amount"],
            purpose=data["purpose"],
            voucher=data["voucher"],
            allocated_on=data.get("allocated_on"),
            actor=self.request.user,
        )


class CommissionerViewSet(ScopedModelViewSet):
    """The property-management commissioner (物业管理专员) posts of estates."""

    queryset = (
        Post.objects.filter(kind=PostKind.PROPERTY_COMMISSIONER, place__kind=PlaceKind.ESTATE)
        .select_related("person")
        .order_by("place_id", "-start", "-pk")
    )
    serializer_class = s.CommissionerSerializer
    filterset_fields = ["place"]
    http_method_names = READ_AND_CREATE
    read_action = Action.VIEW_PUBLIC

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.commissioner_appoint(
            estate=data["place"], person=data["person"], start=data.get("start"), actor=self.request.user
        )


# Reports ---------------------------------------------------------------------------------


class ReportViewSet(ScopedModelViewSet):
    """The district's reports: asked for here (202), built in the background with progress, then downloaded."""

    queryset = Report.objects.select_related("created_by").order_by("-created_at", "-pk")
    serializer_class = s.ReportSerializer
    filterset_fields = ["kind", "place", "format", "state"]
    http_method_names = READ_AND_CREATE

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(actor=request.user, **serializer.validated_data)
        report.refresh_from_db()
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=file_responses("csv", "xlsx", "pdf"))
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The report's file (CSV, XLSX or PDF); the download is recorded."""
        report = self.get_object()
        handle = services.report_open(report=report, actor=request.user)
        return FileResponse(handle, as_attachment=True, filename=report.file.name.rsplit("/", 1)[-1])

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR),
            OpenApiParameter("place", OpenApiTypes.INT),
            *PERIOD,
        ],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=False, methods=["get"])
    def figures(self, request):
        """The figures of a report for a place and period, as the built files carry them."""
        query = s.ReportQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        services.check_report_request(data["kind"], data["place"], data["start"], data["end"])
        return Response(report_figures(data["kind"], data["place"], data["start"], data["end"]))


# Notices ---------------------------------------------------------------------------------


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One's own notices (obligations created, due soon, overdue; digests), newest first."""

    serializer_class = s.NoticeSerializer
    filterset_fields = ["kind", "obligation"]
    # Notices have no place to scope by: a login suffices, the queryset holds only one's own.
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's introspection
            return Notice.objects.none()
        # A notice belongs to its user alone: nobody else sees it, whatever their role.
        return Notice.objects.filter(user=self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=s.NoticeSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark the notice as read."""
        notice = services.notice_mark_read(notice=self.get_object(), actor=request.user)
        return Response(self.get_serializer(notice).data)

    @extend_schema(methods=["get"], responses=s.NoticePreferenceSerializer)
    @extend_schema(methods=["patch"], request=s.NoticePreferenceSerializer, responses=s.NoticePreferenceSerializer)
    @action(detail=False, methods=["get", "patch"], url_path="settings", url_name="settings")
    def preferences(self, request):
        """Whether one's notices are also e-mailed (in-platform notices always stay)."""
        if request.method == "PATCH":
            body = s.NoticePreferenceSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            services.notice_preference_set(user=request.user, email=body.validated_data["email"], actor=request.user)
        email = NoticePreference.objects.filter(user=request.user).values_list("email", flat=True).first()
        return Response({"email": True if email is None else email})
