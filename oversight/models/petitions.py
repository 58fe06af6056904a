"""Petitions (信访) from the district's log: where, what about, how handled; petitioners' data encrypted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedCharField, mask_phone
from governance.models import Place
from governance.models.trees import ScopedQuerySet


class PetitionCategory(models.TextChoices):
    PROPERTY = "property", _("物业管理")
    CONSTRUCTION = "construction", _("城乡建设")
    HOUSING = "housing", _("房屋安置")
    LABOUR = "labour", _("劳动社保")
    ENVIRONMENT = "environment", _("生态环境")
    LAW = "law", _("政法治安")
    OTHER = "other", _("其他")


class PetitionChannel(models.TextChoices):
    VISIT = "visit", _("来访")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网上信访")


class PetitionStatus(models.TextChoices):
    RECEIVED = "received", _("已受理")
    HANDLING = "handling", _("办理中")
    CONCLUDED = "concluded", _("已办结")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


def mask_name(name: str) -> str:
    """Mask a name as ``王**``: the surname stays."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


class Petition(models.Model):
    """One petition: date, place (estate or community), category, channel, handling and outcome."""

    reference = models.CharField(_("信访件编号"), max_length=64, blank=True)
    received_on = models.DateField(_("受理日期"), db_index=True)
    place = models.ForeignKey(Place, verbose_name=_("地点"), on_delete=models.PROTECT, related_name="petitions")
    category = models.CharField(_("类别"), max_length=16, choices=PetitionCategory.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=PetitionChannel.choices)
    summary = models.TextField(_("诉求摘要"))
    handled_by = models.CharField(_("承办单位"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=PetitionStatus.choices, default=PetitionStatus.RECEIVED)
    outcome = models.TextField(_("办理结果"), blank=True)
    satisfaction = models.CharField(_("满意度"), max_length=16, choices=Satisfaction.choices, blank=True)
    petitioner_name = EncryptedCharField(_("信访人"), blank=True)
    petitioner_contact = EncryptedCharField(_("联系方式"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("信访件")
        verbose_name_plural = _("信访件")
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], condition=~models.Q(reference=""), name="petition_unique_reference"
            )
        ]
        indexes = [models.Index(fields=["place", "received_on"]), models.Index(fields=["category", "received_on"])]

    def __str__(self) -> str:
        return f"{self.received_on} {self.get_category_display()} {self.summary[:30]}"

    @property
    def petitioner_name_masked(self) -> str:
        return mask_name(self.petitioner_name)

    @property
    def petitioner_contact_masked(self) -> str:
        return mask_phone(self.petitioner_contact)
