from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from governance import selectors, services
from governance.api.serializers import (
    MoveSerializer,
    MultiPostHolderSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    PersonSerializer,
    PlaceSerializer,
    PlaceUpdateSerializer,
    PostEndSerializer,
    PostSerializer,
    RoleAssignmentSerializer,
    UserSerializer,
)
from governance.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin
from governance.audit import audit_record
from governance.events import GovernanceEvent
from governance.models import Organization, OrgKind, Person, Place, PlaceKind, Post, RoleAssignment, User
from governance.scoping import Action, can, is_unrestricted
from governance.tasks import coverage_recount


class PlaceFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    kind = filters.MultipleChoiceFilter(choices=PlaceKind.choices)

    class Meta:
        model = Place
        fields = ["kind", "parent", "estate", "name"]


class OrganizationFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    kind = filters.MultipleChoiceFilter(choices=OrgKind.choices)

    class Meta:
        model = Organization
        fields = ["kind", "function", "parent", "place", "name"]


class TreeViewSet(ScopedModelViewSet):
    """List, read, create, update, move and delete nodes of a tree, and walk it."""

    read_action = Action.VIEW_PUBLIC
    update_serializer_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_serializer_class(self):
        if self.action == "partial_update":
            return self.update_serializer_class
        if self.action == "move":
            return MoveSerializer
        return self.serializer_class

    def target_place(self, parent):
        """The place whose write scope a new node under ``parent`` needs."""
        raise NotImplementedError

    def _walk(self, nodes):
        # The view's own queryset: the user's scope, and the same related rows fetched up front.
        queryset = self.get_queryset().filter(pk__in=nodes.values("pk"))
        page = self.paginate_queryset(queryset)
        serializer = self.serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses=None)
    @action(detail=True, methods=["get"])
    def children(self, request, pk=None):
        return self._walk(self.get_object().get_children())

    @action(detail=True, methods=["get"])
    def descendants(self, request, pk=None):
        return self._walk(self.get_object().get_descendants())

    @action(detail=True, methods=["get"])
    def ancestors(self, request, pk=None):
        return self._walk(self.get_object().get_ancestors())

    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        node = self.get_object()
        serializer = MoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        parent_id = serializer.validated_data["parent"]
        model = type(node)
        parent = None
        if parent_id is not None:
            # Like a foreign key on create: a parent out of sight is a parent that does not exist.
            parent = model.objects.restrict(request.user, self.read_action).filter(pk=parent_id).first()
            if parent is None:
                raise ValidationError({"parent": [_("上级节点不存在，或不在您的管辖范围内。")]})
        self.require(Action.CHANGE, self.target_place(parent))
        node = self.move_node(node, parent)
        return Response(self.serializer_class(node, context=self.get_serializer_context()).data)


class PlaceViewSet(TreeViewSet):
    """The place tree: district → street/town → community → estate → (complex) → building."""

    queryset = Place.objects.all().order_by("tree_id", "lft")
    serializer_class = PlaceSerializer
    update_serializer_class = PlaceUpdateSerializer
    filterset_class = PlaceFilter

    def target_place(self, parent):
        if parent is None:
            if not is_unrestricted(self.request.user):
                raise PermissionDenied()
            return None
        return parent

    def perform_create(self, serializer):
        data = serializer.validated_data
        parent = data.get("parent")
        self.require(Action.CHANGE, self.target_place(parent))
        serializer.instance = services.place_create(
            kind=data["kind"],
            name=data["name"],
            parent=parent,
            code=data.get("code", ""),
            self_managed=data.get("self_managed", False),
            actor=self.request.user,
        )

    def update(self, request, *args, **kwargs):
        place = self.get_object()
        serializer = PlaceUpdateSerializer(place, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        place = services.place_update(place=place, actor=request.user, **serializer.validated_data)
        return Response(PlaceSerializer(place, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance):
        services.place_delete(place=instance, actor=self.request.user)

    def move_node(self, node, parent):
        return services.place_move(place=node, parent=parent, actor=self.request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def coverage(self, request, pk=None):
        """Coverage of the place's subtree (DOMAIN.md §3), per estate and rolled up."""
        place = self.get_object()
        if place.kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING) and not can(
            request.user, Action.VIEW_PUBLIC, place.estate
        ):
            raise PermissionDenied()
        return Response(selectors.coverage(place))

    @extend_schema(request=None, responses={202: OpenApiResponse(description="Recount queued")})
    @action(detail=True, methods=["post"], url_path="coverage/recount", object_write_action=Action.VIEW)
    def coverage_recount(self, request, pk=None):
        """Recount coverage in the background and keep a snapshot of it."""
        place = self.get_object()
        result = coverage_recount.delay(place.pk)
        return Response({"task": result.id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=MultiPostHolderSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="multi-post-holders")
    def multi_post_holders(self, request, pk=None):
        """People holding more than one post in this subtree (一肩挑)."""
        place = self.get_object()
        self.require(Action.VIEW, place)
        holders = selectors.multi_post_holders(place)
        return Response(MultiPostHolderSerializer(holders, many=True, context=self.get_serializer_context()).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="secretary-chair-share")
    def secretary_chair_share(self, request, pk=None):
        """The share of estates whose general-branch secretary also chairs the owners' committee."""
        place = self.get_object()
        self.require(Action.VIEW, place)
        return Response(selectors.secretary_chair_share(place))


class OrganizationViewSet(TreeViewSet):
    """The party organization tree, each organization attached to the place it serves."""

    queryset = (
        Organization.objects.all().select_related("place").prefetch_related("buildings").order_by("tree_id", "lft")
    )
    serializer_class = OrganizationSerializer
    update_serializer_class = OrganizationUpdateSerializer
    filterset_class = OrganizationFilter

    def target_place(self, parent):
        return parent.place if parent is not None else None

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.require(Action.CHANGE, data["place"])
        serializer.instance = services.organization_create(
            kind=data["kind"],
            name=data["name"],
            place=data["place"],
            parent=data.get("parent"),
            function=data.get("function", ""),
            buildings=data.get("buildings"),
            actor=self.request.user,
        )

    def update(self, request, *args, **kwargs):
        org = self.get_object()
        serializer = OrganizationUpdateSerializer(
            org, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "place" in data:
            self.require(Action.CHANGE, data["place"])
        org = services.organization_update(organization=org, actor=request.user, **data)
        return Response(OrganizationSerializer(org, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance):
        services.organization_delete(organization=instance, actor=self.request.user)

    def move_node(self, node, parent):
        if parent is not None:
            self.require(Action.CHANGE, node.place)
        return services.organization_move(organization=node, parent=parent, actor=self.request.user)


class PersonFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Person
        fields = ["name", "place"]


class PersonViewSet(ScopedModelViewSet):
    """People, with ID and phone numbers masked; ``reveal`` shows them whole, and is logged."""

    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        self.require(Action.CHANGE, data.get("place"))
        serializer.instance = services.person_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = serializer.validated_data
        if "place" in data:
            self.require(Action.CHANGE, data["place"])
        serializer.instance = services.person_update(person=serializer.instance, actor=self.request.user, **data)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"], object_write_action=Action.VIEW_PERSONAL)
    def reveal(self, request, pk=None):
        """Show a person's whole ID and phone numbers to a role that needs them; each reveal is audited."""
        person = self.get_object()
        audit_record(
            actor=request.user,
            action=GovernanceEvent.PERSON_REVEAL,
            obj=person,
            place=person.place,
            summary=person.name,
        )
        return Response({"id": person.pk, "id_number": person.id_number, "phone": person.phone})


class PostFilter(filters.FilterSet):
    current = filters.BooleanFilter(method="filter_current")

    class Meta:
        model = Post
        fields = ["person", "kind", "body", "organization", "place"]

    def filter_current(self, queryset, name, value):
        current = Post.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class PostViewSet(ScopedModelViewSet):
    """Posts held by people in party organizations and the other bodies of estates and communities."""

    queryset = Post.objects.all().select_related("person")
    serializer_class = PostSerializer
    filterset_class = PostFilter
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        organization = data.get("organization")
        self.require(Action.CHANGE, organization.place if organization else data.get("place"))
        serializer.instance = services.post_create(actor=self.request.user, **data)

    @extend_schema(request=PostEndSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        post = self.get_object()
        self.require(Action.CHANGE, post.place)
        serializer = PostEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = services.post_end(post=post, end=serializer.validated_data["end"], actor=request.user)
        return Response(PostSerializer(post, context=self.get_serializer_context()).data)


class UserViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Logins: a user sees themself and the users holding roles inside their granting scope."""

    serializer_class = UserSerializer
    queryset = User.objects.prefetch_related(
        Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("pk"))
    ).order_by("username")
    read_action = Action.GRANT
    scope_path = "role_assignments__place__"
    distinct = True

    def also_visible(self, user):
        return Q(pk=user.pk)

    def perform_create(self, serializer):
        if not can(self.request.user, Action.GRANT, None):
            raise PermissionDenied()
        data = serializer.validated_data
        serializer.instance = services.user_create(
            username=data["username"],
            password=data["password"],
            email=data.get("email", ""),
            person=data.get("person"),
            actor=self.request.user,
        )


class RoleAssignmentFilter(filters.FilterSet):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "place"]


class RoleAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Role assignments (``user``, ``role``, ``place``); grants only inside the granter's scope."""

    queryset = RoleAssignment.objects.all().order_by("pk")
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilter
    write_action = Action.GRANT

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.role_assignment_create(
            user=data["user"], role=data["role"], place=data["place"], actor=self.request.user
        )

    def perform_destroy(self, instance):
        services.role_assignment_delete(assignment=instance, actor=self.request.user)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    permission_classes = []
