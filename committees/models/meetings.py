from django.db import models
from django.utils.translation import gettext_lazy as _

from elections.models import Matter
from governance.models import Person, Place
from governance.models.trees import ScopedQuerySet

from .committee import OwnersCommittee

# A decision on none of the Art. 278 matters (``matter`` is empty) is routine business.
ROUTINE_LABEL = _("日常事务")


class MeetingKind(models.TextChoices):
    COMMITTEE = "committee", _("业委会会议")
    ASSEMBLY = "assembly", _("业主大会")
    DELIBERATION = "deliberation", _("议事会")
    HEART_TO_HEART = "heart_to_heart", _("恳谈会")


class Meeting(models.Model):
    """A meeting held for an estate, with its agenda, attendance, minutes and decisions."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="meetings",
        limit_choices_to={"kind": "estate"},
    )
    kind = models.CharField(_("会议类型"), max_length=20, choices=MeetingKind.choices)
    committee = models.ForeignKey(
        OwnersCommittee,
        verbose_name=_("业委会"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    title = models.CharField(_("会议名称"), max_length=200)
    held_at = models.DateTimeField(_("召开时间"))
    location = models.CharField(_("地点"), max_length=200, blank=True)
    agenda = models.JSONField(_("议程"), default=list, blank=True, help_text=_("议程事项列表。"))
    attendees = models.ManyToManyField(Person, verbose_name=_("出席人员"), blank=True, related_name="meetings_attended")
    party_org_attended = models.BooleanField(_("社区党组织列席"), default=False)
    property_company_attended = models.BooleanField(_("物业企业列席"), default=False)
    supervision_group_attended = models.BooleanField(_("事务监督组列席"), default=False)
    minutes = models.TextField(_("会议纪要"), blank=True)
    minutes_published_at = models.DateTimeField(_("纪要公开时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["estate", "held_at"])]

    def __str__(self) -> str:
        return f"{self.held_at:%Y-%m-%d} {self.title}"

    @property
    def minutes_published(self) -> bool:
        return self.minutes_published_at is not None


class Decision(models.Model):
    """A decision taken at a meeting; on a committee meeting it is counted by docs/domain.md §5.7.

    A decision on one of the matters of Civil Code Art. 278 is major; so is any decision its
    meeting marks as major (the community party organization must take part: 必参与).
    """

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="decisions")
    text = models.TextField(_("决定内容"))
    # The Art. 278 matter, numbered as the law and ``elections.Matter`` number them; empty: routine business.
    matter = models.PositiveSmallIntegerField(
        _("事项（民法典第278条）"), choices=[(None, ROUTINE_LABEL), *Matter.choices], null=True, blank=True
    )
    is_major = models.BooleanField(_("重大事项"), default=False)
    members_total = models.PositiveSmallIntegerField(_("委员总数"), null=True, blank=True)
    members_present = models.PositiveSmallIntegerField(_("出席委员数"), null=True, blank=True)
    votes_for = models.PositiveSmallIntegerField(_("赞成"), default=0)
    votes_against = models.PositiveSmallIntegerField(_("反对"), default=0)
    votes_abstain = models.PositiveSmallIntegerField(_("弃权"), default=0)
    passed = models.BooleanField(_("通过"))
    party_org_participated = models.BooleanField(_("社区党组织参与"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__estate__"

    class Meta:
        verbose_name = _("会议决定")
        verbose_name_plural = _("会议决定")
        ordering = ["meeting_id", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class MeetingAttachment(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.PROTECT, related_name="attachments")
    title = models.CharField(_("名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="meetings/%Y/%m/")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "meeting__estate__"

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")

    def __str__(self) -> str:
        return self.title
