"""Self-management of old, street-side and abandoned estates (自治管理, docs/domain.md §7).

The community leads; building heads (楼栋长) coordinate; residents and volunteers take turns on
duty rosters (cleaning, parking order), and each turn is recorded as done or missed.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Person, Place
from governance.models.trees import ScopedQuerySet

from .base import AppendOnlyModel, ScopedAppendOnlyQuerySet


class BuildingHead(models.Model):
    """A building head (楼栋长) of one building, for a time."""

    building = models.ForeignKey(
        Place,
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        related_name="building_heads",
        limit_choices_to={"kind": "building"},
    )
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="building_heads")
    start = models.DateField(_("任职开始"))
    end = models.DateField(_("任职结束"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "building__"

    class Meta:
        verbose_name = _("楼栋长")
        verbose_name_plural = _("楼栋长")
        ordering = ["building_id", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["building"], condition=models.Q(end__isnull=True), name="building_one_current_head"
            )
        ]

    def __str__(self) -> str:
        return f"{self.building} · {self.person}"


class Volunteer(models.Model):
    """A volunteer of a self-managed estate, with their skills; an in-service party member reports here (双报到)."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="volunteers",
        limit_choices_to={"kind": "estate"},
    )
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="volunteering")
    skills = models.ManyToManyField("residents.Skill", verbose_name=_("技能"), blank=True, related_name="volunteers")
    party_member = models.ForeignKey(
        "residents.PartyMember",
        verbose_name=_("党员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteering",
    )
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["estate_id", "person__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["estate", "person"], name="volunteer_once_per_estate")]

    def __str__(self) -> str:
        return str(self.person)


class DutyKind(models.TextChoices):
    CLEANING = "cleaning", _("清扫保洁")
    PARKING = "parking", _("停车秩序")
    PATROL = "patrol", _("安全巡查")
    OTHER = "other", _("其他")


class DutyRoster(models.Model):
    """A recurring duty of a self-managed estate on given weekdays, from a start date."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="duty_rosters",
        limit_choices_to={"kind": "estate"},
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DutyKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    building = models.ForeignKey(
        Place,
        verbose_name=_("楼栋"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="building_duty_rosters",
        limit_choices_to={"kind": "building"},
    )
    # Days of the week the duty is due, Monday = 0.
    weekdays = models.JSONField(_("值班日（周一为0）"), default=list)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("值班表")
        verbose_name_plural = _("值班表")
        ordering = ["estate_id", "kind", "pk"]

    def __str__(self) -> str:
        return self.title


class DutyShift(models.Model):
    """A volunteer assigned to a roster's duty on one day."""

    roster = models.ForeignKey(DutyRoster, verbose_name=_("值班表"), on_delete=models.PROTECT, related_name="shifts")
    date = models.DateField(_("日期"))
    volunteer = models.ForeignKey(Volunteer, verbose_name=_("值班人"), on_delete=models.PROTECT, related_name="shifts")

    objects = ScopedQuerySet.as_manager()
    scope_path = "roster__estate__"

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["roster_id", "date"]
        constraints = [models.UniqueConstraint(fields=["roster", "date"], name="duty_shift_one_per_day")]

    def __str__(self) -> str:
        return f"{self.roster} {self.date} {self.volunteer}"


class DutyRecord(AppendOnlyModel):
    """Whether a shift was done or missed, with a photo as evidence. Append-only: one per shift."""

    shift = models.OneToOneField(DutyShift, verbose_name=_("值班安排"), on_delete=models.PROTECT, related_name="record")
    done = models.BooleanField(_("已完成"))
    photo = models.FileField(_("照片"), upload_to="oversight/duty/%Y/%m/", blank=True)
    note = models.TextField(_("说明"), blank=True)
    participation = models.ForeignKey(
        "residents.Participation",
        verbose_name=_("党员参与记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedAppendOnlyQuerySet.as_manager()
    scope_path = "shift__roster__estate__"

    class Meta:
        verbose_name = _("值班记录")
        verbose_name_plural = _("值班记录")
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(done=False) | ~models.Q(photo=""), name="duty_record_done_has_photo"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shift_id} {'done' if self.done else 'missed'}"
