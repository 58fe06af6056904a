from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .places import Place, PlaceKind
from .trees import TreeNode


class OrgKind(models.TextChoices):
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    ESTATE_GENERAL_BRANCH = "estate_general_branch", _("小区党总支")
    RESIDENT_BRANCH = "resident_branch", _("楼苑党支部")
    BUILDING_GROUP = "building_group", _("楼栋党小组")
    FUNCTIONAL_BRANCH = "functional_branch", _("功能型党支部")


class OrgFunction(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("业委会党支部")
    PROPERTY_COMPANY = "property_company", _("物业党支部")
    IN_SERVICE = "in_service", _("在职党员党支部")


class Organization(TreeNode):
    """A party organization, attached to the place it serves (docs/domain.md §3)."""

    ALLOWED_PARENTS = {
        OrgKind.COMMUNITY_COMMITTEE: (None,),
        OrgKind.ESTATE_GENERAL_BRANCH: (OrgKind.COMMUNITY_COMMITTEE,),
        OrgKind.RESIDENT_BRANCH: (OrgKind.ESTATE_GENERAL_BRANCH,),
        OrgKind.BUILDING_GROUP: (OrgKind.RESIDENT_BRANCH,),
        OrgKind.FUNCTIONAL_BRANCH: (OrgKind.ESTATE_GENERAL_BRANCH, OrgKind.COMMUNITY_COMMITTEE),
    }
    # The kinds of place each organization may be attached to.
    ALLOWED_PLACES = {
        OrgKind.COMMUNITY_COMMITTEE: (PlaceKind.COMMUNITY,),
        OrgKind.ESTATE_GENERAL_BRANCH: (PlaceKind.ESTATE,),
        OrgKind.RESIDENT_BRANCH: (PlaceKind.ESTATE, PlaceKind.COMPLEX),
        OrgKind.BUILDING_GROUP: (PlaceKind.BUILDING, PlaceKind.COMPLEX, PlaceKind.ESTATE),
        OrgKind.FUNCTIONAL_BRANCH: (PlaceKind.ESTATE, PlaceKind.COMMUNITY),
    }

    kind = models.CharField(_("类型"), max_length=32, choices=OrgKind.choices, db_index=True)
    function = models.CharField(_("职能"), max_length=32, choices=OrgFunction.choices, blank=True)
    place = models.ForeignKey(Place, verbose_name=_("服务地点"), on_delete=models.PROTECT, related_name="organizations")
    # The buildings a building group covers: its own building, or a set of them.
    buildings = models.ManyToManyField(
        Place,
        verbose_name=_("覆盖楼栋"),
        blank=True,
        related_name="building_groups",
        limit_choices_to={"kind": PlaceKind.BUILDING},
    )

    scope_path = "place__"

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        indexes = ()
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="organization_unique_name_among_siblings"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="organization_unique_root_name",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="functional_branch") & ~models.Q(function=""))
                | (~models.Q(kind="functional_branch") & models.Q(function="")),
                name="organization_function_only_for_functional_branch",
            ),
        ]

    def place_refusal(self, parent: "Organization | None") -> str | None:
        """Say why this organization cannot serve its place under ``parent``, or return None."""
        if self.place_id is None:
            return None
        allowed = self.ALLOWED_PLACES[self.kind]
        if self.place.kind not in allowed:
            labels = dict(PlaceKind.choices)
            return gettext("%(kind)s 只能服务于%(allowed)s，不能服务于%(place_kind)s“%(place)s”。") % {
                "kind": self.get_kind_display(),
                "allowed": "、".join(str(labels[k]) for k in allowed),
                "place_kind": self.place.get_kind_display(),
                "place": self.place.name,
            }
        if parent is not None and not self.place.is_descendant_of(parent.place, include_self=True):
            return gettext("“%(place)s”不在上级组织“%(parent)s”所服务的“%(parent_place)s”范围内。") % {
                "place": self.place.name,
                "parent": parent.name,
                "parent_place": parent.place.name,
            }
        return None

    def function_refusal(self) -> str | None:
        if self.kind == OrgKind.FUNCTIONAL_BRANCH and not self.function:
            return gettext("功能型党支部必须写明职能（业委会、物业或在职党员）。")
        if self.kind != OrgKind.FUNCTIONAL_BRANCH and self.function:
            return gettext("只有功能型党支部才有职能。")
        return None

    def clean(self) -> None:
        super().clean()
        errors = {}
        if refusal := self.place_refusal(self.parent):
            errors["place"] = refusal
        if refusal := self.function_refusal():
            errors["function"] = refusal
        if errors:
            raise ValidationError(errors)
