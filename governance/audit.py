"""The audit trail: every write service records what it did through ``audit_record``.

What happened is named by an event type, one enum per app (``<app>/events.py``), each
registered here with ``@event_types``; a free string is refused. Who did it is a user, an
anonymous voter holding a voting code, or ``SYSTEM`` (a task or command), recorded as such;
``None`` is refused, so a caller cannot forget to say who acts. An update records the old
and new value of each field it changed.
"""

from __future__ import annotations

import enum
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.hashing import jsonable
from governance.models import AuditEvent, Place
from governance.scoping import SYSTEM, acting_user

_EVENT_TYPES: list[type[models.TextChoices]] = []


def event_types(cls: type[models.TextChoices]) -> type[models.TextChoices]:
    """Register an app's enum of audit event types (a class decorator)."""
    if cls not in _EVENT_TYPES:
        _EVENT_TYPES.append(cls)
    return cls


def event_choices() -> list[tuple[str, str]]:
    """Every registered event type as ``(value, label)``, for filters and the audit-trail page."""
    return [choice for cls in _EVENT_TYPES for choice in cls.choices]


def event_label(value: str) -> str:
    for cls in _EVENT_TYPES:
        if value in cls.values:
            return str(cls(value).label)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return jsonable(value)


def apply_changes(instance: models.Model, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set ``values`` on ``instance`` and return ``{field: (old, new)}`` for those that differ.

    The caller saves with ``update_fields=list(changes)`` and passes ``changes`` to
    ``audit_record``, so that the trail says what each field was and became.
    """
    changes = {}
    for field, new in values.items():
        old = getattr(instance, field)
        if old != new:
            setattr(instance, field, new)
            changes[field] = (old, new)
    return changes


def audit_record(
    *,
    actor,
    action: models.TextChoices,
    obj: models.Model | None = None,
    place: Place | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` (in ``place``), with the values it changed."""
    event = audit_event(actor=actor, action=action, obj=obj, place=place, summary=summary, data=data, changes=changes)
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    actor,
    action: models.TextChoices,
    obj: models.Model | None = None,
    place: Place | None = None,
    summary: str = "",
    data: dict[str, Any] | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
) -> AuditEvent:
    """The unsaved record of ``audit_record``, for a caller that writes it in one statement with others
    (``core.inserts.insert_together``); ``obj`` must already have its primary key."""
    if not isinstance(action, enum.Enum) or type(action) not in _EVENT_TYPES:
        raise TypeError(f"audit_record needs a registered event type, not {action!r}")
    if actor is None:
        raise TypeError("audit_record needs an actor: a user, an anonymous voter, or SYSTEM")
    payload = {key: _json(value) for key, value in (data or {}).items()}
    if changes:
        payload["changes"] = {field: {"old": _json(old), "new": _json(new)} for field, (old, new) in changes.items()}
    return AuditEvent(
        actor=acting_user(actor),
        by_system=actor is SYSTEM,
        action=action.value,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        place=place,
        summary=summary[:500],
        data=payload,
    )
