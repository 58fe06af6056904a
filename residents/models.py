"""The register: property units, their owners over time, residents and party members.

Every count of DOMAIN.md §4 reads this register through ``residents.selectors.voting_roll``.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import keyed_hash
from governance.models import Person, Place
from governance.models.trees import ScopedQuerySet


class UnitUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    PARKING = "parking", _("车位")
    OTHER = "other", _("其他")


class AreaSource(models.TextChoices):
    REGISTERED = "registered", _("不动产登记面积")
    SURVEYED = "surveyed", _("实测面积")
    CONTRACT = "contract", _("合同面积")


# Judicial Interpretation on Building Distinct Ownership, Art. 8: the register first,
# then the survey, then the sale contract.
AREA_PRECEDENCE = (AreaSource.REGISTERED, AreaSource.SURVEYED, AreaSource.CONTRACT)


class PropertyUnit(models.Model):
    """An owner's exclusive part (专有部分): one flat, shop or parking space with its own title."""

    building = models.ForeignKey(
        Place, verbose_name=_("楼栋"), on_delete=models.PROTECT, related_name="units", limit_choices_to={"kind": "building"}
    )
    # The building's estate, kept beside it so that rolls and tallies filter one column.
    estate = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="estate_units")
    stairway = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("房号"), max_length=40)
    use = models.CharField(_("用途"), max_length=16, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)
    registered_area = models.DecimalField(
        _("登记面积"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    surveyed_area = models.DecimalField(
        _("实测面积"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    contract_area = models.DecimalField(
        _("合同面积"), max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # The area that counts, by AREA_PRECEDENCE; kept by ``apply_area_precedence``.
    area = models.DecimalField(_("专有部分面积"), max_digits=10, decimal_places=2)
    area_source = models.CharField(_("面积来源"), max_length=16, choices=AreaSource.choices)
    delivered = models.BooleanField(_("已交付"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "building__"

    class Meta:
        verbose_name = _("专有部分")
        verbose_name_plural = _("专有部分")
        ordering = ["building_id", "stairway", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "stairway", "room"], name="unit_unique_number_in_building"),
            models.CheckConstraint(condition=models.Q(area__gt=0), name="unit_area_positive"),
        ]
        indexes = [models.Index(fields=["estate", "use"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The unit's number as a notice shows it: building, stairway, room."""
        stairway = f"{self.stairway}单元" if self.stairway else ""
        return "-".join(p for p in (self.building.name, stairway, self.room) if p)

    def apply_area_precedence(self) -> None:
        """Set ``area`` and ``area_source`` from the best source present (DOMAIN.md §4)."""
        for source in AREA_PRECEDENCE:
            value = getattr(self, f"{source}_area")
            if value is not None:
                self.area, self.area_source = value, source
                return
        raise ValueError("A unit needs at least one area.")


class OwnerKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANIZATION = "organization", _("单位")


class Owner(models.Model):
    """An owner (业主): a person, or an organization such as the developer (建设单位)."""

    kind = models.CharField(_("类型"), max_length=16, choices=OwnerKind.choices, default=OwnerKind.PERSON)
    person = models.OneToOneField(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, null=True, blank=True, related_name="owner"
    )
    org_name = models.CharField(_("单位名称"), max_length=200, blank=True)
    # Unified social credit code of an organization; public, but matched by hash like ID numbers.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    credit_code_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    is_developer = models.BooleanField(_("建设单位"), default=False)
    # The estate where the owner was first registered; scopes who may see them.
    place = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="owners")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("业主")
        verbose_name_plural = _("业主")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="person") & models.Q(person__isnull=False))
                | (models.Q(kind="organization") & ~models.Q(org_name="")),
                name="owner_person_or_named_organization",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.person.name if self.kind == OwnerKind.PERSON and self.person_id else self.org_name

    def set_credit_code(self, value: str) -> None:
        self.credit_code = (value or "").strip().upper()
        self.credit_code_hash = keyed_hash(self.credit_code)


class OwnershipQuerySet(ScopedQuerySet):
    def active_on(self, day):
        """Ownerships in force on ``day``: started on or before it, not ended by it."""
        return self.filter(start__lte=day).filter(models.Q(end__isnull=True) | models.Q(end__gt=day))


class Ownership(models.Model):
    """An owner's title to a unit over a period; co-owners of one unit hold one each.

    ``end`` is the first day the owner no longer holds the unit. A sale ends one
    ownership and starts another; nothing is deleted, so the history stays.
    """

    unit = models.ForeignKey(PropertyUnit, verbose_name=_("专有部分"), on_delete=models.PROTECT, related_name="ownerships")
    owner = models.ForeignKey(Owner, verbose_name=_("业主"), on_delete=models.PROTECT, related_name="ownerships")
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("终止日期"), null=True, blank=True)
    share = models.DecimalField(_("共有份额"), max_digits=5, decimal_places=4, null=True, blank=True)
    # A buyer from the developer in lawful possession before registration is an owner too
    # (Interpretation Art. 1).
    registered = models.BooleanField(_("已登记"), default=True)

    objects = OwnershipQuerySet.as_manager()
    scope_path = "unit__building__"

    class Meta:
        verbose_name = _("产权")
        verbose_name_plural = _("产权")
        ordering = ["unit_id", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")), name="ownership_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["unit", "owner"], condition=models.Q(end__isnull=True), name="ownership_one_open_per_unit_owner"
            ),
        ]
        indexes = [models.Index(fields=["unit", "end"]), models.Index(fields=["owner", "end"])]

    def __str__(self) -> str:
        return f"{self.owner} · {self.unit_id}"
