"""The one permission class every API view uses (kept apart from the views: DRF imports it early)."""

from rest_framework import permissions


class ScopedPermission(permissions.BasePermission):
    """Require a login. Reads are scoped by the viewset's queryset (``ScopedViewSetMixin``: out of scope
    answers 404); whether a user may write is decided by the write service itself, which refuses with 403."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)
