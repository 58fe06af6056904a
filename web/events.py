"""Audit event types of the web layer: what the pages themselves hand out."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import event_types


@event_types
class WebEvent(models.TextChoices):
    AUDIT_TRAIL_EXPORT = "audit_trail.export", _("导出审计记录")
