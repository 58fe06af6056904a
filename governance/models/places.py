from django.db import models
from django.utils.translation import gettext_lazy as _

from .trees import TreeNode


class PlaceKind(models.TextChoices):
    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    TOWN = "town", _("镇")
    COMMUNITY = "community", _("社区")
    ESTATE = "estate", _("小区")
    COMPLEX = "complex", _("楼苑")
    BUILDING = "building", _("楼栋")


class Place(TreeNode):
    """A node of the place tree: district → street/town → community → estate → (complex) → building."""

    ALLOWED_PARENTS = {
        PlaceKind.DISTRICT: (None,),
        PlaceKind.STREET: (PlaceKind.DISTRICT,),
        PlaceKind.TOWN: (PlaceKind.DISTRICT,),
        PlaceKind.COMMUNITY: (PlaceKind.STREET, PlaceKind.TOWN),
        PlaceKind.ESTATE: (PlaceKind.COMMUNITY,),
        PlaceKind.COMPLEX: (PlaceKind.ESTATE,),
        PlaceKind.BUILDING: (PlaceKind.ESTATE, PlaceKind.COMPLEX),
    }

    kind = models.CharField(_("类型"), max_length=16, choices=PlaceKind.choices, db_index=True)
    code = models.CharField(_("编码"), max_length=64, blank=True)
    # The estate a complex or building belongs to (itself for an estate): kept by the
    # tree services so that units, votes and coverage reach their estate without a
    # range join.
    estate = models.ForeignKey(
        "self",
        verbose_name=_("所属小区"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    self_managed = models.BooleanField(
        _("自治管理"),
        default=False,
        help_text=_("老旧或无物业小区由社区组织楼栋长、志愿者自治管理的备案安排。"),
    )

    scope_path = ""

    class Meta:
        verbose_name = _("地点")
        verbose_name_plural = _("地点")
        # Declared so that django-mptt's (tree_id, lft) index reaches the migration. The estates inside a range
        # (a role's scope: a district's 200 estates among its 3,500 places) are read from an index of their own,
        # with the id last so that the index alone answers (issue 13: every API request with a token reads them);
        # three fields, or django-mptt would take it for its (tree_id, lft) index and not add that one.
        indexes = (
            models.Index(
                fields=["tree_id", "lft", "id"], condition=models.Q(kind="estate"), name="place_estates_range"
            ),
        )
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="place_unique_name_among_siblings"),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(parent__isnull=True),
                name="place_unique_root_name",
            ),
        ]

    @property
    def is_estate_level(self) -> bool:
        return self.kind in (PlaceKind.ESTATE, PlaceKind.COMPLEX, PlaceKind.BUILDING)
