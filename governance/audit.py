"""The audit trail: every service that writes records one row through ``audit_record``."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from governance.models import AuditEvent, Place


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    place: Place | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` (in ``place``)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        place=place,
        summary=summary[:500],
        data=data or {},
    )
