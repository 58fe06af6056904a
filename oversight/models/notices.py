"""Notices to the people responsible: in the platform always, by e-mail unless they turned it off."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import Place

from .obligations import Obligation


class NoticeKind(models.TextChoices):
    OBLIGATION_CREATED = "obligation_created", _("新的四必义务")
    OBLIGATION_DUE_SOON = "obligation_due_soon", _("义务即将到期")
    OBLIGATION_OVERDUE = "obligation_overdue", _("义务已逾期")
    DIGEST_DAILY = "digest_daily", _("每日汇总")
    DIGEST_WEEKLY = "digest_weekly", _("每周汇总")


class Notice(models.Model):
    """A notice to one user; ``key`` names what it is about, so that a notice is never sent twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField(_("标识"), max_length=120)
    kind = models.CharField(_("类型"), max_length=24, choices=NoticeKind.choices)
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    obligation = models.ForeignKey(
        Obligation, verbose_name=_("义务"), on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    place = models.ForeignKey(
        Place, verbose_name=_("地点"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_once_per_user_and_key")]

    def __str__(self) -> str:
        return self.title


class NoticePreference(models.Model):
    """A user's choice about notices: e-mail on or off (in-platform notices always stay)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="notice_preference"
    )
    email = models.BooleanField(_("接收邮件"), default=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return f"{self.user} · {'email' if self.email else 'no email'}"
