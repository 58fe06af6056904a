import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Organization, Place, Post
from governance.models.trees import ScopedQuerySet
from governance.rules import rule


class CommitteeStatus(models.TextChoices):
    CURRENT = "current", _("本届")
    ENDED = "ended", _("已结束")


class OwnersCommittee(models.Model):
    """An owners' committee (业主委员会) of one estate for one term; at most one is current.

    Its members are ``governance.Post`` rows (body ``owners_committee``, place = the estate)
    listed in ``posts``; a committee elected on the platform points at its election.
    """

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="owners_committees",
        limit_choices_to={"kind": "estate"},
    )
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"))
    election = models.ForeignKey(
        "elections.Vote",
        verbose_name=_("选举"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owners_committees",
        limit_choices_to={"kind": "committee_election"},
    )
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    filing_reference = models.CharField(_("备案文号"), max_length=100, blank=True)
    party_branch = models.ForeignKey(
        Organization,
        verbose_name=_("业委会党支部"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owners_committees",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CommitteeStatus.choices, default=CommitteeStatus.CURRENT
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    posts = models.ManyToManyField(Post, verbose_name=_("成员职务"), blank=True, related_name="owners_committees")
    entered_by_hand = models.BooleanField(_("手工录入"), default=False, help_text=_("平台上线前产生的业委会。"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("业主委员会")
        verbose_name_plural = _("业主委员会")
        ordering = ["estate_id", "-term_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate"], condition=models.Q(status="current"), name="committee_one_current_per_estate"
            ),
            models.CheckConstraint(
                condition=models.Q(term_end__gt=models.F("term_start")), name="committee_term_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.estate} {_('业委会')} {self.term_start:%Y}–{self.term_end:%Y}"

    def filing_due(self, rules=rule) -> datetime.date:
        """The last day to file the committee with the street office (``COMMITTEE_FILING_DAYS`` after it took office).

        ``rules`` looks the rule up (``governance.rules.rule``, or a memo of it for a list).
        """
        return self.term_start + datetime.timedelta(days=rules("COMMITTEE_FILING_DAYS", self.estate))

    def days_left(self, on=None) -> int:
        """Days left in the term (negative once it has lapsed)."""
        on = on or timezone.localdate()
        return (self.term_end - on).days

    def filing_overdue(self, on=None, rules=rule) -> bool:
        on = on or timezone.localdate()
        return self.filed_on is None and on > self.filing_due(rules)

    def lapsed(self, on=None) -> bool:
        """The term has ended and no new committee has replaced this one."""
        on = on or timezone.localdate()
        return self.status == CommitteeStatus.CURRENT and self.term_end < on


class SupervisionGroup(models.Model):
    """An estate's owners' supervision group (事务监督组): owners who sign off large spending."""

    estate = models.ForeignKey(
        Place,
        verbose_name=_("小区"),
        on_delete=models.PROTECT,
        related_name="supervision_groups",
        limit_choices_to={"kind": "estate"},
    )
    term_start = models.DateField(_("任期开始"))
    term_end = models.DateField(_("任期结束"), null=True, blank=True)
    members = models.ManyToManyField("residents.Owner", verbose_name=_("成员"), related_name="supervision_groups")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "estate__"

    class Meta:
        verbose_name = _("事务监督组")
        verbose_name_plural = _("事务监督组")
        ordering = ["estate_id", "-term_start"]

    def __str__(self) -> str:
        return f"{self.estate} {_('事务监督组')} {self.term_start:%Y}"

    def in_term(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.term_start <= on and (self.term_end is None or on <= self.term_end)
