"""The one permission class every API view uses (kept apart from the views: DRF imports it early)."""

from rest_framework import permissions

from governance.scoping import Action


class ScopedPermission(permissions.BasePermission):
    """Require a login; for writes, require the view's write action on the object's place."""

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS or getattr(view, "service_checks_rights", False):
            return True
        action = getattr(view, "object_write_action", None) or getattr(view, "write_action", Action.CHANGE)
        model = type(obj)
        return model.objects.filter(pk=obj.pk).restrict(request.user, action).exists()
