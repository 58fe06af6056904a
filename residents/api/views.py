"""The register's API: units, owners, ownerships, residents, party members, imports, and reports."""

import datetime

from django import forms
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from core.values import ValuesListMixin
from governance.api.viewsets import ScopedReadOnlyViewSet, ScopedViewSetMixin
from governance.models import Place, PlaceKind
from governance.scoping import Action, can
from residents import selectors, services
from residents.api import serializers as s
from residents.models import (
    ImportJob,
    Owner,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
    Skill,
)


def _day(request, name: str = "on") -> datetime.date:
    raw = request.query_params.get(name)
    if not raw:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ApplicationError(_("日期“%(value)s”应写作 YYYY-MM-DD。") % {"value": raw}, code="invalid_date") from None


# Units --------------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """A foreign key by its id, without looking the row up: an id that is not a whole number is a 400, an id
    outside the scope (or of nothing) an empty page, as the scoped queryset answers anyway (issue 13)."""

    field_class = forms.IntegerField


class UnitFilter(filters.FilterSet):
    # Not django-filter's default for a foreign key (a ModelChoiceFilter): that one reads the place first.
    estate = IdFilter(field_name="estate_id")
    room = filters.CharFilter(lookup_expr="icontains")

    _form_classes: dict[tuple[type, str], type] = {}

    def get_form_class(self):
        """The filters' form class, built once per language rather than once per request (half the filter's time).

        The class depends only on the declared filters and the language of its labels; each request's form
        still gets fresh copies of the fields (``Form.__init__`` deep-copies ``base_fields``).
        """
        key = (type(self), translation.get_language())
        form_class = self._form_classes.get(key)
        if form_class is None:
            form_class = self._form_classes[key] = super().get_form_class()
        return form_class

    class Meta:
        model = PropertyUnit
        fields = ["estate", "building", "stairway", "room", "use", "delivered", "area_source"]


class PropertyUnitViewSet(ValuesListMixin, ScopedViewSetMixin, viewsets.ModelViewSet):
    """Exclusive units (专有部分) with their counted area; a resident sees their own."""

    queryset = PropertyUnit.objects.select_related("building").order_by("building_id", "stairway", "room", "pk")
    serializer_class = s.PropertyUnitSerializer
    filterset_class = UnitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    pinned_estate_param = "estate"  # UnitFilter's estate: the unit's own estate column, which the scope matches

    def kept_count(self):
        """The count of an estate's whole register (pinned, wholly in scope, no other filter) from the counts
        the database keeps per estate (``EstateUnitCount``): the same number, without counting 20,000 units."""
        params = self.request.query_params
        others = (name for name in UnitFilter.Meta.fields if name != self.pinned_estate_param)
        if any(params.get(name) not in (None, "") for name in others):
            return None
        if not self._pinned_estate_in_scope():
            return None
        return selectors.estate_units_count(int(params[self.pinned_estate_param]))

    def also_visible(self, user):
        if getattr(user, "person_id", None) is None:
            return None
        # The few ids, not a subquery: ``scope OR pk IN (subquery)`` scans every unit of the table (issue 13).
        return Q(pk__in=selectors.own_unit_id_list(user))

    def perform_create(self, serializer):
        serializer.instance = services.unit_create(actor=self.request.user, **serializer.validated_data)

    def update(self, request, *args, **kwargs):
        unit = self.get_object()
        serializer = s.PropertyUnitUpdateSerializer(unit, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        unit = services.unit_update(unit=unit, actor=request.user, **serializer.validated_data)
        return Response(s.PropertyUnitSerializer(unit, context=self.get_serializer_context()).data)

    @extend_schema(request=s.TransferSerializer, responses=s.OwnershipSerializer(many=True))
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Hand the unit to new owners on a date: current ownerships end, new ones start."""
        unit = self.get_object()
        serializer = s.TransferSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.ownership_transfer(
            unit=unit,
            new_owners=[(o["owner"], o.get("share")) for o in data["owners"]],
            on=data["on"],
            registered=data["registered"],
            actor=request.user,
        )
        return Response(s.OwnershipSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


# Owners and ownerships --------------------------------------------------------------------------------


class OwnerFilter(filters.FilterSet):
    estate = filters.NumberFilter(field_name="place")
    name = filters.CharFilter(method="filter_name")

    class Meta:
        model = Owner
        fields = ["estate", "kind", "is_developer", "name"]

    def filter_name(self, queryset, name, value):
        return queryset.filter(Q(person__name__icontains=value) | Q(org_name__icontains=value))


class OwnerViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Owners, ID and phone numbers masked; ``reveal`` shows them whole to a role that needs them, logged."""

    queryset = Owner.objects.select_related("person").order_by("pk")
    serializer_class = s.OwnerSerializer
    filterset_class = OwnerFilter
    http_method_names = ["get", "post", "head", "options"]

    def also_visible(self, user):
        person_id = getattr(user, "person_id", None)
        return Q(person_id=person_id) if person_id else None

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.owner_create(
            estate=data["place"],
            person=data.get("person"),
            org_name=data.get("org_name", ""),
            credit_code=data.get("credit_code", ""),
            is_developer=data.get("is_developer", False),
            actor=self.request.user,
        )

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Show the owner's whole ID and phone numbers; refused unless the role needs them; each reveal is audited."""
        owner = self.get_object()
        return Response(services.owner_reveal(owner=owner, actor=request.user))


class OwnershipFilter(filters.FilterSet):
    estate = filters.NumberFilter(field_name="unit__estate")
    active_on = filters.DateFilter(method="filter_active_on")

    class Meta:
        model = Ownership
        fields = ["estate", "unit", "owner", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.active_on(value)


class OwnershipViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Ownerships over time; changes go through ``units/{id}/transfer/`` or the register import."""

    queryset = Ownership.objects.select_related("owner__person", "unit__building").order_by("unit_id", "start", "pk")
    serializer_class = s.OwnershipSerializer
    filterset_class = OwnershipFilter

    def also_visible(self, user):
        person_id = getattr(user, "person_id", None)
        return Q(owner__person_id=person_id) if person_id else None


# Residents -----------------------------------------------------------------------------------------------


class ResidentFilter(filters.FilterSet):
    estate = filters.NumberFilter(field_name="unit__estate")
    current = filters.BooleanFilter(method="filter_current")

    class Meta:
        model = Resident
        fields = ["estate", "unit", "person", "relation", "current"]

    def filter_current(self, queryset, name, value):
        current = Resident.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class ResidentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Who lives where (owner, tenant, family); moving in and out keeps the occupancy history."""

    queryset = Resident.objects.select_related("person").order_by("unit_id", "start", "pk")
    serializer_class = s.ResidentSerializer
    filterset_class = ResidentFilter

    def also_visible(self, user):
        person_id = getattr(user, "person_id", None)
        return Q(person_id=person_id) if person_id else None

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.resident_move_in(
            unit=data["unit"],
            person=data["person"],
            relation=data["relation"],
            on=data["start"],
            actor=self.request.user,
        )

    @extend_schema(request=s.MoveOutSerializer, responses=s.ResidentSerializer)
    @action(detail=True, methods=["post"], url_path="move-out")
    def move_out(self, request, pk=None):
        resident = self.get_object()
        serializer = s.MoveOutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resident = services.resident_move_out(resident=resident, on=serializer.validated_data["on"], actor=request.user)
        return Response(s.ResidentSerializer(resident, context=self.get_serializer_context()).data)


# Party members ------------------------------------------------------------------------------------------------


class PartyMemberFilter(filters.FilterSet):
    estate = filters.NumberFilter(field_name="organization__place__estate")
    skill = filters.CharFilter(field_name="skills__code", distinct=True)
    name = filters.CharFilter(field_name="person__name", lookup_expr="icontains")

    class Meta:
        model = PartyMember
        fields = ["estate", "organization", "in_service", "skill", "name"]


class PartyMemberViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Party members with their skills; ``?skill=engineer`` gathers an expert team."""

    queryset = PartyMember.objects.select_related("person", "organization").prefetch_related("skills").order_by("pk")
    serializer_class = s.PartyMemberSerializer
    filterset_class = PartyMemberFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def also_visible(self, user):
        person_id = getattr(user, "person_id", None)
        return Q(person_id=person_id) if person_id else None

    def perform_create(self, serializer):
        serializer.instance = services.party_member_register(actor=self.request.user, **serializer.validated_data)

    def update(self, request, *args, **kwargs):
        member = self.get_object()
        serializer = s.PartyMemberUpdateSerializer(
            member, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        member = services.party_member_update(member=member, actor=request.user, **serializer.validated_data)
        return Response(s.PartyMemberSerializer(member, context=self.get_serializer_context()).data)

    @extend_schema(methods=["GET"], responses=s.ParticipationSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ParticipationSerializer, responses={201: s.ParticipationSerializer})
    @action(detail=True, methods=["get", "post"])
    def participations(self, request, pk=None):
        """List a member's participation records, or record one."""
        member = self.get_object()
        if request.method == "GET":
            records = Participation.objects.filter(member=member).order_by("-date", "pk")
            page = self.paginate_queryset(records)
            return self.get_paginated_response(s.ParticipationSerializer(page, many=True).data)
        serializer = s.ParticipationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.participation_record(member=member, actor=request.user, **serializer.validated_data)
        return Response(s.ParticipationSerializer(record).data, status=status.HTTP_201_CREATED)


class SkillViewSet(viewsets.ReadOnlyModelViewSet):
    """The configurable list of skills (edited in the admin)."""

    queryset = Skill.objects.order_by("code")
    serializer_class = s.SkillSerializer
    pagination_class = None


# Imports ----------------------------------------------------------------------------------------------------------


class ImportJobViewSet(ScopedReadOnlyViewSet, mixins.CreateModelMixin):
    """Register imports: upload a CSV or XLSX file for an estate; the job shows progress and the report."""

    queryset = ImportJob.objects.order_by("-created_at", "-pk")
    serializer_class = s.ImportJobSerializer
    filterset_fields = ["estate", "state"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.register_import_submit(
            estate=data["estate"], file=data["file"], on=data.get("on"), actor=self.request.user
        )

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.status_code = status.HTTP_202_ACCEPTED
        return response


# Reports on a place --------------------------------------------------------------------------------------------------


class PlaceReportView(APIView):
    """A report on one place: 404 outside the user's view, 403 without the role's right to it."""

    allowed_actions: tuple[str, ...] = (Action.VIEW,)
    place_kinds: tuple[str, ...] | None = None

    def place(self, request, pk) -> Place:
        place = get_object_or_404(Place.objects.restrict(request.user, Action.VIEW_PUBLIC), pk=pk)
        if self.place_kinds and place.kind not in self.place_kinds:
            raise ApplicationError(_("这份报表只适用于小区。"), code="not_an_estate")
        if not any(can(request.user, a, place) for a in self.allowed_actions):
            raise PermissionDenied()
        return place


class VotingRollView(PlaceReportView):
    """The voting roll of an estate on a day (docs/domain.md §4): each counted owner with its units, area and owners."""

    allowed_actions = (Action.VIEW, Action.ENTER_BALLOT, Action.RUN_VOTE)
    place_kinds = (PlaceKind.ESTATE,)

    # The entries come a page at a time: a 20,000-unit estate's whole roll is megabytes of JSON, and
    # building it cost several times the roll itself (issue 13). Totals always cover the whole roll.
    page_size = 500
    max_page_size = 5000

    @extend_schema(
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, pk):
        estate = self.place(request, pk)
        roll = selectors.voting_roll(estate, on=_day(request))
        size = min(_positive(request, "page_size", self.page_size), self.max_page_size)
        number = _positive(request, "page", 1)
        pages = max(1, -(-len(roll.entries) // size))
        if number > pages:
            raise NotFound(_("没有第 %(page)s 页。") % {"page": number})
        entries = roll.entries[(number - 1) * size : number * size]
        unit_ids = [u for e in entries for u in e.unit_ids]
        units = {
            u["id"]: u
            for u in PropertyUnit.objects.filter(estate=estate, pk__in=unit_ids)
            .order_by()
            .values("id", "building__name", "stairway", "room", "use", "area", "area_source")
        }
        owner_ids = {o for e in entries for o in e.owner_ids}
        owners = {
            pk: (person_name or org_name)
            for pk, person_name, org_name in Owner.objects.filter(pk__in=owner_ids).values_list(
                "id", "person__name", "org_name"
            )
        }

        def unit(uid):
            u = units[uid]
            return {
                "id": uid,
                "building": u["building__name"],
                "stairway": u["stairway"],
                "room": u["room"],
                "use": u["use"],
                "area": str(u["area"]),
                "area_source": u["area_source"],
            }

        def link(n):
            return _page_url(request, n) if 1 <= n <= pages else None

        return Response(
            {
                "estate": estate.pk,
                "on": roll.on.isoformat(),
                "total_area": str(roll.total_area),
                "total_owners": roll.total_owners,
                "count": len(roll.entries),
                "page": number,
                "pages": pages,
                "next": link(number + 1),
                "previous": link(number - 1),
                "entries": [
                    {
                        "key": e.key,
                        "area": str(e.area),
                        "is_developer": e.is_developer,
                        "units": [unit(u) for u in e.unit_ids],
                        "owners": [{"id": o, "name": owners.get(o, "")} for o in e.owner_ids],
                    }
                    for e in entries
                ],
            }
        )


def _positive(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ApplicationError(_("“%(name)s”应为正整数。") % {"name": name}, code="invalid_page")
    return value


def _page_url(request, number: int) -> str:
    query = request.GET.copy()
    query["page"] = number
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class OccupancyView(PlaceReportView):
    """The occupancy rate of a building, estate, community (any place) on a day."""

    @extend_schema(parameters=[OpenApiParameter("on", OpenApiTypes.DATE)], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        return Response(selectors.occupancy_rate(self.place(request, pk), on=_day(request)))


class OccupancySeriesView(PlaceReportView):
    """The occupancy rate at each month's end from ``start`` to ``end`` (default: the last twelve months)."""

    @extend_schema(
        parameters=[OpenApiParameter("start", OpenApiTypes.DATE), OpenApiParameter("end", OpenApiTypes.DATE)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, pk):
        place = self.place(request, pk)
        end = _day(request, "end")
        start = (
            _day(request, "start")
            if request.query_params.get("start")
            else end.replace(day=1) - datetime.timedelta(days=335)
        )
        if start > end:
            raise ApplicationError(_("开始日期不能晚于结束日期。"), code="invalid_range")
        if (end.year - start.year) * 12 + end.month - start.month > 240:
            raise ApplicationError(_("一次最多查询 20 年。"), code="invalid_range")
        return Response({"place": place.pk, "series": selectors.occupancy_series(place, start, end)})


class PartyParticipationView(PlaceReportView):
    """Per estate: in-service party members, how many took part in the last twelve months, and the share."""

    @extend_schema(parameters=[OpenApiParameter("on", OpenApiTypes.DATE)], responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        place = self.place(request, pk)
        return Response({"place": place.pk, "estates": selectors.party_participation(place, on=_day(request))})
