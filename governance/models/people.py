from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedCharField, EncryptedFieldsModel, keyed_hash, mask_id_number, mask_phone

from .organizations import Organization
from .places import Place
from .trees import ScopedQuerySet


class Person(EncryptedFieldsModel):
    """One human across the platform: a user, a post holder, an owner, a resident, a party member.

    ID and phone numbers are encrypted at rest and matched through keyed hashes.
    """

    name = models.CharField(_("姓名"), max_length=100)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = EncryptedCharField(_("身份证号"), blank=True)
    # Indexed in Meta: as ``db_index=True`` PostgreSQL also got a ``LIKE`` index that no query uses (every register
    # import wrote both, issue 13).
    id_number_hash = models.CharField(_("身份证号摘要"), max_length=64, blank=True, editable=False)
    phone = EncryptedCharField(_("手机号"), blank=True)
    phone_hash = models.CharField(_("手机号摘要"), max_length=64, blank=True, editable=False)
    # The place where the person is known (home community or estate): it scopes who may see them.
    place = models.ForeignKey(
        Place, verbose_name=_("所在地"), on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["id_number_hash"], name="person_id_number_hash"),
            models.Index(fields=["phone_hash"], name="person_phone_hash"),
        ]

    def __str__(self) -> str:
        return self.name

    def set_id_number(self, value: str) -> None:
        self.id_number = value or ""
        self.id_number_hash = keyed_hash(value)

    def set_phone(self, value: str) -> None:
        self.phone = value or ""
        self.phone_hash = keyed_hash(value)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age_on(self, day) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class PostKind(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    GROUP_LEADER = "group_leader", _("党小组长")
    CHAIR = "chair", _("主任")
    VICE_CHAIR = "vice_chair", _("副主任")
    MEMBER = "member", _("成员")
    LEADER = "leader", _("组长")
    PROPERTY_COMMISSIONER = "property_commissioner", _("物业管理专员")
    STAFF = "staff", _("工作人员")


class PostBody(models.TextChoices):
    PARTY = "party", _("党组织")
    OWNERS_COMMITTEE = "owners_committee", _("业主委员会")
    RESIDENTS_COMMITTEE = "residents_committee", _("居民委员会")
    RESIDENTS_GROUP = "residents_group", _("居民小组")
    COMMUNITY_STAFF = "community_staff", _("社区工作人员")
    SUPERVISION_GROUP = "supervision_group", _("事务监督组")


class PostQuerySet(ScopedQuerySet):
    def current(self, on=None):
        """Posts held on ``on`` (today by default)."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(models.Q(start__lte=on) | models.Q(start__isnull=True)).filter(
            models.Q(end__isnull=True) | models.Q(end__gte=on)
        )


class Post(models.Model):
    """A post a person holds in a party organization or another body of an estate or community.

    A person may hold several at once (一肩挑). ``place`` is the estate or community of the
    body; for a party post it is the organization's place.
    """

    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="posts")
    kind = models.CharField(_("职务"), max_length=32, choices=PostKind.choices)
    body = models.CharField(_("所在组织"), max_length=32, choices=PostBody.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("党组织"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
    )
    place = models.ForeignKey(Place, verbose_name=_("地点"), on_delete=models.PROTECT, related_name="posts")
    start = models.DateField(_("任职开始"), null=True, blank=True)
    end = models.DateField(_("任职结束"), null=True, blank=True)

    objects = PostQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("职务")
        verbose_name_plural = _("职务")
        ordering = ["place_id", "body", "kind", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(body="party", organization__isnull=False)
                | (~models.Q(body="party") & models.Q(organization__isnull=True)),
                name="post_party_body_has_organization",
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True)
                | models.Q(start__isnull=True)
                | models.Q(end__gte=models.F("start")),
                name="post_end_not_before_start",
            ),
        ]
        indexes = [models.Index(fields=["place", "body", "kind"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_body_display()} {self.get_kind_display()}"
