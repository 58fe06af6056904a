"""The viewset base that every scoped API view uses.

A view declares ``queryset`` and, when it differs from the defaults, ``read_action``
and ``write_action``. Reads are filtered to the user's scope (so an object outside it
answers 404); a write to a visible object the user may not change answers 403.
"""

from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from governance.scoping import Action, can


class ScopedViewSetMixin:
    """Filter the declared queryset to what the user may read."""

    read_action = Action.VIEW
    write_action = Action.CHANGE
    # An action may name the right it needs on the object instead (``@action(..., object_write_action=...)``).
    object_write_action = None

    def get_queryset(self):
        return super().get_queryset().restrict(self.request.user, self.read_action)

    def require(self, action: str, place) -> None:
        """Refuse with 403 unless the user may do ``action`` at ``place``."""
        if not can(self.request.user, action, place):
            raise PermissionDenied()


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
