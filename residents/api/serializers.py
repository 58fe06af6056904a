from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.api.fields import ScopedPrimaryKeyRelatedField

# Related objects are looked up among those the user may read (others answer "does not exist",
# as a 404 would); whether the user may write with them is the write service's decision (403).
from governance.models import Organization, Person, Place
from governance.scoping import Action
from residents.models import (
    ImportJob,
    Owner,
    Ownership,
    Participation,
    PartyMember,
    PropertyUnit,
    Resident,
    ResidentRelation,
    Skill,
    UnitUse,
    unit_label,
)


class PropertyUnitSerializer(serializers.ModelSerializer):
    building = ScopedPrimaryKeyRelatedField(queryset=Place.objects.filter(kind="building"), action=Action.VIEW)
    building_name = serializers.CharField(source="building.name", read_only=True)
    use = serializers.ChoiceField(choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)
    label = serializers.CharField(read_only=True)

    # The list reads rows with .values_list() (core.values): the label is the model property's, from its columns.
    values_computed = {"label": (("building__name", "stairway", "room"), unit_label)}

    class Meta:
        model = PropertyUnit
        fields = [
            "id",
            "estate",
            "building",
            "building_name",
            "stairway",
            "room",
            "label",
            "use",
            "registered_area",
            "surveyed_area",
            "contract_area",
            "area",
            "area_source",
            "delivered",
        ]
        read_only_fields = ["estate", "area", "area_source"]


class PropertyUnitUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = PropertyUnit
        fields = ["stairway", "room", "use", "registered_area", "surveyed_area", "contract_area", "delivered"]


class OwnerShareSerializer(serializers.Serializer):
    owner = ScopedPrimaryKeyRelatedField(queryset=Owner.objects.all(), action=Action.VIEW)
    share = serializers.DecimalField(max_digits=5, decimal_places=4, required=False, allow_null=True)


class TransferSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_("产权转移生效日期"))
    owners = OwnerShareSerializer(many=True)
    registered = serializers.BooleanField(default=True)


class OwnerSerializer(serializers.ModelSerializer):
    """An owner with ID and phone numbers masked; whole values only through ``reveal``, which is logged."""

    person = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), action=Action.VIEW, required=False, allow_null=True
    )
    place = ScopedPrimaryKeyRelatedField(queryset=Place.objects.filter(kind="estate"), action=Action.VIEW)
    name = serializers.CharField(read_only=True)
    id_number_masked = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()

    class Meta:
        model = Owner
        fields = [
            "id",
            "kind",
            "name",
            "person",
            "org_name",
            "credit_code",
            "is_developer",
            "place",
            "id_number_masked",
            "phone_masked",
        ]
        read_only_fields = ["kind"]

    def get_id_number_masked(self, owner) -> str:
        return owner.person.id_number_masked if owner.person_id else ""

    def get_phone_masked(self, owner) -> str:
        return owner.person.phone_masked if owner.person_id else ""


class OwnershipSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    unit_label = serializers.CharField(source="unit.label", read_only=True)

    class Meta:
        model = Ownership
        fields = ["id", "unit", "unit_label", "owner", "owner_name", "start", "end", "share", "registered"]


class ResidentSerializer(serializers.ModelSerializer):
    unit = ScopedPrimaryKeyRelatedField(queryset=PropertyUnit.objects.all(), action=Action.VIEW)
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    person_name = serializers.CharField(source="person.name", read_only=True)
    relation = serializers.ChoiceField(choices=ResidentRelation.choices)

    class Meta:
        model = Resident
        fields = ["id", "unit", "person", "person_name", "relation", "start", "end"]
        read_only_fields = ["end"]


class MoveOutSerializer(serializers.Serializer):
    on = serializers.DateField()


class PartyMemberSerializer(serializers.ModelSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), action=Action.VIEW)
    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), action=Action.VIEW)
    person_name = serializers.CharField(source="person.name", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    skills = serializers.SlugRelatedField(slug_field="code", queryset=Skill.objects.all(), many=True, required=False)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "person",
            "person_name",
            "organization",
            "organization_name",
            "in_service",
            "registered_on",
            "workplace",
            "skills",
        ]


class PartyMemberUpdateSerializer(serializers.ModelSerializer):
    organization = ScopedPrimaryKeyRelatedField(queryset=Organization.objects.all(), action=Action.VIEW, required=False)
    skills = serializers.SlugRelatedField(slug_field="code", queryset=Skill.objects.all(), many=True, required=False)

    class Meta:
        model = PartyMember
        fields = ["organization", "in_service", "registered_on", "workplace", "skills"]


class ParticipationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Participation
        fields = ["id", "member", "date", "activity"]
        read_only_fields = ["member"]


class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "code", "name"]


class ImportJobSerializer(serializers.ModelSerializer):
    estate = ScopedPrimaryKeyRelatedField(queryset=Place.objects.filter(kind="estate"), action=Action.VIEW)
    file = serializers.FileField(write_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "estate",
            "file",
            "file_name",
            "on",
            "state",
            "total_rows",
            "processed_rows",
            "total_units",
            "written_units",
            "percent",
            "error_count",
            "errors",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = [
            "file_name",
            "state",
            "total_rows",
            "processed_rows",
            "total_units",
            "written_units",
            "error_count",
            "errors",
            "summary",
            "created_at",
            "started_at",
            "finished_at",
        ]
