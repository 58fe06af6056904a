from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.appendonly import AppendOnlyModel, AppendOnlyQuerySet
from governance.scoping import ScopedQuerySetMixin

from .places import Place


class AuditQuerySet(ScopedQuerySetMixin, AppendOnlyQuerySet):
    pass


class AuditEvent(AppendOnlyModel):
    """One write, recorded by the service that made it. Append-only."""

    # Audit rows outlive what they mention: no database constraint, the ids stay as written.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when the platform acted on its own (a beat job, a task, a command), not a person.
    by_system = models.BooleanField(_("系统操作"), default=False)
    # One of the registered event types (``governance.audit.event_choices``).
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("对象类型"), on_delete=models.PROTECT, null=True, blank=True
    )
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    place = models.ForeignKey(
        Place,
        verbose_name=_("地点"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("摘要"), max_length=500, blank=True)
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = AuditQuerySet.as_manager()
    scope_path = "place__"

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"
