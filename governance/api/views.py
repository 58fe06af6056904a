from django.contrib.auth import authenticate
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApplicationError
from governance import selectors, services
from governance.api.serializers import (
    CoverageRecountSerializer,
    MoveSerializer,
    MultiPostHolderSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    PersonRevealSerializer,
    PersonSerializer,
    PlaceSerializer,
    PlaceUpdateSerializer,
    PostEndSerializer,
    PostSerializer,
    RoleAssignmentSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from governance.api.viewsets import ScopedModelViewSet, ScopedViewSetMixin
from governance.models import Organization, OrgKind, Person, Place, PlaceKind, Post, RoleAssignment, User
from governance.scoping import Action


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

    def _walk(self, nodes):
        # The view's own queryset: the user's scope, and the same related rows fetched up front.
        queryset = self.get_queryset().filter(pk__in=nodes.values("pk"))
        page = self.paginate_queryset(queryset)
        serializer = self.serializer_class(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

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
        node = self.move_node(node, parent)
        return Response(self.serializer_class(node, context=self.get_serializer_context()).data)


def tree_schema(serializer, update_serializer):
    """The schema of a tree's views: walks answer pages of nodes; update and move answer the whole node."""
    walk = extend_schema(responses=serializer(many=True))
    return extend_schema_view(
        children=walk,
        descendants=walk,
        ancestors=walk,
        move=extend_schema(request=MoveSerializer, responses=serializer),
        partial_update=extend_schema(request=update_serializer, responses=serializer),
    )


@tree_schema(PlaceSerializer, PlaceUpdateSerializer)
class PlaceViewSet(TreeViewSet):
    """The place tree: district → street/town → community → estate → (complex) → building."""

    queryset = Place.objects.all().order_by("tree_id", "lft")
    serializer_class = PlaceSerializer
    update_serializer_class = PlaceUpdateSerializer
    filterset_class = PlaceFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.place_create(
            kind=data["kind"],
            name=data["name"],
            parent=data.get("parent"),
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
        """Coverage of the place's subtree (docs/domain.md §3), per estate and rolled up (a building: its estate's)."""
        place = self.get_object()
        if place.kind in (PlaceKind.COMPLEX, PlaceKind.BUILDING) and not (
            Place.objects.restrict(request.user, self.read_action).filter(pk=place.estate_id).exists()
        ):
            raise Http404
        return Response(selectors.coverage(place))

    @extend_schema(request=None, responses={202: CoverageRecountSerializer})
    @action(detail=True, methods=["post"], url_path="coverage/recount")
    def coverage_recount(self, request, pk=None):
        """Recount coverage in the background and keep a snapshot of it (needs the right to change the place)."""
        task = services.coverage_recount(place=self.get_object(), actor=request.user)
        return Response({"task": task}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=MultiPostHolderSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="multi-post-holders", pagination_class=None)
    def multi_post_holders(self, request, pk=None):
        """People holding more than one post in this subtree (一肩挑)."""
        place = self.get_object_for(Action.VIEW)
        holders = selectors.multi_post_holders(place)
        return Response(MultiPostHolderSerializer(holders, many=True, context=self.get_serializer_context()).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"], url_path="secretary-chair-share")
    def secretary_chair_share(self, request, pk=None):
        """The share of estates whose general-branch secretary also chairs the owners' committee."""
        return Response(selectors.secretary_chair_share(self.get_object_for(Action.VIEW)))


@tree_schema(OrganizationSerializer, OrganizationUpdateSerializer)
class OrganizationViewSet(TreeViewSet):
    """The party organization tree, each organization attached to the place it serves."""

    queryset = (
        Organization.objects.all().select_related("place").prefetch_related("buildings").order_by("tree_id", "lft")
    )
    serializer_class = OrganizationSerializer
    update_serializer_class = OrganizationUpdateSerializer
    filterset_class = OrganizationFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
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
        org = services.organization_update(organization=org, actor=request.user, **serializer.validated_data)
        return Response(OrganizationSerializer(org, context=self.get_serializer_context()).data)

    def perform_destroy(self, instance):
        services.organization_delete(organization=instance, actor=self.request.user)

    def move_node(self, node, parent):
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
        serializer.instance = services.person_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.person_update(
            person=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=None, responses=PersonRevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """Show a person's whole ID and phone numbers to a role that needs them; each reveal is audited."""
        person = services.person_reveal(person=self.get_object(), actor=request.user)
        return Response(PersonRevealSerializer(person).data)


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
        serializer.instance = services.post_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=PostEndSerializer, responses=PostSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        post = self.get_object()
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
        return selectors.users_visible_q(user) or Q(pk=user.pk)

    def perform_create(self, serializer):
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
    """Role assignments (``user``, ``role``, ``place``): who granted what, visible across the reader's scope.

    Grants and withdrawals follow ``services.role_refusal``.
    """

    queryset = RoleAssignment.objects.select_related("user", "granted_by").order_by("pk")
    serializer_class = RoleAssignmentSerializer
    filterset_class = RoleAssignmentFilter

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.role_assignment_create(
            user=data["user"], role=data["role"], place=data["place"], actor=self.request.user
        )

    def perform_destroy(self, instance):
        services.role_assignment_delete(assignment=instance, actor=self.request.user)


class TokenView(APIView):
    """Exchange a username and password for an API token.

    Failed attempts are counted by django-axes in the database, per username and per client
    address (``core.clientip``), shared by every worker: past the limit, even the right
    password is refused with 429 until the cool-off ends.
    """

    authentication_classes = []
    permission_classes = []
    serializer_class = TokenRequestSerializer

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # axes reads and marks the Django request, not DRF's wrapper around it.
        django_request = request._request
        user = authenticate(django_request, **serializer.validated_data)
        if getattr(django_request, "axes_locked_out", False):
            raise LockedOut()
        if user is None or not user.is_active:
            raise ApplicationError(_("用户名或密码不正确。"), code="invalid_credentials")
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


class LockedOut(ApplicationError):
    status = 429
    code = "locked_out"

    def __init__(self):
        super().__init__(_("登录失败次数过多，请稍后再试。"))
