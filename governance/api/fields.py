from rest_framework import serializers

from governance.scoping import Action


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key the user may only point at objects they can see.

    An id outside the user's scope is answered like an id that does not exist.
    """

    def __init__(self, *args, action: str = Action.VIEW_PUBLIC, **kwargs):
        self.scope_action = action
        super().__init__(*args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset
        return queryset.restrict(request.user, self.scope_action)
