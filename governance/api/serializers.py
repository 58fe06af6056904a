from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance import selectors
from governance.api.fields import ScopedPrimaryKeyRelatedField
from governance.models import (
    Organization,
    OrgFunction,
    OrgKind,
    Person,
    Place,
    PlaceKind,
    Post,
    PostBody,
    PostKind,
    Role,
    RoleAssignment,
    User,
)
from governance.scoping import Action


class PlaceSerializer(serializers.ModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=PlaceKind.choices)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    level = serializers.IntegerField(read_only=True)

    class Meta:
        model = Place
        fields = ["id", "kind", "kind_display", "name", "code", "parent", "estate", "self_managed", "level"]
        read_only_fields = ["estate"]
        # No (parent, name) validator: it would make ``parent`` required, yet an omitted parent means a
        # top-level place. The service refuses a duplicate sibling name with 409.
        validators = []


class PlaceUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["name", "code", "self_managed"]


class MoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(allow_null=True, help_text=_("新的上级节点 id；null 表示移到顶层。"))


class OrganizationSerializer(serializers.ModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), allow_null=True, required=False)
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all())
    kind = serializers.ChoiceField(choices=OrgKind.choices)
    function = serializers.ChoiceField(choices=OrgFunction.choices, required=False, allow_blank=True, default="")
    buildings = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), many=True, required=False)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    level = serializers.IntegerField(read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "kind", "kind_display", "function", "name", "parent", "place", "buildings", "level"]
        # As for places: an omitted parent means a top-level organization; duplicates answer 409.
        validators = []


class OrganizationUpdateSerializer(serializers.ModelSerializer):
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), required=False)
    buildings = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), many=True, required=False)
    function = serializers.ChoiceField(choices=OrgFunction.choices, required=False, allow_blank=True)

    class Meta:
        model = Organization
        fields = ["name", "function", "place", "buildings"]


class PersonSerializer(serializers.ModelSerializer):
    """A person with ID and phone numbers masked; whole values only through ``reveal``."""

    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), allow_null=True, required=False)
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True)
    id_number_masked = serializers.CharField(read_only=True)
    phone_masked = serializers.CharField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "birth_date", "place", "id_number", "phone", "id_number_masked", "phone_masked"]


class PersonRevealSerializer(serializers.ModelSerializer):
    """A person's whole ID and phone numbers, as ``reveal`` answers them."""

    id_number = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "id_number", "phone"]


class PostSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), allow_null=True, required=False)
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), allow_null=True, required=False)
    kind = serializers.ChoiceField(choices=PostKind.choices)
    body = serializers.ChoiceField(choices=PostBody.choices)
    person_name = serializers.CharField(source="person.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    body_display = serializers.CharField(source="get_body_display", read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "person",
            "person_name",
            "kind",
            "kind_display",
            "body",
            "body_display",
            "organization",
            "place",
            "start",
            "end",
        ]


class PostEndSerializer(serializers.Serializer):
    end = serializers.DateField()


class UserSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), action=Action.VIEW, allow_null=True, required=False
    )
    # Strength is checked by the service with Django's password validators (settings.AUTH_PASSWORD_VALIDATORS).
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "email", "person", "password", "is_active", "roles"]
        read_only_fields = ["is_active"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_roles(self, user) -> list[dict]:
        return [{"role": a.role, "place": a.place_id} for a in user.role_assignments.all()]


class VisibleUserField(serializers.PrimaryKeyRelatedField):
    """A user the requesting user may see; any other id is answered like one that does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return User.objects.all()
        return selectors.users_visible_to(request.user)


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = VisibleUserField(queryset=User.objects.all())
    role = serializers.ChoiceField(choices=Role.choices)
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.all(), action=Action.VIEW)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "place", "granted_by", "created_at"]
        read_only_fields = ["granted_by", "created_at"]
        # Duplicates are refused by the service with a 409, not by a validator's 400.
        validators = []


class CoverageRecountSerializer(serializers.Serializer):
    task = serializers.CharField(help_text=_("后台重新统计任务的 id。"))


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class MultiPostHolderSerializer(serializers.Serializer):
    person = serializers.IntegerField(source="person.pk")
    name = serializers.CharField(source="person.name")
    posts = PostSerializer(many=True)
