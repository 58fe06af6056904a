"""The register: property units, their owners over time, residents and party members.

Every count of docs/domain.md §4 reads this register through ``residents.selectors.voting_roll``.
"""

from decimal import Decimal, InvalidOperation

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
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

# The largest area one exclusive unit may have: a square kilometre less a hundredth. Larger
# figures are typing errors (a misplaced exponent, an area in cm²), not units; the column
# itself would hold up to 99,999,999.99.
MAX_UNIT_AREA = Decimal("999999.99")
TWO_PLACES = Decimal("0.01")


def area_refusal(value: Decimal) -> str | None:
    """Say why ``value`` cannot be a unit's area in m² (positive, two decimals at most, not absurd), or None.

    The one rule for every way an area enters the register: the services, the API and the import.
    """
    if not value.is_finite():
        return gettext("面积必须是数字。")
    if value <= 0:
        return gettext("面积必须大于 0 平方米。")
    if value > MAX_UNIT_AREA:
        return gettext("面积不能超过 %(max)s 平方米，请检查单位和小数点。") % {"max": MAX_UNIT_AREA}
    try:
        if value != value.quantize(TWO_PLACES):
            return gettext("面积最多保留两位小数。")
    except InvalidOperation:
        return gettext("面积最多保留两位小数。")
    return None


def unit_label(building_name: str, stairway: str, room: str) -> str:
    """A unit's number as people write it and notices show it: ``1栋-1单元-101``."""
    stairway = f"{stairway}单元" if stairway else ""
    return "-".join(p for p in (building_name, stairway, room) if p)


class PropertyUnit(models.Model):
    """An owner's exclusive part (专有部分): one flat, shop or parking space with its own title."""

    building = models.ForeignKey(
        Place,
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        related_name="units",
        limit_choices_to={"kind": "building"},
    )
    # The building's estate, kept beside it so that rolls and tallies filter one column.
    estate = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="estate_units")
    stairway = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("房号"), max_length=40)
    use = models.CharField(_("用途"), max_length=16, choices=UnitUse.choices, default=UnitUse.RESIDENTIAL)
    registered_area = models.DecimalField(
        _("登记面积"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    surveyed_area = models.DecimalField(
        _("实测面积"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    contract_area = models.DecimalField(
        _("合同面积"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # The area that counts, by AREA_PRECEDENCE; kept by ``apply_area_precedence``.
    area = models.DecimalField(_("专有部分面积"), max_digits=10, decimal_places=2)
    area_source = models.CharField(_("面积来源"), max_length=16, choices=AreaSource.choices)
    delivered = models.BooleanField(_("已交付"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "building__"
    # Always the building's estate: scoping matches it by id instead of joining the place tree.
    scope_estate_field = "estate"

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
        return unit_label(self.building.name, self.stairway, self.room)

    def apply_area_precedence(self) -> None:
        """Set ``area`` and ``area_source`` from the best source present (docs/domain.md §4)."""
        for source in AREA_PRECEDENCE:
            value = getattr(self, f"{source}_area")
            if value is not None:
                self.area, self.area_source = value, source
                return
        raise ValueError("A unit needs at least one area.")


class EstateUnitCount(models.Model):
    """How many units of one use an estate has, kept exact by the database itself.

    Triggers on the units' table (migration 0009) move these counts in the statement that
    inserts, deletes or re-files a unit, whoever writes it: the services, the admin, the
    register import's ``COPY``, a bulk or a hand-written statement. A reader in another
    transaction therefore sees the counts and the units of the same commits. The pages count a
    district's units from a row per estate instead of every unit (0.05-0.2 s for 200,000
    units, issue 13). ``manage.py recount_units`` compares them with the units and repairs them.
    An estate's rows stay at zero once its units are gone.
    """

    # No database constraint: a place removed with a raw statement (the bench's generator) leaves a row nobody reads.
    estate = models.ForeignKey(
        Place, verbose_name=_("小区"), on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    use = models.CharField(_("用途"), max_length=16, choices=UnitUse.choices)
    # No check that it stays >= 0: a count gone wrong must never refuse a register write (recount_units mends it).
    units = models.IntegerField(_("专有部分数"), default=0)

    class Meta:
        verbose_name = _("小区专有部分数")
        verbose_name_plural = _("小区专有部分数")
        constraints = [models.UniqueConstraint(fields=["estate", "use"], name="estate_unit_count_one_per_use")]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.use} {self.units}"


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
    # Indexed in Meta, without the ``LIKE`` index PostgreSQL adds for ``db_index=True`` (no query uses it).
    credit_code_hash = models.CharField(_("信用代码摘要"), max_length=64, blank=True, editable=False)
    is_developer = models.BooleanField(_("建设单位"), default=False)
    # The estate where the owner was first registered; scopes who may see them.
    place = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="owners")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("业主")
        verbose_name_plural = _("业主")
        indexes = [models.Index(fields=["credit_code_hash"], name="owner_credit_code_hash")]
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

    unit = models.ForeignKey(
        PropertyUnit, verbose_name=_("专有部分"), on_delete=models.PROTECT, related_name="ownerships"
    )
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
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="ownership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["unit", "owner"], condition=models.Q(end__isnull=True), name="ownership_one_open_per_unit_owner"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "end"]),
            models.Index(fields=["owner", "end"]),
            # The changes since a day (a vote's close settles the transfers since its roll froze).
            models.Index(fields=["start"], name="ownership_start"),
            models.Index(fields=["end"], name="ownership_end"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} · {self.unit_id}"


# Residents and occupancy ------------------------------------------------------------------


class ResidentRelation(models.TextChoices):
    OWNER = "owner", _("业主")
    TENANT = "tenant", _("租户")
    FAMILY = "family", _("家庭成员")


class ResidencyQuerySet(ScopedQuerySet):
    def current(self, day=None):
        """Residencies in force on ``day`` (today by default)."""
        day = day or timezone.localdate()
        return self.filter(start__lte=day).filter(models.Q(end__isnull=True) | models.Q(end__gt=day))


class Resident(models.Model):
    """A person living in a unit over a period: an owner, a tenant or a family member.

    ``end`` is the first day the person no longer lives there. Tenants are not owners
    and never appear on the voting roll.
    """

    unit = models.ForeignKey(
        PropertyUnit, verbose_name=_("专有部分"), on_delete=models.PROTECT, related_name="residents"
    )
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="residencies")
    relation = models.CharField(_("关系"), max_length=16, choices=ResidentRelation.choices)
    start = models.DateField(_("入住日期"))
    end = models.DateField(_("迁出日期"), null=True, blank=True)

    objects = ResidencyQuerySet.as_manager()
    scope_path = "unit__building__"

    class Meta:
        verbose_name = _("居民")
        verbose_name_plural = _("居民")
        ordering = ["unit_id", "start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="resident_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["unit", "person"],
                condition=models.Q(end__isnull=True),
                name="resident_one_open_per_unit_person",
            ),
        ]
        indexes = [models.Index(fields=["unit", "end"]), models.Index(fields=["person", "end"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_relation_display()} · {self.unit_id}"


class OccupancyState(models.TextChoices):
    OCCUPIED = "occupied", _("已入住")
    VACANT = "vacant", _("空置")


class Occupancy(models.Model):
    """A unit's occupancy state from ``since`` until the unit's next record.

    A unit with no record on a day counts as vacant on that day.
    """

    unit = models.ForeignKey(
        PropertyUnit, verbose_name=_("专有部分"), on_delete=models.PROTECT, related_name="occupancy_states"
    )
    state = models.CharField(_("状态"), max_length=16, choices=OccupancyState.choices)
    since = models.DateField(_("起始日期"))

    objects = ScopedQuerySet.as_manager()
    scope_path = "unit__building__"

    class Meta:
        verbose_name = _("入住状态")
        verbose_name_plural = _("入住状态")
        ordering = ["unit_id", "since"]
        constraints = [models.UniqueConstraint(fields=["unit", "since"], name="occupancy_one_state_per_unit_day")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.get_state_display()} {self.since}"


# Party members -------------------------------------------------------------------------------


class Skill(models.Model):
    """A professional skill a party member may offer (a configurable list: engineer, lawyer, ...)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)

    class Meta:
        verbose_name = _("专业技能")
        verbose_name_plural = _("专业技能")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    """A party member: a person with membership in one organization of the party tree.

    ``in_service`` marks a member employed elsewhere who registered with the community
    where they live (在职党员 / 双报到) on ``registered_on``.
    """

    person = models.OneToOneField(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="party_member")
    organization = models.ForeignKey(
        "governance.Organization", verbose_name=_("所在党组织"), on_delete=models.PROTECT, related_name="members"
    )
    in_service = models.BooleanField(_("在职党员"), default=False)
    registered_on = models.DateField(_("双报到日期"), null=True, blank=True)
    workplace = models.CharField(_("工作单位"), max_length=200, blank=True)
    skills = models.ManyToManyField(Skill, verbose_name=_("专业技能"), blank=True, related_name="members")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organization__place__"

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["organization_id", "pk"]

    def __str__(self) -> str:
        return str(self.person)


class Participation(models.Model):
    """A party member's part in an estate affair on a day (a meeting, a project, a patrol...)."""

    member = models.ForeignKey(
        PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="participations"
    )
    date = models.DateField(_("日期"))
    activity = models.CharField(_("事项"), max_length=200)

    objects = ScopedQuerySet.as_manager()
    scope_path = "member__organization__place__"

    class Meta:
        verbose_name = _("参与记录")
        verbose_name_plural = _("参与记录")
        ordering = ["-date", "pk"]
        indexes = [models.Index(fields=["member", "date"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.date} · {self.activity}"


# Bulk import -------------------------------------------------------------------------------------


class ImportState(models.TextChoices):
    PENDING = "pending", _("排队中")
    VALIDATING = "validating", _("校验中")
    IMPORTING = "importing", _("导入中")
    INVALID = "invalid", _("校验未通过")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ImportJob(models.Model):
    """One upload of an estate's register, its state, progress and report."""

    estate = models.ForeignKey(Place, verbose_name=_("小区"), on_delete=models.PROTECT, related_name="register_imports")
    file = models.FileField(_("文件"), upload_to="register-imports/%Y/%m/")
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    on = models.DateField(_("产权变更生效日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=ImportState.choices, default=ImportState.PENDING)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已校验行数"), default=0)
    total_units = models.PositiveIntegerField(_("房屋数"), default=0)
    written_units = models.PositiveIntegerField(_("已写入房屋数"), default=0)
    errors = models.JSONField(_("错误"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    created_by = models.ForeignKey(
        "governance.User", verbose_name=_("提交人"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("登记册导入")
        verbose_name_plural = _("登记册导入")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.estate} · {self.file_name or self.file.name}"

    @property
    def finished(self) -> bool:
        return self.state in (ImportState.INVALID, ImportState.DONE, ImportState.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        if self.state == ImportState.IMPORTING and self.total_units:
            return 50 + self.written_units * 50 // self.total_units
        return 0


class ImportRow(models.Model):
    """One checked row of a register file, staged while its import runs, then deleted.

    Staging the rows keeps the import's memory flat however large the file: the checks
    across rows and the merge read them back in order. ID and phone numbers are staged as
    their encrypted tokens and keyed hashes, never in clear.
    """

    batch = models.UUIDField(_("批次"))
    line = models.PositiveIntegerField(_("行号"))
    building_id = models.BigIntegerField(_("楼栋"))
    stairway = models.CharField(_("单元"), max_length=20, blank=True)
    room = models.CharField(_("房号"), max_length=40)
    use = models.CharField(_("用途"), max_length=16)
    area = models.DecimalField(_("面积"), max_digits=10, decimal_places=2)
    area_source = models.CharField(_("面积来源"), max_length=16)
    delivered = models.BooleanField(_("已交付"))
    owner_kind = models.CharField(_("业主类型"), max_length=16)
    owner_name = models.CharField(_("业主姓名"), max_length=100)
    owner_hash = models.CharField(_("业主摘要"), max_length=64)
    # An organization's credit code (public); empty for a person.
    owner_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    id_token = models.TextField(_("证件号密文"), blank=True)
    phone_token = models.TextField(_("手机号密文"), blank=True)
    phone_hash = models.CharField(_("手机号摘要"), max_length=64, blank=True)
    is_developer = models.BooleanField(_("建设单位"))
    share = models.DecimalField(_("共有份额"), max_digits=5, decimal_places=4, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("导入暂存行")
        verbose_name_plural = _("导入暂存行")
        indexes = [
            models.Index(fields=["batch", "building_id", "stairway", "room", "line"], name="importrow_unit_order"),
        ]

    def __str__(self) -> str:
        return f"{self.batch} · {self.line}"
